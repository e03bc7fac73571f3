package opml

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedpost/feedpost/internal/config"
)

const nested = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="新媒体" title="新媒体">
      <outline text="趣头条">
        <outline type="rss" text="趣头条 分类" title="分类" xmlUrl="https://rsshub.app/qutoutiao/category/1" htmlUrl="http://home.qutoutiao.net"/>
      </outline>
      <outline type="rss" text="cnBeta" xmlUrl="https://www.cnbeta.com/backend.php?a=1&amp;b=2"/>
    </outline>
    <outline text="编程">
      <outline text="GitHub">
        <outline type="rss" text="https://hub.example.com/github/repos/DIYgod" xmlUrl="https://hub.example.com/github/repos/DIYgod"/>
      </outline>
      <outline type="rss" text="cnBeta" xmlUrl="https://www.cnbeta.com/backend.php?a=1&amp;b=2"/>
    </outline>
    <outline type="rss" text="2021" xmlUrl="https://example.com/feed.xml"/>
    <outline type="rss" text="Example" xmlUrl="https://example.org/rss"/>
    <outline type="rss" text="Example" xmlUrl="https://example.net/rss"/>
    <outline text="empty folder"/>
  </body>
</opml>`

func TestParse(t *testing.T) {
	got, err := Parse(strings.NewReader(nested))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0].Label() != "新媒体" || got[0].IsFeed() || len(got[0].Children) != 2 {
		t.Fatalf("top level: %+v", got)
	}
	feed := got[0].Children[0].Children[0]
	want := Outline{Text: "趣头条 分类", Title: "分类", Type: "rss", XMLURL: "https://rsshub.app/qutoutiao/category/1", HTMLURL: "http://home.qutoutiao.net", Children: []Outline{}}
	if !reflect.DeepEqual(feed, want) || !feed.IsFeed() || feed.Label() != "分类" {
		t.Errorf("feed = %+v, want %+v", feed, want)
	}
	if u := got[0].Children[1].XMLURL; u != "https://www.cnbeta.com/backend.php?a=1&b=2" {
		t.Errorf("entity in URL: %q", u)
	}
}

// TestImportNested is the acceptance case: nested folders become category
// levels in the printed YAML.
func TestImportNested(t *testing.T) {
	outlines, err := Parse(strings.NewReader(nested))
	if err != nil {
		t.Fatal(err)
	}
	got := string(YAML(Sources(outlines, true, []string{"https://hub.example.com"})))
	want := `sources:
  - route: /qutoutiao/category/1
    name: 分类
    category: [新媒体, 趣头条]
  - url: https://www.cnbeta.com/backend.php?a=1&b=2
    name: cnBeta
    category: [新媒体]
  - route: /github/repos/DIYgod
    category: [编程, GitHub]
  - url: https://example.com/feed.xml
    name: "2021"
  - url: https://example.org/rss
    name: Example
  - url: https://example.net/rss
`
	if got != want {
		t.Errorf("YAML:\n%s\nwant:\n%s", got, want)
	}
	cfg, err := config.Parse([]byte("rsshub: https://hub.example.com\n"+got), "/srv/news/feedpost.yaml")
	if err != nil {
		t.Fatalf("config.Parse rejects the YAML: %v", err)
	}
	if len(cfg.Sources) != 6 || cfg.Sources[4].Key != "Example" || cfg.Sources[3].Key != "2021" {
		t.Errorf("sources %+v", cfg.Sources)
	}

	// Without categories from the outline, and without instances: no
	// categories, and RSSHub URLs stay URLs.
	got = string(YAML(Sources(outlines, false, nil)))
	if strings.Contains(got, "category:") || strings.Contains(got, "route:") ||
		!strings.Contains(got, "- url: https://rsshub.app/qutoutiao/category/1\n    name: 分类\n") {
		t.Errorf("plain import:\n%s", got)
	}
}

func TestYAMLQuoting(t *testing.T) {
	specs := []SourceSpec{{URL: "https://e.com/a#x", Name: "@news: today", Category: []string{"*star", "a: b", "true", "#tag", "it's"}}}
	data := YAML(specs)
	cfg, err := config.Parse(data, "/srv/feedpost.yaml")
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, data)
	}
	s := cfg.Sources[0]
	if s.URL != specs[0].URL || s.Name != specs[0].Name || !reflect.DeepEqual(s.Category, specs[0].Category) {
		t.Errorf("round trip through YAML: %+v\n%s", s, data)
	}
	items := string(Items(specs))
	indented := "sources:\n  " + strings.ReplaceAll(strings.TrimSuffix(items, "\n"), "\n", "\n  ") + "\n"
	if !strings.HasPrefix(items, "- url: ") || indented != string(data) {
		t.Errorf("Items:\n%s", items)
	}
}

// TestRoundTrip: export → import gives the same sources (fetch target, key,
// category).
func TestRoundTrip(t *testing.T) {
	src := `site: {title: 新闻}
rsshub: [https://hub.example.com, https://rsshub.app]
sources:
  - route: /qutoutiao/category/1
    category: [新媒体, 趣头条, 分类]
  - route: qutoutiao/category/6?limit=5
    category: [新媒体, 趣头条, 娱乐]
  - url: https://www.cnbeta.com/backend.php
    name: cnBeta
    category: [新媒体, cnBeta]
  - url: https://example.com/feed?a=1&b=2
    category: ["2021", "@odd: name"]
  - url: https://example.org/rss
`
	cfg, err := config.Parse([]byte(src), "/srv/news/feedpost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Export(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "key=") {
		t.Errorf("export leaks a key:\n%s", out)
	}
	outlines, err := Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("Parse(Export): %v\n%s", err, out)
	}
	yml := YAML(Sources(outlines, true, cfg.RSSHub))
	back, err := config.Parse(append([]byte("site: {title: 新闻}\nrsshub: [https://hub.example.com, https://rsshub.app]\n"), yml...), "/srv/news/feedpost.yaml")
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, yml)
	}
	type view struct {
		Key, Route, FetchURL string
		Category             []string
	}
	views := func(c *config.Config) (v []view) {
		for _, s := range c.Sources {
			v = append(v, view{s.Key, s.Route, s.FetchURL, s.Category})
		}
		return v
	}
	if got, want := views(back), views(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v\nOPML:\n%s\nYAML:\n%s", got, want, out, yml)
	}
}

func TestExport(t *testing.T) {
	cfg, err := config.Parse([]byte(`site: {title: "A & B"}
rsshub: https://hub.example.com/
rsshub_key: secret
sources:
  - route: /a/1
    category: [X, Y]
  - route: /a/2
    name: two
    category: [X]
  - url: feeds/local.xml
  - route: /auto
    category: auto
`), "/srv/news/feedpost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Export(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>A &amp; B</title>
  </head>
  <body>
    <outline text="X" title="X">
      <outline text="Y" title="Y">
        <outline text="/a/1" title="/a/1" type="rss" xmlUrl="https://hub.example.com/a/1"></outline>
      </outline>
      <outline text="two" title="two" type="rss" xmlUrl="https://hub.example.com/a/2"></outline>
    </outline>
    <outline text="feeds/local.xml" title="feeds/local.xml" type="rss" xmlUrl="file:///srv/news/feeds/local.xml"></outline>
    <outline text="/auto" title="/auto" type="rss" xmlUrl="https://hub.example.com/auto"></outline>
  </body>
</opml>
`
	if string(out) != want {
		t.Errorf("Export:\n%s\nwant:\n%s", out, want)
	}
}

func TestParseLenient(t *testing.T) {
	tests := map[string]string{
		"bare ampersand": `<opml version="1.0"><body><outline text="A" xmlUrl="https://e.com/f?a=1&b=2"/></body></opml>`,
		"attribute case": `<opml version="1.0"><body><outline TEXT="A" xmlurl="https://e.com/f?a=1&amp;b=2"/></body></opml>`,
		"BOM":            "\ufeff" + `<?xml version="1.0"?><opml version="2.0"><body><outline text="A" xmlUrl="https://e.com/f?a=1&amp;b=2"/></body></opml>`,
		"html entity":    `<opml version="2.0"><body><outline text="A&nbsp;" xmlUrl="https://e.com/f?a=1&amp;b=2"/></body></opml>`,
	}
	for name, doc := range tests {
		got, err := Parse(strings.NewReader(doc))
		if err != nil || len(got) != 1 || got[0].XMLURL != "https://e.com/f?a=1&b=2" || got[0].Label() != "A" {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(`<?xml version="1.0" encoding="GBK"?><opml version="1.0"><body><outline text="新闻" xmlUrl="https://e.com/f"/></body></opml>`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(strings.NewReader(gbk))
	if err != nil || len(got) != 1 || got[0].Text != "新闻" {
		t.Errorf("GBK: %+v, %v", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct{ doc, want string }{
		"empty":     {"", "it is empty"},
		"not xml":   {"hello, world", "not an OPML file"},
		"rss":       {`<?xml version="1.0"?><rss version="2.0"><channel/></rss>`, "root element is <rss>"},
		"no body":   {`<opml version="2.0"><head/></opml>`, "no <body>"},
		"truncated": {`<opml version="2.0"><body><outline text="a" xmlUrl="https://e.com/f"/>`, "truncated"},
		"bad attr":  {`<opml version="2.0"><body><outline text="a xmlUrl="x"/></body></opml>`, "not an OPML file"},
	}
	for name, tt := range tests {
		_, err := Parse(strings.NewReader(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want it to mention %q", name, err, tt.want)
		}
	}
}

// TestSourcesHostileNames: folder and feed names come from someone else's
// OPML file; folders become category names, which Hexo themes print raw
// (issue 12, item 7). They come back inert and path-safe.
func TestSourcesHostileNames(t *testing.T) {
	doc := `<opml version="2.0"><body>
<outline text="&lt;img src=x onerror=alert(1)&gt;新闻">
  <outline text="..">
    <outline text="index.html">
      <outline type="rss" text="&quot;&gt;&lt;svg onload=alert(1)&gt;Feed" xmlUrl="https://example.com/feed.xml"/>
    </outline>
  </outline>
</outline></body></opml>`
	outlines, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	specs := Sources(outlines, true, nil)
	if len(specs) != 1 {
		t.Fatalf("specs: %+v", specs)
	}
	if want := []string{"新闻", "．．", "index．html"}; !reflect.DeepEqual(specs[0].Category, want) {
		t.Errorf("category %q, want %q", specs[0].Category, want)
	}
	if specs[0].Name != "“＞" {
		t.Errorf("name %q", specs[0].Name)
	}
}
