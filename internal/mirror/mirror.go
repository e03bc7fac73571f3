// Package mirror keeps the copies of post images that a blog publishes
// itself (images.proxy: mirror): each image is downloaded once, by the one
// image downloader (internal/imagefetch, with its Referer table, address
// guard, size, time and pixel caps and sniffing), and written under a
// content-addressed name — the hex SHA-256 of its bytes and an extension —
// into every folder an output serves it from, through the one output
// writer (internal/output: temp file and rename, made durable by batch).
// The same picture in many posts, or at many URLs, is one file.
//
// It also makes cover thumbnails (thumb.go) and finds the files no post
// uses any more (Orphans). Which post uses which image, and what failed,
// is the store's (internal/store, images and post_images); the pipeline's
// builder decides when to call what.
package mirror

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/feedpost/feedpost/internal/imagefetch"
	"github.com/feedpost/feedpost/internal/output"
)

// Options configure a Mirror.
type Options struct {
	// Dirs are the folders every mirrored file is written to (one per
	// output that serves them). The first also holds the downloads in
	// progress (hidden temp files).
	Dirs []string
	// Downloader fetches http(s) images, and reads the local ones.
	Downloader *imagefetch.Downloader
	// ThumbWidth × ThumbHeight is the size of cover thumbnails; 0: none.
	ThumbWidth, ThumbHeight int
}

// Mirror writes mirrored images into its folders. It is safe for
// concurrent use.
type Mirror struct {
	opt Options
	seq atomic.Uint64
}

// New returns a Mirror for opt.
func New(opt Options) (*Mirror, error) {
	if len(opt.Dirs) == 0 {
		return nil, errors.New("mirror: no folder to write images to")
	}
	if opt.Downloader == nil {
		return nil, errors.New("mirror: no downloader")
	}
	return &Mirror{opt: opt}, nil
}

// Dirs are the folders the Mirror writes to.
func (m *Mirror) Dirs() []string { return m.opt.Dirs }

// File is a mirrored image.
type File struct {
	Name          string // hex SHA-256 + extension
	Type          string // image/jpeg, …
	Size          int64
	Width, Height int
}

// Get downloads the image at rawURL — an http(s) URL, or a file: URL when
// local is true (the image of a feed the operator configured as a local
// file) — and puts it into every folder through w, a durable Writer: the
// file is in place once w.Sync returns. An image whose file is already in
// every folder is not written again. Errors are *imagefetch.Error for the
// image's own failures (its Transient says whether to try again soon);
// any other error is local (a full disk).
func (m *Mirror) Get(ctx context.Context, rawURL string, local bool, w *output.Writer) (File, error) {
	if _, err := w.Mkdir(m.opt.Dirs[0]); err != nil {
		return File{}, fmt.Errorf("mirror: %w", err)
	}
	tmp, err := m.tempFile()
	if err != nil {
		return File{}, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	var img *imagefetch.Image
	if local {
		path, ok := LocalPath(rawURL)
		if !ok {
			return File{}, &imagefetch.Error{Kind: imagefetch.KindBadURL, URL: rawURL, Err: errors.New("not a local file URL")}
		}
		img, err = m.opt.Downloader.ReadFile(ctx, path, tmp)
	} else {
		img, err = m.opt.Downloader.Fetch(ctx, rawURL, tmp)
	}
	if err != nil {
		var fe *imagefetch.Error
		if errors.As(err, &fe) && fe.Kind == imagefetch.KindLocal {
			return File{}, fmt.Errorf("mirror %s: %w", rawURL, err)
		}
		return File{}, err
	}
	f := File{Name: hex.EncodeToString(img.SHA256[:]) + Ext(img.Type), Type: img.Type, Size: img.Size,
		Width: img.Width, Height: img.Height}
	for _, dir := range m.opt.Dirs {
		path := filepath.Join(dir, f.Name)
		if sameSize(path, f.Size) {
			continue // content-addressed: the same name is the same bytes
		}
		if _, err := w.WriteStream(path, func(out io.Writer) error {
			_, err := io.Copy(out, io.NewSectionReader(tmp, 0, f.Size))
			return err
		}); err != nil {
			return File{}, fmt.Errorf("mirror %s: %w", rawURL, err)
		}
	}
	return f, nil
}

// tempFile makes the file a download goes to: hidden, in the first folder,
// named like the output writer's temp files so that a killed run's
// leftovers are swept with theirs (output.RemoveTemp).
func (m *Mirror) tempFile() (*os.File, error) {
	name := filepath.Join(m.opt.Dirs[0], ".download.tmp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(m.seq.Add(1), 10))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	return f, nil
}

// Present reports whether the file name is in every folder (size as
// given; size < 0 accepts any size).
func (m *Mirror) Present(name string, size int64) bool {
	for _, dir := range m.opt.Dirs {
		if !sameSize(filepath.Join(dir, name), size) {
			return false
		}
	}
	return true
}

// Restore copies the file name into the folders that lack it from one
// that has it (an output folder deleted or added since the image was
// mirrored); false when no folder has it (it must be downloaded again).
func (m *Mirror) Restore(name string, size int64, w *output.Writer) (bool, error) {
	var src string
	var missing []string
	for _, dir := range m.opt.Dirs {
		p := filepath.Join(dir, name)
		if sameSize(p, size) {
			if src == "" {
				src = p
			}
		} else {
			missing = append(missing, p)
		}
	}
	if src == "" {
		return false, nil
	}
	for _, p := range missing {
		if _, err := w.WriteStream(p, func(out io.Writer) error {
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(out, f)
			return err
		}); err != nil {
			return false, fmt.Errorf("mirror: %w", err)
		}
	}
	return true, nil
}

// Open opens the file name from the first folder that has it.
func (m *Mirror) Open(name string) (*os.File, error) {
	var err error
	for _, dir := range m.opt.Dirs {
		var f *os.File
		if f, err = os.Open(filepath.Join(dir, name)); err == nil {
			return f, nil
		}
	}
	return nil, err
}

func sameSize(path string, size int64) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && (size < 0 || fi.Size() == size)
}

// Ext is the file extension of an image type.
func Ext(ctype string) string {
	switch ctype {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "image/avif":
		return ".avif"
	}
	return ".img"
}

// nameRE matches the names the mirror writes: a hex SHA-256, for a
// thumbnail its size, and an extension.
var nameRE = regexp.MustCompile(`^[0-9a-f]{64}(-[0-9]+x[0-9]+)?\.(jpg|png|gif|webp|avif)$`)

// IsName reports whether name is one the mirror writes, so that finding
// orphans never touches a file of anybody else.
func IsName(name string) bool { return nameRE.MatchString(name) }

// Orphans lists the mirror's files, in every folder, whose names are not
// in used: what no live post needs any more.
func (m *Mirror) Orphans(used map[string]bool) ([]string, error) {
	var out []string
	for _, dir := range m.opt.Dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("mirror: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && IsName(e.Name()) && !used[e.Name()] {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out, nil
}

// LocalPath is the path a file: URL names ("" and false for anything
// else, and for a file URL naming another host).
func LocalPath(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", false
	}
	return filepath.FromSlash(u.Path), true
}

// FileURL is the file: URL of an absolute path.
func FileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}
