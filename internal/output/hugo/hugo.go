// Package hugo writes posts as Hugo content files: `<Dir>/<id>.md` (the flat
// `content/posts/<id>.md` layout) with YAML front matter that Hugo reads
// natively and the cleaned HTML body.
//
// Choices, and why:
//   - `markup: html` tells Hugo to pass the body through as HTML instead of
//     running it through Goldmark, so posts render with Hugo's default config
//     (Goldmark drops raw HTML unless markup.goldmark.renderer.unsafe is set)
//     and nothing in a feed's text is ever read as Markdown.
//   - Dates are quoted RFC 3339 strings with the site's offset: Hugo parses
//     them to the same instant whatever the build machine's zone.
//   - author, source and source_url sit under `params:`, where Hugo ≥ 0.123
//     wants custom fields (they read back as .Params.author etc.; older Hugo
//     exposes them as .Params.params.author).
//   - Braces are escaped as &#123; / &#125; by default, because Hugo fails the
//     whole build on a `{{<` or `{{%` it cannot resolve as a shortcode, and
//     those are processed in HTML content too.
package hugo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

// Options are the `hugo:` settings the writer needs.
type Options struct {
	Dir string // content folder of the posts, e.g. <site>/content/posts
	// EscapeBraces turns { and } in the body into &#123; and &#125;. It should
	// be true (see NewOptions): without it one `{{<` in a feed breaks the
	// whole Hugo build.
	EscapeBraces bool
}

// NewOptions returns the default options for dir (braces escaped).
func NewOptions(dir string) Options { return Options{Dir: dir, EscapeBraces: true} }

// Path is the file of post id under dir.
func Path(dir, id string) string { return filepath.Join(dir, id+".md") }

// Write writes p to <Dir>/<id>.md atomically and reports whether the file
// changed; a file that already holds the same bytes is left alone (content
// and mtime), so a run with nothing new does not make Hugo rebuild.
func Write(p post.Post, opt Options) (written bool, err error) {
	f, err := File(p, opt)
	if err != nil {
		return false, err
	}
	written, err = output.WriteFile(f.Path, f.Data)
	if err != nil {
		return false, fmt.Errorf("hugo: %w", err)
	}
	return written, nil
}

// File returns p's content file without writing it, for output.WriteFiles,
// which makes a batch of posts durable with one flush to disk instead of one
// per post. It fails like Write on a missing folder or an unsafe id.
func File(p post.Post, opt Options) (output.File, error) {
	if opt.Dir == "" {
		return output.File{}, fmt.Errorf("hugo: write post %s: no output folder (hugo.dir) set", p.ID)
	}
	if p.ID == "" || strings.ContainsAny(p.ID, `/\`) || p.ID == "." || p.ID == ".." {
		return output.File{}, fmt.Errorf("hugo: write post: invalid id %q", p.ID)
	}
	return output.File{Path: Path(opt.Dir, p.ID), Data: Render(p, opt)}, nil
}

// Remove deletes the file of post id (retention); a missing file is fine.
func Remove(id string, opt Options) error {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return fmt.Errorf("hugo: remove post: invalid id %q", id)
	}
	err := os.Remove(Path(opt.Dir, id))
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("hugo: remove post %s: %w", id, err)
	}
	return nil
}

// Render returns the bytes of p's content file. Every scalar is quoted
// (output.Quote) so that any title, category or URL reads back unchanged.
func Render(p post.Post, opt Options) []byte {
	var b strings.Builder
	b.Grow(len(p.Body) + 512)
	line := func(key, val string) { b.WriteString(key + ": " + output.Quote(val) + "\n") }

	b.WriteString("---\n")
	line("title", p.Title)
	if !p.Date.IsZero() {
		line("date", p.Date.Format(time.RFC3339))
	}
	if !p.Updated.IsZero() {
		line("lastmod", p.Updated.Format(time.RFC3339))
	}
	b.WriteString("draft: false\n")
	b.WriteString("markup: html\n")
	if len(p.Categories) > 0 {
		b.WriteString("categories:\n")
		for _, c := range p.Categories {
			b.WriteString("  - " + output.Quote(c) + "\n")
		}
	}
	if p.Cover != "" {
		b.WriteString("images:\n  - " + output.Quote(p.Cover) + "\n")
	}
	b.WriteString("params:\n")
	line("  author", p.Author)
	line("  source", p.SourceName)
	if p.Link != "" {
		line("  source_url", p.Link)
	}
	b.WriteString("---\n\n")
	b.WriteString(output.HTMLBlock(p.Body, opt.EscapeBraces))
	return []byte(b.String())
}
