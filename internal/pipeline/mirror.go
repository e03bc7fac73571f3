package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/imagefetch"
	"github.com/feedpost/feedpost/internal/mirror"
	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// Mirror mode (images.proxy: mirror). Downloading is the builder's job: it
// is the role that writes outputs. Before it writes a batch of pending
// posts it collects their image URLs (body img src/srcset, video posters,
// the cover), makes sure each is mirrored — the images table says which
// are, which failed and when to try them again — then renders the posts
// with each image's mirror URL (or images.fallback for one that is not
// there), and stores those renderings, so that the post files and the
// built-in site show the same. The images are durable before the posts
// that name them are, so a killed run never leaves a post pointing at a
// missing file. Which post uses which image is kept (post_images): an image
// that arrives on a later try makes its posts pending again, and retention
// removes the files no live post uses.

// ImageCounts are what a build did with images, for the run summary.
type ImageCounts struct {
	Mirrored int `json:"mirrored"` // downloaded (or read from a local feed's folder) and written
	Reused   int `json:"reused"`   // already mirrored
	Failed   int `json:"failed"`   // could not be fetched: the post shows images.fallback
}

func (c *ImageCounts) add(o ImageCounts) {
	c.Mirrored += o.Mirrored
	c.Reused += o.Reused
	c.Failed += o.Failed
}

// newMirror builds the Mirror and its downloader from the config; nil
// when images are not mirrored.
func newMirror(cfg *config.Config) (*mirror.Mirror, error) {
	if !cfg.Images.Mirror() {
		return nil, nil
	}
	d, err := imagefetch.New(imagefetch.Options{
		Timeout:      cfg.Fetch.Timeout,
		MaxBytes:     cfg.Fetch.MaxBytes,
		Referers:     cfg.Images.Referers,
		UserAgent:    cfg.Fetch.UserAgent,
		AllowPrivate: cfg.Images.AllowPrivate,
		PerHost:      cfg.Fetch.PerHost,
		Retries:      cfg.Fetch.Retries,
	})
	if err != nil {
		return nil, err
	}
	return mirror.New(mirror.Options{Dirs: cfg.Images.MirrorDirs, Downloader: d,
		ThumbWidth: cfg.Images.ThumbWidth, ThumbHeight: cfg.Images.ThumbHeight})
}

// localBase is the file: URL of src's feed when the config reads it from
// a local file, else "": only such a feed's images may name local files.
func localBase(src *config.Source) string {
	if src == nil || !fetch.IsLocal(src.FetchURL) {
		return ""
	}
	if strings.HasPrefix(src.FetchURL, "file:") {
		if u, err := url.Parse(src.FetchURL); err == nil && u.Path != "" {
			return mirror.FileURL(filepath.FromSlash(u.Path))
		}
		return ""
	}
	return mirror.FileURL(src.FetchURL)
}

// fallback is images.fallback applied to an image URL that is not
// mirrored: the original, a prefix proxy's URL, or "" (dropped). A local
// file's URL is always dropped: it means nothing outside this machine.
func (r *Runner) fallback(u string) string {
	if strings.HasPrefix(u, "file:") {
		return ""
	}
	switch fb := r.cfg.Images.Fallback; fb {
	case "", "original":
		return u
	case "drop":
		return ""
	default:
		return content.ProxyImage(u, content.Options{ProxyURL: content.PrefixProxy(fb), ProxyScope: r.cfg.Images.ProxyScope})
	}
}

// imageMap is how one rendering of a post treats its images in mirror
// mode: it records them (record), or maps each to its mirror URL.
type imageMap struct {
	record bool
	local  bool // the post's feed is a local file: file: URLs may be recorded
	uses   []store.PostImage
	seen   map[string]bool

	images    map[string]store.Image // by URL, for mapping
	mirrorURL string
	fallback  func(string) string
}

// image is content.Options.ProxyURL and LocalImage.
func (m *imageMap) image(u string) string {
	if m.record {
		if strings.HasPrefix(u, "file:") && !m.local {
			return "" // never: only a local feed's images may be local files
		}
		if !m.seen[u] {
			if m.seen == nil {
				m.seen = map[string]bool{}
			}
			m.seen[u] = true
			m.uses = append(m.uses, store.PostImage{URL: u})
		}
		return u
	}
	if im, ok := m.images[u]; ok && im.Mirrored() {
		return m.mirrorURL + im.Name
	}
	return m.fallback(u)
}

// cover records or maps the cover; thumb is its thumbnail's URL ("" when
// none).
func (m *imageMap) cover(u string) (cover, thumb string) {
	if u == "" || strings.HasPrefix(u, "data:") {
		return u, ""
	}
	if m.record {
		c := m.image(u)
		if c != "" {
			for i := range m.uses {
				if m.uses[i].URL == u {
					m.uses[i].Cover = true
				}
			}
		}
		return c, ""
	}
	c := m.image(u)
	if im, ok := m.images[u]; ok && im.Mirrored() && im.Thumb != "" {
		thumb = m.mirrorURL + im.Thumb
	}
	return c, thumb
}

// mirrorOptions are the content options of a rendering through m.
func (r *Runner) mirrorOptions(copt content.Options, m *imageMap) content.Options {
	copt.ProxyURL = m.image
	copt.ProxyScope = "all"
	copt.LocalImage = m.image
	return copt
}

// provisional is the map of a rendering made without the images table (a
// fetch's, in mirror mode): every image as not mirrored yet. The builder
// renders the post again with its images before writing it.
func (r *Runner) provisional() *imageMap {
	return &imageMap{fallback: r.fallback, mirrorURL: r.cfg.Images.MirrorURL}
}

// mirrorBatch renders the posts of items with their images mirrored:
// it records the images each uses, mirrors those not yet mirrored (durable
// before it returns), and returns the posts, their renderings and uses.
func (r *Runner) mirrorBatch(ctx context.Context, items []store.Item) ([]post.Post, []store.Rendering, map[string][]store.PostImage, ImageCounts, error) {
	uses := make(map[string][]store.PostImage, len(items))
	var urls []string
	covers := map[string]bool{}
	seen := map[string]bool{}
	for i := range items {
		it := &items[i]
		rec := &imageMap{record: true, local: localBase(r.sources[it.SourceKey]) != ""}
		r.renderPost(it, rec)
		uses[it.ID] = rec.uses
		for _, u := range rec.uses {
			if !seen[u.URL] {
				seen[u.URL] = true
				urls = append(urls, u.URL)
			}
			if u.Cover {
				covers[u.URL] = true
			}
		}
	}
	images, counts, err := r.ensureImages(ctx, urls, covers, false)
	if err != nil {
		return nil, nil, nil, counts, err
	}
	posts := make([]post.Post, len(items))
	rs := make([]store.Rendering, len(items))
	for i := range items {
		it := &items[i]
		m := &imageMap{images: images, mirrorURL: r.cfg.Images.MirrorURL, fallback: r.fallback}
		posts[i] = r.renderPost(it, m)
		meta, body := encodePost(&posts[i])
		rs[i] = store.Rendering{ID: it.ID, Rendered: meta, Body: body, Fingerprint: r.fingerprint(it.SourceKey)}
	}
	return posts, rs, uses, counts, nil
}

// imageFailures bound how long a failed image waits: a transient failure
// (timeout, 5xx) 10 minutes doubling up to a day, a lasting one (404, not
// an image, too large) 6 hours doubling up to a week. It is never given up
// on: an origin that comes back gets its pictures mirrored.
func imageBackoff(failures int, transient bool) time.Duration {
	base, ceiling := 6*time.Hour, 7*24*time.Hour
	if transient {
		base, ceiling = 10*time.Minute, 24*time.Hour
	}
	d := base
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// ensureImages makes sure each of urls is mirrored, and each of covers
// has its thumbnail: an image mirrored before is reused (copied again into
// a folder that lost it), one that failed is tried again only once its
// next try has come (retry: whatever the time), and the others are
// downloaded, fetch.concurrency at a time (imagefetch keeps fetch.per_host
// per host). Files are durable when it returns, and the images table
// updated. It returns every image of urls the store knows.
func (r *Runner) ensureImages(ctx context.Context, urls []string, covers map[string]bool, retry bool) (map[string]store.Image, ImageCounts, error) {
	var counts ImageCounts
	if len(urls) == 0 {
		return map[string]store.Image{}, counts, nil
	}
	images, err := r.st.Images(ctx, urls)
	if err != nil {
		return nil, counts, err
	}
	spec := r.cfg.Images.ThumbSpec()
	now := r.now()
	w := output.NewWriter(output.WriterOptions{Durable: true})
	var todo []string
	var thumbs []string
	for _, u := range urls {
		im, ok := images[u]
		switch {
		case ok && im.Mirrored():
			if !r.mirror.Present(im.Name, im.Size) {
				restored, err := r.mirror.Restore(im.Name, im.Size, w)
				if err != nil {
					return nil, counts, err
				}
				if !restored {
					todo = append(todo, u) // gone from every folder: download again
					continue
				}
			}
			counts.Reused++
			if covers[u] && im.ThumbSpec != spec || (im.Thumb != "" && !r.mirror.Present(im.Thumb, -1)) {
				thumbs = append(thumbs, u)
			}
		case ok && !retry && now.Before(im.NextTry):
			counts.Failed++ // tried before and waiting: the posts keep the fallback
		default:
			todo = append(todo, u)
		}
	}

	type got struct {
		url string
		f   mirror.File
		err error
	}
	results := make([]got, len(todo))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(max(r.cfg.Fetch.Concurrency, 1), len(todo)) {
		wg.Go(func() {
			for i := range jobs {
				u := todo[i]
				f, err := r.mirror.Get(ctx, u, strings.HasPrefix(u, "file:"), w)
				results[i] = got{url: u, f: f, err: err}
			}
		})
	}
feed:
	for i := range todo {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, counts, err
	}
	var changed []store.Image
	var localErr error
	for _, res := range results {
		im := images[res.url]
		im.URL = res.url
		var fe *imagefetch.Error
		switch {
		case res.err == nil:
			im = store.Image{URL: res.url, Name: res.f.Name, Size: res.f.Size, Width: res.f.Width, Height: res.f.Height}
			counts.Mirrored++
			if covers[res.url] && spec != "" {
				thumbs = append(thumbs, res.url)
			}
		case errors.As(res.err, &fe) && fe.Kind != imagefetch.KindCanceled:
			im.Name, im.Size, im.Width, im.Height = "", 0, 0, 0
			im.Failures++
			im.LastError = fe.Reason()
			im.NextTry = now.Add(imageBackoff(im.Failures, fe.Transient()))
			counts.Failed++
		default:
			localErr = errors.Join(localErr, res.err)
			continue
		}
		images[res.url] = im
		changed = append(changed, im)
	}
	// The downloads in place and on disk before anything names them.
	if err := errors.Join(localErr, w.Sync()); err != nil {
		return nil, counts, err
	}
	if len(thumbs) > 0 {
		tw := output.NewWriter(output.WriterOptions{Durable: true})
		made, err := r.thumbnails(thumbs, images, tw)
		if err == nil {
			err = tw.Sync()
		}
		if err != nil {
			return nil, counts, err
		}
		for _, im := range made {
			images[im.URL] = im
		}
		changed = append(changed, made...)
	}
	if err := r.st.PutImages(ctx, changed); err != nil {
		return nil, counts, err
	}
	return images, counts, nil
}

// thumbnails makes the cover thumbnails of urls (mirrored images), a core
// each: decoding a large picture takes memory, so no more at once.
func (r *Runner) thumbnails(urls []string, images map[string]store.Image, w *output.Writer) ([]store.Image, error) {
	spec := r.cfg.Images.ThumbSpec()
	out := make([]store.Image, 0, len(urls))
	var mu sync.Mutex
	var failed errOnce
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(urls)) {
		wg.Go(func() {
			for u := range jobs {
				im := images[u]
				if !im.Mirrored() {
					continue
				}
				name, err := r.mirror.Thumbnail(mirror.File{Name: im.Name, Type: typeOf(im.Name), Size: im.Size,
					Width: im.Width, Height: im.Height}, w)
				if errors.Is(err, mirror.ErrUnreadable) {
					// A picture whose header passed but whose pixels do not
					// decode: its card shows the full image.
					name, err = "", nil
				}
				if err != nil {
					failed.set(err)
					continue
				}
				im.Thumb, im.ThumbSpec = name, spec
				if name == im.Name {
					im.Thumb = "" // the original is its own thumbnail
				}
				mu.Lock()
				out = append(out, im)
				mu.Unlock()
			}
		})
	}
	for _, u := range urls {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	return out, failed.get()
}

// typeOf is the image type of a mirrored file's name.
func typeOf(name string) string {
	switch filepath.Ext(name) {
	case ".jpg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	}
	return ""
}

// retryImages tries again the failed images whose next try has come and
// that live posts still use; the posts of those that arrive become
// pending, so that this build writes them with their pictures.
func (r *Runner) retryImages(ctx context.Context) (ImageCounts, error) {
	due, err := r.st.DueImages(ctx, r.now(), 1000)
	if err != nil || len(due) == 0 {
		return ImageCounts{}, err
	}
	images, counts, err := r.ensureImages(ctx, due, nil, true)
	if err != nil {
		return counts, err
	}
	var arrived []string
	for _, u := range due {
		if images[u].Mirrored() {
			arrived = append(arrived, u)
		}
	}
	if len(arrived) > 0 {
		if _, err := r.st.MarkPendingUsing(ctx, arrived); err != nil {
			return counts, err
		}
	}
	// Those counted again when their posts are written: count the tries
	// here only as failures or arrivals.
	return ImageCounts{Mirrored: counts.Mirrored, Failed: counts.Failed}, nil
}

// markStale makes pending the posts whose stored rendering was made under
// other settings (every post with all), so that writePending renders them
// again with their images (mirror mode renders only there).
func (r *Runner) markStale(ctx context.Context, all bool) error {
	if all {
		return r.st.MarkPending(ctx, nil)
	}
	stale, err := r.staleIDs(ctx)
	if err != nil || len(stale) == 0 {
		return err
	}
	return r.st.MarkPending(ctx, stale)
}

// MirrorOn reports whether images are mirrored (images.proxy: mirror).
func (r *Runner) MirrorOn() bool { return r.mirror != nil }

// PruneImages removes (or, with dryRun, lists) the mirrored files that no
// live post uses — what `feedpost prune --images` shows — and forgets the
// images no live post uses. It is a no-op outside mirror mode.
func (r *Runner) PruneImages(ctx context.Context, dryRun bool) ([]string, error) {
	if r.mirror == nil {
		return nil, nil
	}
	used, err := r.st.UsedImageNames(ctx)
	if err != nil {
		return nil, err
	}
	orphans, err := r.mirror.Orphans(used)
	if err != nil || dryRun {
		return orphans, err
	}
	if err := mirror.RemoveFiles(orphans); err != nil {
		return orphans, fmt.Errorf("remove unused images: %w", err)
	}
	_, err = r.st.DeleteUnusedImages(ctx)
	return orphans, err
}
