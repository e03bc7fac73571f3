package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// renderAll renders items and keeps each rendered post in the item, so that
// whole-site outputs can be built from the store without rendering again.
func (r *Runner) renderAll(items []store.Item) []post.Post {
	posts := make([]post.Post, len(items))
	for i := range items {
		posts[i] = r.Render(&items[i])
		items[i].Rendered, items[i].Body = encodePost(&posts[i])
		items[i].Pending = true
	}
	return posts
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

// writePosts writes the per-post files (Hexo, Hugo) of items in one batch
// (output.WriteFiles: one flush to disk for the batch instead of one per
// file), then marks the items written. It returns how many files changed.
func (r *Runner) writePosts(items []store.Item, posts []post.Post) (int, error) {
	if err := r.markSiteStale(); err != nil {
		return 0, err
	}
	files := make([]output.File, 0, 2*len(posts))
	for _, p := range posts {
		if r.hexo.Dir != "" {
			files = append(files, hexo.File(p, r.hexo))
		}
		if r.hugo.Dir != "" {
			f, err := hugo.File(p, r.hugo)
			if err != nil {
				return 0, fmt.Errorf("post %s: %w", p.ID, err)
			}
			files = append(files, f)
		}
	}
	done, err := output.WriteFiles(files)
	written := 0
	for _, w := range done {
		if w {
			written++
		}
	}
	if err != nil {
		return written, err // the items stay pending: the next run finishes them
	}
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].ID
	}
	return written, r.st.MarkWritten(ids)
}

// writePost writes p to every per-post output through w (a durable
// Writer: the files are in place and durable once w.Sync returns) and
// returns how many files changed.
func (r *Runner) writePost(w *output.Writer, p post.Post) (int, error) {
	n := 0
	if r.hexo.Dir != "" {
		f := hexo.File(p, r.hexo)
		ok, err := w.Update(f.Path, f.Data)
		if err != nil {
			return n, fmt.Errorf("post %s: hexo: %w", p.ID, err)
		}
		if ok {
			n++
		}
	}
	if r.hugo.Dir != "" {
		f, err := hugo.File(p, r.hugo)
		if err != nil {
			return n, fmt.Errorf("post %s: %w", p.ID, err)
		}
		ok, err := w.Update(f.Path, f.Data)
		if err != nil {
			return n, fmt.Errorf("post %s: hugo: %w", p.ID, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// removeTemp deletes temp files a killed run may have left in the outputs.
func (r *Runner) removeTemp() {
	for _, dir := range []string{r.hexo.Dir, r.hugo.Dir} {
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
		body, rendered, err := r.st.PostBody(id)
		if err != nil || body != "" {
			return body, err
		}
		// An empty body, or an item stored before bodies had their own
		// column (its body is inside rendered).
		p, err := r.storedPost(id, rendered)
		return p.Body, err
	}
	st, err := site.BuildEach(func(add func(post.Post)) error {
		return r.st.EachRendered(func(id string, rendered []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			p, err := r.storedPost(id, rendered)
			if err != nil {
				return err
			}
			p.Body = ""
			add(p)
			return nil
		})
	}, opt)
	if err != nil {
		return st, fmt.Errorf("site %s: %w", r.cfg.Site.Dir, err)
	}
	if err := os.Remove(r.staleMarker()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	return st, nil
}

// The stale marker is a file in site.dir that exists from the moment post
// files change until the site has been rebuilt from them. A run killed in
// between leaves it, and the next run rebuilds the site even when it finds
// nothing new to fetch.
func (r *Runner) staleMarker() string { return filepath.Join(r.cfg.Site.Dir, ".feedpost-stale") }

func (r *Runner) markSiteStale() error {
	if r.cfg.Site.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(r.cfg.Site.Dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(r.staleMarker(), nil, 0o644)
}

// siteStale reports whether post files changed since the last site build.
func (r *Runner) siteStale() bool {
	if r.cfg.Site.Dir == "" {
		return false
	}
	_, err := os.Stat(r.staleMarker())
	return err == nil
}

// storedPost decodes the rendered post kept for item id, or renders the item
// again when none is kept (stored before rendered posts were).
func (r *Runner) storedPost(id string, rendered []byte) (post.Post, error) {
	var p post.Post
	if len(rendered) > 0 && json.Unmarshal(rendered, &p) == nil {
		return p, nil
	}
	it, found, err := r.st.Item(id)
	if err != nil || !found {
		return p, fmt.Errorf("post %s: %w", id, cmp.Or(err, store.ErrNotFound))
	}
	return r.Render(&it), nil
}

func (r *Runner) siteOptions() site.Options {
	c := r.cfg.Site
	return site.Options{Dir: c.Dir, Title: c.Title, URL: c.URL, Language: c.Language, PerPage: c.PerPage,
		Templates: c.Templates, Location: c.Location}
}
