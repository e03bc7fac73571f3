package pipeline

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/feedpost/feedpost/internal/content"
)

// Issue 12, items 7–10: every post inert in any theme, from minimal feeds.

// staticServer serves fixed bodies by path.
func staticServer(t *testing.T, bodies map[string]string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// postsByAuthor runs yml and returns the front matter of every post, by its
// author (one post per source in these tests).
func postsByAuthor(t *testing.T, yml string) map[string]map[string]any {
	t.Helper()
	e := newEnvYAML(t, yml)
	sum := e.run()
	for _, s := range sum.Sources {
		if s.Status != StatusOK {
			t.Fatalf("source %s: %+v", s.Name, s)
		}
	}
	out := map[string]map[string]any{}
	for _, p := range e.posts() {
		fm := frontMatter(t, p)
		out[fmt.Sprint(fm["author"])] = fm
	}
	if len(out) == 0 {
		t.Fatal("no posts")
	}
	return out
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// Item 7: a feed's channel title becomes the category and the author when
// the source has none; an RSSHub instance names `category: auto` paths.
// Both reach Hexo's list_categories, which prints names raw.
func TestIssue12FeedTitlesAreInertLabels(t *testing.T) {
	rssFeed := `<?xml version="1.0"?><rss version="2.0"><channel><title>&lt;img src=x onerror=alert(document.domain)&gt;Daily "News" &amp; &lt;b&gt;Views&lt;/b&gt;</title>
<item><guid>r1</guid><title>t</title><link>https://news.example.com/r1</link><description>x</description></item></channel></rss>`
	atomFeed := `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;svg onload=alert(1)&gt;Atom's &amp;lt;Feed&amp;gt;</title>
<entry><id>a1</id><title>t</title><link href="https://news.example.com/a1"/><content type="html">x</content></entry></feed>`
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"\"><script>alert(1)</script>JSON","items":[{"id":"j1","url":"https://news.example.com/j1","title":"t","content_html":"x"}]}`
	ns := `{"name":"<img src=x onerror=alert(1)>站点","categories":["<script>"],"routes":{"/r":{"path":"/r","categories":["new-media"],"name":"\" onmouseover=\"alert(1)\" 路由"}}}`
	srv := staticServer(t, map[string]string{"/rss": rssFeed, "/atom": atomFeed, "/json": jsonFeed,
		"/api/namespace/evil": ns, "/evil/r": strings.NewReplacer("Daily", "Auto", "r1", "e1").Replace(rssFeed)})
	yml := "hexo: {dir: posts}\nsite: {dir: ''}\nrsshub: " + srv.URL + "\nsources:\n" +
		"  - {url: " + srv.URL + "/rss, name: rss}\n  - {url: " + srv.URL + "/atom, name: atom}\n" +
		"  - {url: " + srv.URL + "/json, name: json}\n  - {route: /evil/r, name: auto, category: auto}\n"
	posts := postsByAuthor(t, yml)
	want := map[string][]string{ // author (the feed title's label) → category path
		"Daily “News” & Views": {"Daily “News” & Views"},
		// An unclosed <svg> hides the rest of an HTML title (as in a
		// browser): nothing is left, so the source's name stands in.
		"atom": {"atom"},
		// JSON Feed titles are plain text: the markup is shown, inert.
		"“＞＜script＞alert(1)＜/script＞JSON": {"“＞＜script＞alert(1)＜／script＞JSON"},
		"Auto “News” & Views":             {"新媒体", "站点", "“ onmouseover=”alert(1)” 路由"},
	}
	if len(posts) != len(want) {
		t.Errorf("%d posts, want %d", len(posts), len(want))
	}
	for source, fm := range posts {
		cats := strs(fm["categories"])
		if w, ok := want[source]; !ok {
			t.Errorf("unexpected author %q", source)
		} else if strings.Join(cats, "|") != strings.Join(w, "|") {
			t.Errorf("%s: categories %q, want %q", source, cats, w)
		}
		for _, s := range append(cats, fmt.Sprint(fm["author"]), fmt.Sprint(fm["title"])) {
			if strings.ContainsAny(s, `<>"'`) {
				t.Errorf("%s: %q holds a markup character", source, s)
			}
		}
	}
}

// Item 8: alt and title attributes carry no markup characters, so a theme
// that builds HTML from them (landscape: '<span class="caption">' + alt)
// builds text.
func TestIssue12AltAndTitleAttributesAreInert(t *testing.T) {
	body := `<p><img src="https://img.example.com/a.jpg" alt="<img src=x onerror=alert(document.domain)>"></p>` +
		`<p><img src="https://img.example.com/b.jpg" alt='" onmouseover="alert(1)" x="' title="</span><img src=x onerror=alert(2)>"></p>`
	srv := newFeedServer(t, rss(item("g1", "图片", body, "")))
	e := newEnv(t, "  - url: "+srv.URL+"\n")
	e.run()
	for _, p := range e.posts() {
		doc, err := html.Parse(strings.NewReader(p[strings.Index(p[4:], "\n---\n")+9:]))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var walk func(*html.Node)
		walk = func(x *html.Node) {
			for _, a := range x.Attr {
				if a.Key == "alt" || a.Key == "title" {
					n++
					if strings.ContainsAny(a.Val, `<>"'`) {
						t.Errorf("%s=%q holds a markup character", a.Key, a.Val)
					}
				}
			}
			for c := x.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if n != 3 {
			t.Errorf("%d alt/title attributes kept, want 3:\n%s", n, p)
		}
		if !strings.Contains(p, `alt="＜img src=x onerror=alert(document.domain)＞"`) {
			t.Errorf("alt text not kept as inert text:\n%s", p)
		}
	}
}

// Item 9: controls, separators and BOMs in a title, a link or an image URL,
// a 400-character feed title and the category names `..` and `index.html`
// must not break a Hexo or Hugo build: the YAML holds none of them raw, and
// category names are path-safe and bounded.
func TestIssue12ControlsAndCategoryPaths(t *testing.T) {
	long := strings.Repeat("很长的频道标题", 60) // 420 characters
	feed := func(title, id string) string {
		return `<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>` + title + `</title>
<item><guid>` + id + `</guid><title>标题` + "\u0085NEL\u2028LS\u2029PS\ufeffBOM\u0080C1\u009f" + `</title>
<link>https://news.example.com/` + id + "\u0085b\u2028c\ufeff" + `</link>
<media:content url="https://img.example.com/x` + "\u0085\ufeff" + `.jpg" medium="image"/>
<description>正文</description></item></channel></rss>`
	}
	srv := staticServer(t, map[string]string{"/long": feed(long, "a"), "/dots": feed("x", "b")})
	e := newEnvYAML(t, "hexo: {dir: posts}\nhugo: {dir: hugo}\nsite: {dir: ''}\nsources:\n"+
		"  - {url: "+srv.URL+"/long, name: long}\n"+
		"  - {url: "+srv.URL+"/dots, name: dots, category: ['..', index.html, 'a/b', '.']}\n")
	e.run()
	posts := e.posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2", len(posts))
	}
	for name, p := range posts {
		fm := p[:strings.Index(p[4:], "\n---\n")+4]
		for _, r := range fm {
			if (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
				t.Errorf("%s: front matter holds %U raw:\n%s", name, r, fm)
			}
		}
		m := frontMatter(t, p)
		if got := fmt.Sprint(m["title"]); got != "标题 NEL LS PSBOMC1" { // separators fold to spaces, the rest is dropped
			t.Errorf("%s: title %q", name, got)
		}
		if got := fmt.Sprint(m["source_url"]); !strings.HasSuffix(got, "%C2%85b%E2%80%A8c%EF%BB%BF") {
			t.Errorf("%s: source_url %q", name, got)
		}
		if got := fmt.Sprint(m["headimg"]); !strings.HasSuffix(got, "/x%C2%85%EF%BB%BF.jpg") {
			t.Errorf("%s: cover %q", name, got)
		}
		cats := strs(m["categories"])
		for _, c := range cats {
			if len(c) > content.MaxCategory || !utf8.ValidString(c) || strings.HasPrefix(c, ".") || strings.ContainsAny(c, `/\`) {
				t.Errorf("%s: category %q is not path-safe", name, c)
			}
		}
		switch m["author"] {
		case "x":
			if got := strings.Join(cats, "|"); got != "．．|index．html|a／b|．" {
				t.Errorf("categories %q", cats)
			}
		default:
			if len(cats) != 1 || !strings.HasSuffix(cats[0], "…") || !strings.HasPrefix(long, strings.TrimSuffix(cats[0], "…")) {
				t.Errorf("long feed title as category: %q", cats)
			}
		}
	}
	// The Hugo files too: quoted the same way.
	hugoFiles := readFiles(t, filepath.Join(e.dir, "hugo"))
	if len(hugoFiles) != 2 {
		t.Fatalf("%d Hugo files", len(hugoFiles))
	}
	for name, p := range hugoFiles {
		if strings.ContainsAny(p, "\u0085\u2028\u2029\ufeff\u0080\u009f") {
			t.Errorf("Hugo file %s holds a control or separator raw", name)
		}
		frontMatter(t, p)
	}
}

// Item 10: plain-text titles (Atom type="text", Atom's default, JSON Feed)
// are text: a literal <tag> stays (inert), &amp; is decoded once. HTML titles
// (RSS, Atom type="html") are still read as HTML.
func TestIssue12PlainTextTitles(t *testing.T) {
	atom := `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><id>a1</id><title type="text">Use &lt;br&gt; &amp;amp; more</title><link href="https://news.example.com/a1"/><content type="html">x</content></entry>
<entry><id>a2</id><title>Untyped &lt;tag&gt;</title><link href="https://news.example.com/a2"/><content type="html">x</content></entry>
<entry><id>a3</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; T</title><link href="https://news.example.com/a3"/><content type="html">x</content>
<source><title type="html">&lt;i&gt;src&lt;/i&gt;</title></source></entry>
<entry><id>a4</id><title><![CDATA[CDATA <tag> & more]]></title><link href="https://news.example.com/a4"/><content type="html">x</content></entry></feed>`
	json := `{"version":"https://jsonfeed.org/version/1","title":"J","items":[{"id":"j1","url":"https://news.example.com/j1","title":"JSON <tag> &amp; more","content_html":"x"}]}`
	rssFeed := rss(item("r1", "RSS &lt;b&gt;bold&lt;/b&gt; &amp;amp; co", "x", ""))
	srv := staticServer(t, map[string]string{"/atom": atom, "/json": json, "/rss": rssFeed})
	e := newEnvYAML(t, "hexo: {dir: posts}\nsite: {dir: ''}\nsources:\n  - url: "+srv.URL+"/atom\n  - url: "+srv.URL+"/json\n  - url: "+srv.URL+"/rss\n")
	e.run()
	var titles []string
	for _, p := range e.posts() {
		titles = append(titles, fmt.Sprint(frontMatter(t, p)["title"]))
	}
	for _, want := range []string{"Use ＜br＞ ＆amp; more", "Untyped ＜tag＞", "Bold & T", "CDATA ＜tag＞ & more",
		"JSON ＜tag＞ ＆amp; more", "RSS bold & co"} {
		found := false
		for _, got := range titles {
			found = found || got == want
		}
		if !found {
			t.Errorf("no post titled %q; titles: %q", want, titles)
		}
	}
}

// Item 10: benign content survives the whole pipeline.
func TestIssue12BenignContentKept(t *testing.T) {
	body := `<pre><code class="language-go">x := 1</code></pre>` +
		`<p>正文<sup id="fnref1"><a href="#fn1">1</a></sup> <a href="https://news.example.com/g1#more">下文</a> <a href="tel:+86-10-12345678">电话</a></p>` +
		`<iframe src="https://www.youtube.com/embed/abc" allow="autoplay; encrypted-media" referrerpolicy="strict-origin-when-cross-origin"></iframe>` +
		`<ol><li id="fn1">注释 <a href="#fnref1">↩</a></li></ol>`
	srv := newFeedServer(t, rss(item("g1", "代码", body, "")))
	e := newEnv(t, "  - url: "+srv.URL+"\n")
	e.run()
	for _, p := range e.posts() {
		for _, want := range []string{`<code class="language-go">`, `<sup id="user-content-fnref1"><a href="#user-content-fn1">1</a>`,
			`<a href="#user-content-more">下文</a>`, `<a href="tel:+86-10-12345678" rel="noopener noreferrer">电话</a>`,
			`allow="autoplay; encrypted-media"`, `referrerpolicy="strict-origin-when-cross-origin"`,
			`<li id="user-content-fn1">注释 <a href="#user-content-fnref1">↩</a></li>`} {
			if !strings.Contains(p, want) {
				t.Errorf("post lacks %s:\n%s", want, p)
			}
		}
	}
}

// readFiles returns the .md files of dir by name.
func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// Item 7, the authors data file a theme preset keeps (Volantis'
// source/_data/author.yml): its names are the posts' author labels, inert.
func TestIssue12AuthorsFileNames(t *testing.T) {
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title>&lt;img src=x onerror=alert(1)&gt;Tom's "Blog"</title>` +
		`<link>https://news.example.com/</link>` + item("a", "一", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT") + `</channel></rss>`
	fs := newFeedServer(t, feed)
	dir := t.TempDir()
	for name, data := range map[string]string{"blog/_config.yml": "title: 博客\ntheme: volantis\n", "blog/source/_data/author.yml": ""} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	e := newEnvIn(t, dir, "site: {dir: ''}\nhexo: {dir: blog/source/_posts}\nsources:\n  - url: "+fs.URL+"\n    name: one\n")
	e.run()
	authors, err := os.ReadFile(filepath.Join(dir, "blog/source/_data/author.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, filepath.Join(dir, "blog/source/_posts"))
	if len(files) != 1 {
		t.Fatalf("%d posts", len(files))
	}
	for _, p := range files {
		author := fmt.Sprint(frontMatter(t, p)["author"])
		if author != "Tom’s “Blog”" || !strings.Contains(string(authors), "name: '"+author+"'") {
			t.Errorf("post author %q, authors file:\n%s", author, authors)
		}
	}
	if strings.ContainsAny(string(authors), `<>"`) {
		t.Errorf("authors file holds markup:\n%s", authors)
	}
}
