package hexo

import (
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
		{"It's a test", "It’s a test"}, // quotes and markup characters are made inert (content.Inert)
		{"标题：副标题", "标题：副标题"},
		{"a: b", "a: b"},
		{"# 不是注释", "# 不是注释"},
		{"@某人 发布了", "@某人 发布了"},
		{"[视频] 新闻", "[视频] 新闻"},
		{"*重要* 通知", "*重要* 通知"},
		{"第一行\n第二行", "第一行 第二行"},
		{"A &amp; B &lt;tag&gt;", "A & B ＜tag＞"},
		{"&amp;amp; once", "＆amp; once"},
		{"多余\u00a0\u00a0空格  ", "多余 空格"},
		{"<b>加粗</b>的标题", "加粗的标题"},
		{"{{ 花括号 }}", "{{ 花括号 }}"},
		{`反斜杠 \ 和 "引号"`, `反斜杠 \ 和 “引号”`},
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
	// No link: no source_url; no updated: no updated line.
	p.Link, p.Updated = "", time.Time{}
	_, keys, _ := frontMatter(t, Render(p, Options{}))
	if strings.Contains(strings.Join(keys, ","), "source_url") || strings.Contains(strings.Join(keys, ","), "updated") {
		t.Errorf("keys %v", keys)
	}
}
