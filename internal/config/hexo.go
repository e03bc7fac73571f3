package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/output/hexo"
)

// DefaultLinkText is the text of the paragraph linking to the original
// article, for themes that show no front-matter key for it.
const DefaultLinkText = "阅读原文"

// hexoKeys are the keys of the `hexo:` block.
var hexoKeys = []string{"dir", "cover_keys", "comments", "escape_braces", "theme", "link_key", "link_text", "authors_file"}

// reservedHexoKeys are front-matter keys feedpost writes itself, which
// hexo.link_key must not repeat.
var reservedHexoKeys = []string{"title", "categories", "author", "comments", "date", "updated", "source_url", "layout", "tags"}

// hexo reads the `hexo:` block and applies the theme preset: `theme: auto`
// (the default) reads `theme:` from the blog's _config.yml found above
// hexo.dir; explicit cover_keys, link_key, link_text and authors_file win
// over the preset's.
func (p *parser) hexo(n *yaml.Node, c *Config) {
	m := p.mapping(n, "hexo", hexoKeys...)
	h := &c.Hexo
	p.dirPath(m["dir"], "hexo.dir", &h.Dir)
	var coverKeys []string
	if deref(m["cover_keys"]) != nil && deref(m["cover_keys"]).Kind == yaml.SequenceNode && len(deref(m["cover_keys"]).Content) == 0 {
		coverKeys = []string{} // explicit []: no cover in the front matter
	} else if keys, _, ok := p.strList(m["cover_keys"], "hexo.cover_keys"); ok {
		coverKeys = keys
	}
	p.boolean(m["comments"], "hexo.comments", &h.Comments)
	p.boolean(m["escape_braces"], "hexo.escape_braces", &h.EscapeBraces)
	p.oneOf(m["theme"], "hexo.theme", &h.Theme, append([]string{"auto"}, hexo.PresetNames()...)...)
	var linkKey, linkText, authorsFile string
	linkKeySet := p.str(m["link_key"], "hexo.link_key", &linkKey)
	if linkKeySet && (slices.Contains(reservedHexoKeys, linkKey) || slices.Contains(coverKeys, linkKey) || strings.ContainsAny(linkKey, ":#{}[]&*!|>'\"%@` ")) {
		p.fail(m["link_key"], "hexo.link_key", "%q cannot hold the link: it is written by feedpost itself or is not a plain key", linkKey)
	}
	linkTextSet := p.str(m["link_text"], "hexo.link_text", &linkText)
	authorsFileSet := p.str(m["authors_file"], "hexo.authors_file", &authorsFile)
	if p.err != nil || h.Dir == "" {
		if coverKeys != nil {
			h.CoverKeys = coverKeys
		}
		return
	}

	if fi, err := os.Stat(h.Dir); err == nil && !fi.IsDir() {
		p.fail(m["dir"], "hexo.dir", "%s is a file; hexo.dir is the folder Hexo reads posts from (<blog>/source/_posts)", h.Dir)
		return
	}
	blog, err := hexo.FindBlog(h.Dir)
	if err != nil {
		p.fail(m["dir"], "hexo.dir", "%v", err)
		return
	}
	h.Blog = blog
	name := h.Theme
	if name == "auto" {
		name = hexo.ThemeNone
		if blog != nil {
			if t, ok := hexo.PresetFor(blog.Theme); ok {
				name = t.Name
			}
		}
	}
	h.Preset, _ = hexo.Preset(name)
	t := h.Preset

	h.CoverKeys = t.CoverKeys
	if coverKeys != nil {
		h.CoverKeys = coverKeys
	}
	if slices.Contains(h.CoverKeys, t.CardKey) {
		h.CardKey = t.CardKey
	}
	h.LinkKey, h.LinkStyle, h.AuthorKey, h.SiteKey = t.LinkKey, t.LinkStyle, t.AuthorKey, t.SiteKey
	h.FullwidthPercent = t.FullwidthPercent
	if linkKeySet {
		h.LinkKey, h.LinkStyle = linkKey, hexo.LinkURL
	}
	if t.Name != hexo.ThemeNone {
		h.LinkText = DefaultLinkText // "none" is feedpost's format before presets: no paragraph
	}
	if linkTextSet {
		h.LinkText = linkText
	}
	switch {
	case !authorsFileSet || authorsFile == "auto":
		if t.AuthorsFile != "" {
			if root := blogRoot(h.Dir, blog); root != "" {
				h.AuthorsFile = filepath.Join(root, filepath.FromSlash(t.AuthorsFile))
			}
		}
	case authorsFile != "":
		h.AuthorsFile = p.resolve(authorsFile)
		if fi, err := os.Stat(h.AuthorsFile); err == nil && fi.IsDir() {
			p.fail(m["authors_file"], "hexo.authors_file", "%s is a folder; give the path of the YAML data file (e.g. source/_data/author.yml)", h.AuthorsFile)
		}
	}
	// The theme shows the author when it prints `author:` as a name, or
	// looks it up in an authors file that feedpost keeps.
	shows := t.ShowsAuthor && (t.AuthorsFile == "" || h.AuthorsFile != "")
	h.NameSource = !shows
}

// blogRoot is the Hexo blog's folder: the one whose _config.yml was found,
// else, for a posts folder named like Hexo's (<root>/source/_posts), its
// grandparent; "" when neither.
func blogRoot(postsDir string, blog *hexo.Blog) string {
	if blog != nil {
		return blog.Root
	}
	if filepath.Base(postsDir) == "_posts" {
		return filepath.Dir(filepath.Dir(postsDir))
	}
	return ""
}

// PresetSummary says in one line what the Hexo preset writes, for `check`.
func (h *Hexo) PresetSummary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cover %s", keyList(h.CoverKeys))
	switch {
	case h.LinkKey != "":
		fmt.Fprintf(&b, ", original link in %s:", h.LinkKey)
	case h.LinkText != "":
		fmt.Fprintf(&b, ", original link as a %q paragraph at the end of the body", h.LinkText)
	default:
		b.WriteString(", original link only in source_url:")
	}
	if h.AuthorKey != "" {
		fmt.Fprintf(&b, ", author also in %s:", h.AuthorKey)
	}
	if h.AuthorsFile != "" {
		fmt.Fprintf(&b, ", authors kept in %s", h.AuthorsFile)
	}
	return b.String()
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "not written"
	}
	return "in " + strings.Join(keys, ":, ") + ":"
}

func nonePreset() hexo.Theme {
	t, _ := hexo.Preset(hexo.ThemeNone)
	return t
}
