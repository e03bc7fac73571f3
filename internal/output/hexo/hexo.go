// Package hexo writes posts as Hexo Markdown files (docs/post-format.md): YAML front
// matter in the order the sample post has it, then the cleaned HTML body in a
// <div> block.
package hexo

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

// Options are the `hexo:` settings the writer needs.
type Options struct {
	Dir          string
	CoverKeys    []string
	Comments     bool
	EscapeBraces bool
}

// Path is the file of post id under dir.
func Path(dir, id string) string { return filepath.Join(dir, id+".md") }

// Write writes p to <Dir>/<id>.md atomically and reports whether the file
// changed; an identical file is left alone (content and mtime).
func Write(p post.Post, opt Options) (bool, error) {
	return output.WriteFile(Path(opt.Dir, p.ID), Render(p, opt))
}

// File returns p's post file without writing it, for output.WriteFiles,
// which makes a batch of posts durable with one flush to disk instead of one
// per post.
func File(p post.Post, opt Options) output.File {
	return output.File{Path: Path(opt.Dir, p.ID), Data: Render(p, opt)}
}

// Remove deletes the file of post id (retention); a missing file is fine.
func Remove(id string, opt Options) error {
	err := os.Remove(Path(opt.Dir, id))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// Render returns the bytes of p's post file.
//
// Front matter order: title, categories, the first cover key, author,
// comments, date, the other cover keys, then updated and source_url. Dates are
// single-quoted RFC 3339 strings with the site's offset: hexo-front-matter
// reads an unquoted YAML timestamp as the build machine's local time, while a
// quoted string goes through `new Date(str)` and keeps its instant.
func Render(p post.Post, opt Options) []byte {
	b := make([]byte, 0, len(p.Body)+len(p.Body)/16+512)
	line := func(parts ...string) {
		for _, s := range parts {
			b = append(b, s...)
		}
		b = append(b, '\n')
	}
	line("---")
	line("title: ", output.Quote(p.Title))
	line("categories:")
	for _, c := range p.Categories {
		line(" - ", output.Scalar(c))
	}
	cover := func(key string) {
		if p.Cover != "" {
			line(key, ": ", output.Quote(p.Cover))
		}
	}
	if len(opt.CoverKeys) > 0 {
		cover(opt.CoverKeys[0])
	}
	line("author: ", output.Scalar(p.Author))
	line("comments: ", strconv.FormatBool(opt.Comments))
	line("date: ", output.Quote(p.Date.Format(time.RFC3339)))
	for _, k := range opt.CoverKeys[min(1, len(opt.CoverKeys)):] {
		cover(k)
	}
	if !p.Updated.IsZero() {
		line("updated: ", output.Quote(p.Updated.Format(time.RFC3339)))
	}
	if p.Link != "" {
		line("source_url: ", output.Quote(p.Link))
	}
	line("---")
	b = append(b, '\n')
	return output.AppendHTMLBlock(b, p.Body, opt.EscapeBraces)
}
