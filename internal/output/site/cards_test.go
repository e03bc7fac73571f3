package site

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every card is dropped after the last listing page that shows it: a card
// still held after the build would mean memory held for every post.
func TestCardsDroppedAfterLastUse(t *testing.T) {
	for _, perPage := range []int{1, 2, 20} {
		opt := testOptions(t)
		opt.PerPage = perPage
		opt.noGenerated = true // cards by html/template, kept between pages
		b, err := newBuilder(opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.open(); err != nil {
			t.Fatal(err)
		}
		defer b.spill.close()
		for _, p := range testPosts() {
			b.add(p)
		}
		if err := b.prepare(); err != nil {
			t.Fatal(err)
		}
		if _, err := b.write(b.jobs()); err != nil {
			t.Fatal(err)
		}
		for e, c := range b.live {
			t.Errorf("per page %d: post %s keeps its card (%d uses left)", perPage, e.id, c.uses)
		}
		if b.cardBytes != 0 {
			t.Errorf("per page %d: %d bytes of cards still counted after the build", perPage, b.cardBytes)
		}
	}
}

// Past maxCardBytes cards are rendered for every page instead of kept: the
// site is the same whatever the bound.
func TestCardBudget(t *testing.T) {
	ref := testOptions(t)
	ref.PerPage = 2
	ref.noGenerated = true
	build(t, testPosts(), ref)
	for _, limit := range []int{-1, 1500} { // none, a few
		opt := testOptions(t)
		opt.PerPage = 2
		opt.noGenerated, opt.cardBudget = true, limit
		st := build(t, testPosts(), opt)
		n := sameFiles(t, ref.Dir, opt.Dir, fmt.Sprintf("card budget %d", limit))
		if n != st.Pages {
			t.Errorf("card budget %d: compared %d files of %d", limit, n, st.Pages)
		}
	}
}

// A card.html or post.html written for .Cats and .Source (before
// links.html) renders as the embedded templates do, and links.html
// overrides the links of both.
func TestLinksTemplate(t *testing.T) {
	ref := testOptions(t)
	build(t, testPosts(), ref)

	opt := testOptions(t)
	opt.Templates = t.TempDir()
	cats := `{{range $i, $c := .}}{{if $i}}<span class="sep" aria-hidden="true">›</span>{{end}}<a class="cat" href="{{$c.Href}}">{{$c.Name}}</a>{{end}}`
	card, _ := embedded.ReadFile("templates/card.html")
	oldCard := strings.NewReplacer(`{{with .CatLinks}}<p class="card-cats">{{.}}</p>{{end}}`,
		`{{with .Cats}}<p class="card-cats">`+cats+`</p>{{end}}`,
		`{{.SourceLink}}`, `<a class="source" href="{{.Source.Href}}">{{.Source.Name}}</a>`).Replace(string(card))
	post, _ := embedded.ReadFile("templates/post.html")
	oldPost := strings.NewReplacer(`{{with .CatLinks}}<span class="cats">{{.}}</span>{{end}}`,
		`{{with .Cats}}<span class="cats">`+cats+`</span>{{end}}`,
		`{{.SourceLink}}`, `<a class="source" href="{{.Source.Href}}">{{.Source.Name}}</a>`).Replace(string(post))
	if oldCard == string(card) || oldPost == string(post) {
		t.Fatal("the embedded templates no longer use .CatLinks and .SourceLink: update this test")
	}
	os.WriteFile(filepath.Join(opt.Templates, "card.html"), []byte(oldCard), 0o644)
	os.WriteFile(filepath.Join(opt.Templates, "post.html"), []byte(oldPost), 0o644)
	build(t, testPosts(), opt)
	for _, rel := range []string{"index.html", "category/新媒体/index.html", "posts/a000000000000001/index.html", "posts/a000000000000004/index.html"} {
		if got, want := readText(t, opt.Dir, rel), readText(t, ref.Dir, rel); got != want {
			t.Errorf("%s differs with templates using .Cats and .Source:\n%s\nwant\n%s", rel, got, want)
		}
	}

	opt = testOptions(t)
	opt.Templates = t.TempDir()
	os.WriteFile(filepath.Join(opt.Templates, "links.html"), []byte(
		`{{define "cat-links"}}{{range .}}<b class="my-cat">{{.Name}}</b>{{end}}{{end}}{{define "source-link"}}<i class="my-source">{{.Name}}</i>{{end}}`), 0o644)
	build(t, testPosts(), opt)
	home := readDoc(t, opt.Dir, "index.html")
	if n := home.Find(".card .my-cat").Length(); n != 1+3 { // the two newest posts: 新媒体, 新媒体/趣头条/分类
		t.Errorf("home page shows %d overridden category links, want 4", n)
	}
	page := readDoc(t, opt.Dir, "posts/a000000000000004/index.html")
	if got := page.Find(".meta .my-source").Text(); got != "36氪" {
		t.Errorf("post page source link %q", got)
	}
	if got := page.Find(".meta .my-cat").Text(); got != "科技" {
		t.Errorf("post page category links %q", got)
	}

	os.WriteFile(filepath.Join(opt.Templates, "links.html"), []byte(`{{define "cat-links"}}{{end}}`), 0o644)
	if _, err := Build(testPosts(), opt); err == nil || !strings.Contains(err.Error(), "source-link") {
		t.Errorf("links.html without source-link: error %v", err)
	}
}

// Files and folders removed behind the builder's back come back; with the
// manifest lost, files that still hold the right bytes are not rewritten.
func TestRemovedFilesRestored(t *testing.T) {
	opt := testOptions(t)
	first := build(t, testPosts(), opt)
	for _, rel := range []string{"posts/a000000000000002", "category/新媒体/趣头条"} {
		if err := os.RemoveAll(filepath.Join(opt.Dir, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
	st := build(t, testPosts(), opt)
	// The post page, and 分类's and 趣头条's index.html and three feeds each.
	if st.Written != 1+2*4 || st.Pages != first.Pages {
		t.Errorf("after removals: %+v, want 9 written of %d", st, first.Pages)
	}
	for _, rel := range []string{"posts/a000000000000002/index.html", "category/新媒体/趣头条/分类/index.html", "category/新媒体/趣头条/feed.json"} {
		if _, err := os.Stat(filepath.Join(opt.Dir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("%s not restored: %v", rel, err)
		}
	}

	if err := os.Remove(filepath.Join(opt.Dir, manifestName)); err != nil {
		t.Fatal(err)
	}
	if st := build(t, testPosts(), opt); st.Written != 0 || st.Unchanged != first.Pages {
		t.Errorf("without the manifest: %+v, want all %d unchanged", st, first.Pages)
	}
}

// A body escaped once by xmlEscape encodes as encoding/xml encodes the
// plain text, in RSS and in Atom.
func TestXMLEscapeAsEncoder(t *testing.T) {
	for _, s := range []string{"", "<p class=\"a\">It's 1 & 2 > 0</p>", "tab\tcr\rnl\nend", "bad\xffutf8\x00ctl\x1b\uFFFD", "中文 <br/> ]]>"} {
		plain, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"item"`
			D       string   `xml:"description"`
			C       atomText `xml:"content"`
		}{D: s, C: atomText{"html", ""}})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(string(plain), `<content type="html"></content>`, `<content type="html">`+escapeByEncoder(t, s)+`</content>`, 1)
		got, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"item"`
			D       xmlText  `xml:"description"`
			C       atomText `xml:"content"`
		}{D: xmlText{xmlEscape(s, new([]byte))}, C: atomText{"html", xmlEscape(s, new([]byte))}})
		if err != nil || string(got) != want {
			t.Errorf("%q:\n%s\nwant\n%s (%v)", s, got, want, err)
		}
	}
}

// escapeByEncoder is s as encoding/xml writes character data of a
// ",chardata" field, as atomText held before it held escaped text.
func escapeByEncoder(t *testing.T, s string) string {
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"c"`
		Body    string   `xml:",chardata"`
	}{Body: s})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(out), "<c>"), "</c>")
}

// Past maxSitemapURLs the sitemap is split, and the parts list every page
// of the whole sitemap, in its order.
func TestSitemapSplit(t *testing.T) {
	whole := testOptions(t)
	build(t, testPosts(), whole)
	want := sitemapLocs(t, whole.Dir, "sitemap.xml")

	defer func(n int) { maxSitemapURLs = n }(maxSitemapURLs)
	maxSitemapURLs = 7
	opt := testOptions(t)
	build(t, testPosts(), opt)
	var idx sitemapIndex
	if err := xml.Unmarshal([]byte(readText(t, opt.Dir, "sitemap.xml")), &idx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, s := range idx.Sitemaps {
		name := fmt.Sprintf("sitemap-%d.xml", i+1)
		if s.Loc != testURL+"/"+name {
			t.Errorf("index lists %s, want %s", s.Loc, name)
		}
		part := sitemapLocs(t, opt.Dir, name)
		if len(part) > maxSitemapURLs || len(part) == 0 {
			t.Errorf("%s has %d URLs", name, len(part))
		}
		got = append(got, part...)
	}
	if len(idx.Sitemaps) != (len(want)+6)/7 || !slices.Equal(got, want) {
		t.Errorf("%d parts list\n%v\nwant\n%v", len(idx.Sitemaps), got, want)
	}
}

func sitemapLocs(t *testing.T, dir, rel string) []string {
	t.Helper()
	var set struct {
		URLs []sitemapElement `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(readText(t, dir, rel)), &set); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var locs []string
	for _, u := range set.URLs {
		locs = append(locs, u.Loc+" "+u.Lastmod)
	}
	return locs
}

// The files written as they render (search.json, the sitemap, the
// manifest) are compared with the file in place to the last byte: one
// longer or shorter than the build's is rewritten, an equal one is not.
func TestStreamedFilesCompared(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	want := readText(t, opt.Dir, "search.json")
	for _, damage := range []func(string) string{
		func(s string) string { return s + "\n" },
		func(s string) string { return s[:len(s)-1] },
		func(s string) string { return strings.Replace(s, "a000000000000001", "a000000000000009", 1) },
	} {
		if err := os.WriteFile(filepath.Join(opt.Dir, "search.json"), []byte(damage(want)), 0o644); err != nil {
			t.Fatal(err)
		}
		if st := build(t, testPosts(), opt); st.Written != 1 {
			t.Errorf("damaged search.json: %+v, want 1 file written", st)
		}
		if got := readText(t, opt.Dir, "search.json"); got != want {
			t.Errorf("search.json not restored:\n%s", got)
		}
	}
	if st := build(t, testPosts(), opt); st.Written != 0 {
		t.Errorf("unchanged build wrote %d files", st.Written)
	}
}
