package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// renderAll renders items and keeps each rendering in the item (with its
// fingerprint), so that the builder and the whole-site outputs need not
// render again.
func (r *Runner) renderAll(items []store.Item) {
	for i := range items {
		p := r.Render(&items[i])
		items[i].Rendered, items[i].Body = encodePost(&p)
		items[i].Fingerprint = r.fingerprint(items[i].SourceKey)
	}
}

// encodePost is what the store keeps of p: the JSON of p without its body
// (store.Item.Rendered), and the body (store.Item.Body). Listing every post
// for the site then decodes a few hundred bytes per post, and a post page
// takes its body as is; JSON-escaping and unescaping 8 KB of HTML per post
// was a fifth of a whole cycle's CPU.
func encodePost(p *post.Post) (rendered []byte, body string) {
	meta := *p
	meta.Body = ""
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles may hold < and &: \u003c makes them larger and slower to decode
	enc.Encode(&meta)        // a Post always marshals
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), p.Body
}

// postFiles appends the per-post files (Hexo, Hugo) of p.
func (r *Runner) postFiles(files []output.File, p *post.Post) ([]output.File, error) {
	if r.hexo.Dir != "" {
		files = append(files, hexo.File(*p, r.hexo))
	}
	if r.hugo.Dir != "" {
		f, err := hugo.File(*p, r.hugo)
		if err != nil {
			return files, fmt.Errorf("post %s: %w", p.ID, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// writeFiles writes files in one batch (output.WriteFiles: one flush to
// disk for the batch) and returns how many changed.
func writeFiles(files []output.File) (int, error) {
	done, err := output.WriteFiles(files)
	written := 0
	for _, w := range done {
		if w {
			written++
		}
	}
	return written, err
}

// removeTemp deletes temp files a killed run may have left in the outputs.
func (r *Runner) removeTemp() {
	for _, dir := range append([]string{r.hexo.Dir, r.hugo.Dir}, r.cfg.Images.MirrorDirs...) {
		if dir != "" {
			output.RemoveTemp(dir)
		}
	}
}

// BuildSite rebuilds the built-in site from the posts kept in the store
// (no re-rendering: each item holds its last rendered post). Only pages whose
// bytes change are written. It is a no-op when site.dir is "".
func (r *Runner) BuildSite(ctx context.Context) (site.Stats, error) {
	if r.cfg.Site.Dir == "" {
		return site.Stats{}, nil
	}
	// Posts are streamed from the store without their bodies, which the
	// builder loads when it writes a page that shows one (Options.Body):
	// the builder keeps a few hundred bytes per post, not the posts.
	opt := r.siteOptions()
	opt.Body = func(id string) (string, error) {
		body, rendered, err := r.st.PostBody(ctx, id)
		if err != nil || body != "" {
			return body, err
		}
		// An empty body, or an item stored before bodies had their own
		// column (its body is inside rendered).
		p, err := r.storedPost(ctx, id, rendered)
		return p.Body, err
	}
	st, err := site.BuildEach(func(add func(post.Post)) error {
		return r.st.EachRendered(ctx, func(id string, rendered []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			p, err := r.storedPost(ctx, id, rendered)
			if err != nil {
				return err
			}
			p.Body = ""
			if p.Thumbnail != "" {
				p.Cover = p.Thumbnail // the site shows covers on its cards only
			}
			add(p)
			return nil
		})
	}, opt)
	if err != nil {
		return st, fmt.Errorf("site %s: %w", r.cfg.Site.Dir, err)
	}
	return st, nil
}

// storedPost decodes the rendered post kept for item id, or renders the item
// again when none is kept (stored before rendered posts were).
func (r *Runner) storedPost(ctx context.Context, id string, rendered []byte) (post.Post, error) {
	var p post.Post
	if len(rendered) > 0 && json.Unmarshal(rendered, &p) == nil {
		return p, nil
	}
	it, found, err := r.st.Item(ctx, id)
	if err != nil || !found {
		return p, fmt.Errorf("post %s: %w", id, cmp.Or(err, store.ErrNotFound))
	}
	return r.Render(&it), nil
}

func (r *Runner) siteOptions() site.Options {
	c := r.cfg.Site
	return site.Options{Dir: c.Dir, Title: c.Title, URL: c.URL, Language: c.Language, PerPage: c.PerPage,
		Templates: c.Templates, Location: c.Location, DefaultCover: r.siteCover(), MirrorURL: r.siteMirrorURL()}
}

// siteMirrorURL is the prefix of mirrored image URLs in the stored posts
// when the site keeps its own copies (<site.dir>/images), else "".
func (r *Runner) siteMirrorURL() string {
	if r.mirror == nil || r.cfg.Images.SiteMirrorDir == "" {
		return ""
	}
	return r.cfg.Images.MirrorURL
}

// siteCover is images.default_cover as the built-in site shows it for a post
// without a cover and in place of a cover that fails to load: one URL for the
// whole site (a page's error handler swaps in one address), so its "{n}" is
// the number of no post in particular, and it is proxied as covers are. ""
// (no default cover) leaves the site its own generated cover.
func (r *Runner) siteCover() string {
	return content.ProxyImage(content.Cover(nil, "", r.cfg.Images.DefaultCover, "site"), r.copt)
}
