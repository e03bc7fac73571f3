package hexo

import (
	"slices"
	"sort"
)

// Theme is what one Hexo theme reads from a post's front matter, so that a
// post written for it shows its cover, its author and a link to the
// original article. Each entry was read from the theme's own templates
// (layout/ of the npm package or GitHub repository named in the comment).
type Theme struct {
	Name string
	// CoverKeys receive the cover URL. The first is written before
	// `author:`, the others after `date:` (the front-matter order contract).
	CoverKeys []string
	// CardKey is the one of CoverKeys the theme shows on its index cards
	// while another shows the page's banner: it gets the cover thumbnail
	// (images.thumbnail), the others keep the full picture. "" for a theme
	// that shows one key on both.
	CardKey string
	// LinkKey is the front-matter key the theme shows as a link to the
	// original article ("" when it shows none: the post body then ends with
	// a paragraph linking to it, see Options.LinkText).
	LinkKey string
	// LinkStyle is how LinkKey's value is written.
	LinkStyle LinkStyle
	// AuthorKey and SiteKey are further keys holding the source's name and
	// its site (Butterfly's copyright block), "" for none.
	AuthorKey string
	SiteKey   string
	// ShowsAuthor is whether the theme prints the post's `author:` at all
	// (as a name, or through AuthorsFile). When it does not, the closing
	// paragraph names the source.
	ShowsAuthor bool
	// AuthorsFile is the data file, relative to the blog's root, in which the
	// theme looks `author:` up as a key ("" when it prints it as a name).
	AuthorsFile string
	// FullwidthPercent writes % in titles as ％ (U+FF05): the theme passes
	// the title through Hexo's i18n sprintf, which fails the page on a %.
	FullwidthPercent bool
}

// LinkStyle is how the link to the original article is written.
type LinkStyle int

const (
	// LinkURL writes `<key>: '<url>'`.
	LinkURL LinkStyle = iota
	// LinkReferences writes a one-entry list of Markdown links, as
	// Stellar's `references:` wants: `references: ['[阅读原文](<url>)']`.
	LinkReferences
)

// ThemeNone is the preset of an unknown theme: feedpost's own format, as
// it was before presets (the keys the Volantis sample post has, no link to
// the original but `source_url`).
const ThemeNone = "none"

// themes are the presets, by the name a blog's _config.yml gives in `theme:`.
var themes = map[string]Theme{
	// hexo-theme-volantis 6.8: layout/_partial/post.ejs shows `headimg` on
	// the card and links it and the title to `link || path`, with a "阅读原文"
	// button (post.readoriginal) when `link` is set; article.ejs shows the
	// same button on the page; _meta/thumbnail.ejs shows `thumbnail`.
	// _meta/author.ejs looks `author` up in site.data.author
	// (source/_data/author.yml: name, avatar, url), else prints
	// "请设置文章作者". The card shows `updated`.
	"volantis": {Name: "volantis", CoverKeys: []string{"headimg", "thumbnail"}, CardKey: "thumbnail", LinkKey: "link",
		ShowsAuthor: true, AuthorsFile: "source/_data/author.yml"},
	// hexo-theme-butterfly 5.7: includes/mixins/indexPostUI.pug shows
	// `cover` on the card, includes/header/index.pug `top_img || cover` on
	// the page; includes/post/post-copyright.pug (on by default) shows
	// `copyright_author`, `copyright_author_href` and `copyright_url`. It
	// never prints `author`.
	"butterfly": {Name: "butterfly", CoverKeys: []string{"cover", "top_img"}, CardKey: "cover", LinkKey: "copyright_url",
		AuthorKey: "copyright_author", SiteKey: "copyright_author_href", ShowsAuthor: true},
	// hexo-theme-fluid 1.9: layout/index.ejs shows `index_img` on the card,
	// post.ejs `banner_img` as the page banner; _partials/post/copyright.ejs
	// (on by default) prints `author`. No link key: the card links to the
	// page only.
	"fluid": {Name: "fluid", CoverKeys: []string{"index_img", "banner_img"}, CardKey: "index_img", ShowsAuthor: true},
	// hexo-theme-next 8.29: _macro/post.njk shows `photos` as a gallery at
	// the top of the post, on the index too (Hexo turns a single string into
	// a list). `link` would turn the title into an external link, so the
	// paragraph is used. The author is printed only by the post copyright
	// block, off by default (creative_commons.post).
	"next": {Name: "next", CoverKeys: []string{"photos"}},
	// hexo-theme-redefine 2.9: pages/home/home-content.ejs shows
	// `thumbnail || cover || banner` on the card, pages/post/article-content.ejs
	// `cover || banner || thumbnail` on the page, and prints `author` (a
	// string, or a {name, avatar} mapping). No link key.
	// Its components/header/head.ejs calls `__(page.title)`, so a title
	// with a % ("提升 40%") fails the page: FullwidthPercent.
	"redefine": {Name: "redefine", CoverKeys: []string{"thumbnail"}, ShowsAuthor: true, FullwidthPercent: true},
	// hexo-theme-stellar 1.44: main/post_list/post_card.ejs shows `cover` on
	// the card, navbar/article_banner.ejs `banner` on the page;
	// navbar/dateinfo.ejs looks `author` up in source/_data/authors.yml
	// (the first entry is the default author); article_footer.ejs lists
	// `references` (Markdown) under "参考资料".
	"stellar": {Name: "stellar", CoverKeys: []string{"cover", "banner"}, CardKey: "cover", LinkKey: "references",
		LinkStyle: LinkReferences, ShowsAuthor: true, AuthorsFile: "source/_data/authors.yml"},
	// hexo-theme-matery (GitHub blinkfox/hexo-theme-matery; not on npm):
	// layout/index.ejs and _partial/post-cover.ejs show `img`; index.ejs and
	// reprint-statement.ejs print `author`. No link key.
	"matery": {Name: "matery", CoverKeys: []string{"img"}, ShowsAuthor: true},
	// hexo-theme-landscape 1.1 (Hexo's default): _partial/post/gallery.ejs
	// shows `photos`; `link` would make the title external; no author.
	"landscape": {Name: "landscape", CoverKeys: []string{"photos"}},
	ThemeNone:   {Name: ThemeNone, CoverKeys: []string{"headimg", "thumbnail"}, CardKey: "thumbnail"},
}

// Preset returns the preset named name ("volantis", …, "none").
func Preset(name string) (Theme, bool) {
	t, ok := themes[name]
	t.CoverKeys = slices.Clone(t.CoverKeys)
	return t, ok
}

// PresetFor returns the preset for the theme a blog's _config.yml names in
// `theme:` (case and a "hexo-theme-" prefix ignored); false when there is
// none for it.
func PresetFor(theme string) (Theme, bool) {
	name := ThemeName(theme)
	if name == "" || name == ThemeNone {
		return Theme{}, false
	}
	return Preset(name)
}

// PresetNames lists the presets, "none" last, for messages and validation.
func PresetNames() []string {
	names := make([]string, 0, len(themes))
	for n := range themes {
		if n != ThemeNone {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append(names, ThemeNone)
}
