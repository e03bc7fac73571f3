package hexo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/post"
)

func frontMatter(t *testing.T, b []byte) (map[string]any, []string, string) {
	t.Helper()
	s := string(b)
	end := strings.Index(s[4:], "\n---\n")
	if !strings.HasPrefix(s, "---\n") || end < 0 {
		t.Fatalf("no front matter:\n%s", s)
	}
	var fm map[string]any
	if err := yaml.Unmarshal([]byte(s[4:4+end]), &fm); err != nil {
		t.Fatalf("front matter does not parse: %v\n%s", err, s[:4+end])
	}
	var keys []string
	for _, line := range strings.Split(s[4:4+end], "\n") {
		if line != "" && line[0] != ' ' {
			keys = append(keys, line[:strings.IndexByte(line, ':')])
		}
	}
	return fm, keys, s[4+end+5:]
}

// Titles go through content.Title and then the writer; the front matter must
// read back as exactly the cleaned title.
func TestTitlesSurviveYAML(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"It's a test", "It's a test"},
		{"标题：副标题", "标题：副标题"},
		{"a: b", "a: b"},
		{"# 不是注释", "# 不是注释"},
		{"@某人 发布了", "@某人 发布了"},
		{"[视频] 新闻", "[视频] 新闻"},
		{"*重要* 通知", "*重要* 通知"},
		{"第一行\n第二行", "第一行 第二行"},
		{"A &amp; B &lt;tag&gt;", "A & B <tag>"},
		{"&amp;amp; once", "&amp; once"},
		{"多余\u00a0\u00a0空格  ", "多余 空格"},
		{"<b>加粗</b>的标题", "加粗的标题"},
		{"{{ 花括号 }}", "{{ 花括号 }}"},
		{`反斜杠 \ 和 "引号"`, `反斜杠 \ 和 "引号"`},
		{"- 列表样式", "- 列表样式"},
		{"yes", "yes"},
		{"2021-08-17", "2021-08-17"},
	}
	for _, c := range cases {
		title := content.Title(c.raw)
		if title != c.want {
			t.Errorf("content.Title(%q) = %q, want %q", c.raw, title, c.want)
			continue
		}
		p := post.Post{ID: "0123456789abcdef", Title: title, Categories: []string{"新媒体", "@人物", "a: b", "!x", "%y", "|z", ">w", "`v", "*u"},
			Author: "趣头条", Date: time.Date(2021, 8, 17, 14, 56, 6, 0, time.FixedZone("CST", 8*3600)), Body: "<p>x</p>"}
		fm, _, _ := frontMatter(t, Render(p, Options{CoverKeys: []string{"headimg"}}))
		if fm["title"] != c.want {
			t.Errorf("title %q reads back as %#v", c.want, fm["title"])
		}
		cats, _ := fm["categories"].([]any)
		if len(cats) != len(p.Categories) {
			t.Fatalf("categories read back as %#v", fm["categories"])
		}
		for i, c := range p.Categories {
			if cats[i] != c {
				t.Errorf("category %q reads back as %#v", c, cats[i])
			}
		}
	}
}

func TestRenderLayout(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	p := post.Post{
		ID: "0123456789abcdef", Title: "标题", Categories: []string{"新媒体", "趣头条", "分类"},
		Cover: "https://proxy.example/?http://img/1.jpg", Author: "趣头条",
		Date:    time.Date(2021, 8, 17, 14, 56, 6, 0, loc),
		Updated: time.Date(2021, 8, 18, 9, 0, 0, 0, loc),
		Link:    "http://home.qutoutiao.net/detail.html?content_id=1",
		Body:    "<p>{{ x }}</p>",
	}
	cases := []struct {
		name  string
		opt   Options
		keys  []string
		body  string
		cover bool
	}{
		{"sample keys", Options{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true},
			[]string{"title", "categories", "headimg", "author", "comments", "date", "thumbnail", "updated", "source_url"},
			"<div>\n<p>&#123;&#123; x &#125;&#125;</p>\n</div>\n", true},
		{"one key", Options{CoverKeys: []string{"cover"}},
			[]string{"title", "categories", "cover", "author", "comments", "date", "updated", "source_url"},
			"<div>\n<p>{{ x }}</p>\n</div>\n", true},
		{"three keys", Options{CoverKeys: []string{"headimg", "thumbnail", "index_img"}, EscapeBraces: true},
			[]string{"title", "categories", "headimg", "author", "comments", "date", "thumbnail", "index_img", "updated", "source_url"},
			"<div>\n<p>&#123;&#123; x &#125;&#125;</p>\n</div>\n", true},
		{"no keys", Options{},
			[]string{"title", "categories", "author", "comments", "date", "updated", "source_url"},
			"<div>\n<p>{{ x }}</p>\n</div>\n", false},
	}
	for _, c := range cases {
		fm, keys, body := frontMatter(t, Render(p, c.opt))
		if strings.Join(keys, ",") != strings.Join(c.keys, ",") {
			t.Errorf("%s: keys %v, want %v", c.name, keys, c.keys)
		}
		if body != "\n"+c.body { // a blank line separates front matter and body
			t.Errorf("%s: body %q, want %q", c.name, body, c.body)
		}
		if fm["date"] != "2021-08-17T14:56:06+08:00" || fm["updated"] != "2021-08-18T09:00:00+08:00" {
			t.Errorf("%s: dates %v %v", c.name, fm["date"], fm["updated"])
		}
		if fm["comments"] != false || fm["source_url"] != p.Link || fm["author"] != "趣头条" {
			t.Errorf("%s: %v", c.name, fm)
		}
		for _, k := range c.opt.CoverKeys {
			if fm[k] != p.Cover {
				t.Errorf("%s: %s = %v", c.name, k, fm[k])
			}
		}
	}
	// No link: no source_url; no updated time: updated is the date, so
	// that Hexo never shows the file's mtime.
	p.Link, p.Updated = "", time.Time{}
	fm, keys, _ := frontMatter(t, Render(p, Options{}))
	if strings.Contains(strings.Join(keys, ","), "source_url") || fm["updated"] != "2021-08-17T14:56:06+08:00" {
		t.Errorf("keys %v, updated %v", keys, fm["updated"])
	}
}

// TestRenderPresets: each theme's preset writes the keys the theme reads,
// in the order contract (title, categories, first cover key, author,
// comments, date, other cover keys, then the additions), and a theme with no
// link key gets the closing paragraph.
func TestRenderPresets(t *testing.T) {
	p := post.Post{
		ID: "0123456789abcdef", Title: "标题 <1>", Categories: []string{"新媒体"},
		Cover: "https://img.example/1.jpg", Author: "趣头条",
		Date: time.Date(2021, 8, 17, 14, 56, 6, 0, time.FixedZone("CST", 8*3600)),
		Link: "https://home.qutoutiao.net/detail.html?a=1&b=2",
		Body: "<p>正文</p>",
	}
	para := `<p class="feedpost-source"><a href="https://home.qutoutiao.net/detail.html?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">阅读原文</a></p>`
	named := `<p class="feedpost-source">趣头条 · <a href="https://home.qutoutiao.net/detail.html?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">阅读原文</a></p>`
	opts := func(name string) Options {
		th, ok := Preset(name)
		if !ok {
			t.Fatalf("no preset %s", name)
		}
		o := Options{CoverKeys: th.CoverKeys, LinkKey: th.LinkKey, LinkStyle: th.LinkStyle, AuthorKey: th.AuthorKey, SiteKey: th.SiteKey,
			FullwidthPercent: th.FullwidthPercent}
		if name != ThemeNone {
			o.LinkText = "阅读原文"
		}
		o.NameSource = !th.ShowsAuthor
		return o
	}
	cases := []struct {
		theme string
		keys  []string
		extra map[string]any
		para  string
	}{
		{"none", []string{"title", "categories", "headimg", "author", "comments", "date", "thumbnail", "updated", "source_url"}, nil, ""},
		{"volantis", []string{"title", "categories", "headimg", "author", "comments", "date", "thumbnail", "updated", "source_url", "link"},
			map[string]any{"link": p.Link}, ""},
		{"butterfly", []string{"title", "categories", "cover", "author", "comments", "date", "top_img", "updated", "source_url",
			"copyright_url", "copyright_author_href", "copyright_author"},
			map[string]any{"copyright_url": p.Link, "copyright_author": "趣头条", "copyright_author_href": "https://home.qutoutiao.net/"}, ""},
		{"fluid", []string{"title", "categories", "index_img", "author", "comments", "date", "banner_img", "updated", "source_url"}, nil, para},
		{"next", []string{"title", "categories", "photos", "author", "comments", "date", "updated", "source_url"}, nil, named},
		{"redefine", []string{"title", "categories", "thumbnail", "author", "comments", "date", "updated", "source_url"}, nil, para},
		{"stellar", []string{"title", "categories", "cover", "author", "comments", "date", "banner", "updated", "source_url", "references"},
			map[string]any{"references": []any{`<a href="https://home.qutoutiao.net/detail.html?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">标题 &lt;1&gt;</a>`}}, ""},
		{"matery", []string{"title", "categories", "img", "author", "comments", "date", "updated", "source_url"}, nil, para},
		{"landscape", []string{"title", "categories", "photos", "author", "comments", "date", "updated", "source_url"}, nil, named},
	}
	for _, c := range cases {
		fm, keys, body := frontMatter(t, Render(p, opts(c.theme)))
		if strings.Join(keys, ",") != strings.Join(c.keys, ",") {
			t.Errorf("%s: keys %v, want %v", c.theme, keys, c.keys)
		}
		for k, v := range c.extra {
			if !reflect.DeepEqual(fm[k], v) {
				t.Errorf("%s: %s = %#v, want %#v", c.theme, k, fm[k], v)
			}
		}
		want := "\n<div>\n<p>正文</p>\n" + c.para
		if c.para != "" {
			want += "\n"
		}
		if want += "</div>\n"; body != want {
			t.Errorf("%s: body %q, want %q", c.theme, body, want)
		}
	}
	// Redefine fails a page whose title holds a % (i18n sprintf): ％.
	pct := p
	pct.Title = "能效比提升 40%"
	if fm, _, _ := frontMatter(t, Render(pct, opts("redefine"))); fm["title"] != "能效比提升 40％" {
		t.Errorf("redefine title %v", fm["title"])
	}
	if fm, _, _ := frontMatter(t, Render(pct, opts("fluid"))); fm["title"] != "能效比提升 40%" {
		t.Errorf("fluid title %v", fm["title"])
	}
	// No link: no link key, no paragraph.
	p.Link = ""
	_, keys, body := frontMatter(t, Render(p, opts("volantis")))
	if strings.Contains(strings.Join(keys, ","), "link") || strings.Contains(body, "feedpost-source") {
		t.Errorf("a post without a link: keys %v, body %q", keys, body)
	}
	_, _, body = frontMatter(t, Render(p, opts("fluid")))
	if strings.Contains(body, "feedpost-source") {
		t.Errorf("a post without a link has a source paragraph: %q", body)
	}
}
