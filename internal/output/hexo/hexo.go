// Package hexo writes posts as Hexo Markdown files (docs/post-format.md):
// YAML front matter in the order the sample post has it, with the keys the
// blog's theme reads (presets, preset.go), then the cleaned HTML body in a
// <div> block. It also keeps the feed authors' entries of a theme's authors
// data file (authors.go) and reads the blog's _config.yml (blog.go).
package hexo

import (
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

// Options are the `hexo:` settings the writer needs, with the theme preset
// already applied (config resolves `hexo.theme`).
type Options struct {
	Dir          string
	CoverKeys    []string
	CardKey      string // the cover key that gets the thumbnail (Theme.CardKey)
	Comments     bool
	EscapeBraces bool
	// LinkKey is the front-matter key that links to the original article,
	// written as LinkStyle says; "" writes none (see LinkText).
	LinkKey   string
	LinkStyle LinkStyle
	// AuthorKey and SiteKey are further keys for the source's name and the
	// original article's site (Butterfly's copyright block); "" for none.
	AuthorKey string
	SiteKey   string
	// LinkText is the text of the paragraph that ends the body with a link
	// to the original article when LinkKey is "" ("阅读原文"); "" writes no
	// paragraph.
	LinkText string
	// NameSource makes that paragraph name the source too, for themes that
	// show no author.
	NameSource bool
	// FullwidthPercent writes % in the title as ％ (see Theme).
	FullwidthPercent bool
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
// comments, date, the other cover keys, then updated, source_url and the
// theme's link, author and site keys. Dates are single-quoted RFC 3339
// strings with the site's offset: hexo-front-matter reads an unquoted YAML
// timestamp as the build machine's local time, while a quoted string goes
// through `new Date(str)` and keeps its instant. `updated` is always
// written (the feed's updated time, else the date): without it Hexo shows
// the file's mtime, and themes that print `updated` on their cards
// (Volantis) would date every post the day feedpost wrote it.
func Render(p post.Post, opt Options) []byte {
	b := make([]byte, 0, len(p.Body)+len(p.Body)/16+512)
	line := func(parts ...string) {
		for _, s := range parts {
			b = append(b, s...)
		}
		b = append(b, '\n')
	}
	line("---")
	title := p.Title
	if opt.FullwidthPercent {
		title = strings.ReplaceAll(title, "%", "％")
	}
	line("title: ", output.Quote(title))
	line("categories:")
	for _, c := range p.Categories {
		line(" - ", output.Scalar(c))
	}
	cover := func(key string) {
		switch {
		case key == opt.CardKey && p.Thumbnail != "":
			line(key, ": ", output.Quote(p.Thumbnail))
		case p.Cover != "":
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
	updated := p.Updated
	if updated.IsZero() {
		updated = p.Date
	}
	line("updated: ", output.Quote(updated.Format(time.RFC3339)))
	if p.Link != "" {
		line("source_url: ", output.Quote(p.Link))
		switch {
		case opt.LinkKey == "" || opt.LinkKey == "source_url":
		case opt.LinkStyle == LinkReferences:
			line(opt.LinkKey, ":")
			line(" - ", output.Quote(linkHTML(p.Link, p.Title)))
		default:
			line(opt.LinkKey, ": ", output.Quote(p.Link))
		}
		if site := siteOf(p.Link); opt.SiteKey != "" && site != "" {
			line(opt.SiteKey, ": ", output.Quote(site))
		}
	}
	if opt.AuthorKey != "" {
		line(opt.AuthorKey, ": ", output.Scalar(p.Author))
	}
	line("---")
	b = append(b, '\n')
	body := p.Body
	if p.Link != "" && opt.LinkKey == "" && opt.LinkText != "" {
		body += "\n" + sourceParagraph(p, opt)
	}
	return output.AppendHTMLBlock(b, body, opt.EscapeBraces)
}

// sourceParagraph is the paragraph that ends the body of a post for a theme
// that shows no link to the original article.
func sourceParagraph(p post.Post, opt Options) string {
	var b strings.Builder
	b.WriteString(`<p class="feedpost-source">`)
	if opt.NameSource && p.Author != "" {
		b.WriteString(html.EscapeString(p.Author))
		b.WriteString(" · ")
	}
	b.WriteString(linkHTML(p.Link, opt.LinkText))
	b.WriteString("</p>")
	return b.String()
}

// linkHTML is a link to the original article that opens in a new tab and
// sends no Referer (as every link of a cleaned body).
func linkHTML(href, text string) string {
	return `<a href="` + html.EscapeString(href) + `" target="_blank" rel="noopener noreferrer">` + html.EscapeString(text) + `</a>`
}

// siteOf is the origin of an article's URL ("https://host/"), the closest
// to "the source's site" a post knows; "" when link is not absolute http(s).
func siteOf(link string) string {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}
