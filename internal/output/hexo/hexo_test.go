package hexo_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/post"
)

// trickyPosts are posts whose front matter or body broke, or could break, a
// real Hexo site: YAML indicators at the start of titles and categories,
// `a: b` (a mapping if unquoted), YAML 1.1 words, entity text, emoji, braces
// that Nunjucks would execute, and bodies with blank lines, indentation and
// Markdown-looking text that must stay inside the HTML block. The
// integration test renders them with real Hexo; TestRenderRoundTrip checks
// the front matter in Go.
func trickyPosts() []post.Post {
	cst := time.FixedZone("CST", 8*3600)
	est := time.FixedZone("EST", -5*3600)
	cases := []struct {
		title, category string
		date            time.Time
		body            string
	}{
		{"it's a 'quoted' title", "it's", time.Date(2024, 12, 31, 23, 30, 0, 0, cst), "<p>apostrophes</p>"},
		{"标题: 冒号 - a: b", "a: b", time.Date(2025, 1, 1, 0, 0, 0, 0, cst), "<p>colon</p>"},
		{"# 井号开头 #tag", "#hash", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "<p>hash</p>"},
		{"@提到某人", "@at", time.Date(2025, 1, 3, 12, 0, 0, 0, est), "<p>at</p>"},
		{"[方括号] 开头", "[bracket]", time.Date(2025, 1, 4, 8, 0, 0, 0, cst), "<p>bracket</p>"},
		{"*星号* 开头", "*star", time.Date(2025, 1, 5, 8, 0, 0, 0, cst), "<p>star</p>"},
		{"!感叹号开头", "!bang", time.Date(2025, 1, 6, 8, 0, 0, 0, cst), "<p>bang</p>"},
		{"%百分号 100%", "%pct", time.Date(2025, 1, 7, 8, 0, 0, 0, cst), "<p>percent</p>"},
		{"| 竖线开头", "|pipe", time.Date(2025, 1, 8, 8, 0, 0, 0, cst), "<p>pipe</p>"},
		{"> 大于号开头", ">gt", time.Date(2025, 1, 9, 8, 0, 0, 0, cst), "<p>gt</p>"},
		{"`反引号` 开头", "`tick`", time.Date(2025, 1, 10, 8, 0, 0, 0, cst), "<p>backtick</p>"},
		{"Tom &amp; Jerry &lt;b&gt; 实体文字", "实体", time.Date(2025, 1, 11, 8, 0, 0, 0, cst), "<p>Tom &amp; Jerry</p>"},
		{"🚀 发射成功 🎉", "🚀火箭", time.Date(2025, 1, 12, 8, 0, 0, 0, cst), "<p>emoji 🚀</p>"},
		{"{{ 标题里的花括号 }} {% raw %}", "null", time.Date(2025, 1, 13, 8, 0, 0, 0, cst),
			`<p>正文 {{ 模板 }} {% raw %} {%- x -%} {# 注释 #} }} {{</p><p><img src="https://img.example.com/a.jpg?x={1}" alt="{alt}"></p>`},
		{"yes", "2024", time.Date(2025, 1, 14, 8, 0, 0, 0, cst), "<p>yes</p>"},
		{"true", "true", time.Date(2025, 1, 15, 8, 0, 0, 0, cst), "<p>true</p>"},
		{"1.0", "1.0", time.Date(2025, 1, 16, 8, 0, 0, 0, cst),
			"<p>first</p>\n\n\n    <p>indented after blank lines</p>\n" +
				"<p>*not emphasis* and __not strong__ -- \"straight quotes\"\n# not a heading\n1. not a list\n> not a quote\n---\n</p>\n" +
				"<pre><code>line 1\n\n    indented line 3\n\tline 4 {{ x }}\n</code></pre>\n<p>after pre</p>\n" +
				"<pre><code>```\nfence inside pre\n```\n</code></pre>"},
		{"三个反引号", "代码", time.Date(2025, 1, 17, 8, 0, 0, 0, cst),
			"<p>text\n```js\nvar a = 1;\n```\nmore text</p>"},
		{"三个波浪线", "波浪线", time.Date(2025, 1, 17, 9, 0, 0, 0, cst),
			"<p>text\n~~~\nvar b = 2;\n~~~\nmore text</p>"},
		{"<div> in body", "div", time.Date(2025, 1, 18, 8, 0, 0, 0, cst),
			"<div><p>inner div</p></div>\n\n<p>after the inner div</p>\n<figure><img src=\"http://img.example.com/b.png\"><figcaption>说明</figcaption></figure>"},
	}
	posts := make([]post.Post, 0, len(cases))
	for _, c := range cases {
		posts = append(posts, post.Post{
			ID:         post.ID("tricky", c.title, "", "", ""),
			SourceKey:  "tricky",
			Title:      c.title,
			Categories: []string{"边界", c.category},
			Cover:      "https://img.example.com/cover.jpg?a=1&b='2'",
			Author:     "@作者: x",
			Date:       c.date,
			Link:       "https://example.com/a?b=c#d",
			Body:       c.body,
		})
	}
	return posts
}

// frontMatter is what the tests read back from a post file.
type frontMatter struct {
	Title      string   `yaml:"title"`
	Categories []string `yaml:"categories"`
	Headimg    string   `yaml:"headimg"`
	Thumbnail  string   `yaml:"thumbnail"`
	Author     string   `yaml:"author"`
	Comments   bool     `yaml:"comments"`
	Date       string   `yaml:"date"`
	Updated    string   `yaml:"updated"`
	SourceURL  string   `yaml:"source_url"`
}

// splitPost returns the parsed front matter and the body of a post file.
func splitPost(data []byte) (frontMatter, string, error) {
	var fm frontMatter
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	if !ok {
		return fm, "", fmt.Errorf("post does not start with ---")
	}
	head, body, ok := bytes.Cut(rest, []byte("\n---\n"))
	if !ok {
		return fm, "", fmt.Errorf("front matter has no closing ---")
	}
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return fm, "", fmt.Errorf("front matter: %w", err)
	}
	return fm, string(body), nil
}

// TestRenderRoundTrip checks that every front-matter value of the tricky
// posts reads back unchanged in YAML, that dates keep their instant and
// offset, and that the body sits in one HTML block with no braces left.
func TestRenderRoundTrip(t *testing.T) {
	opt := hexo.Options{Dir: t.TempDir(), CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true}
	for _, p := range trickyPosts() {
		t.Run(p.Title, func(t *testing.T) {
			data := hexo.Render(p, opt)
			fm, body, err := splitPost(data)
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			want := frontMatter{
				Title: p.Title, Categories: p.Categories, Headimg: p.Cover, Thumbnail: p.Cover,
				Author: p.Author, Date: p.Date.Format(time.RFC3339), SourceURL: p.Link,
				Updated: p.Date.Format(time.RFC3339), // no updated time: the date
			}
			if !reflect.DeepEqual(fm, want) {
				t.Errorf("front matter reads back as\n%+v\nwant\n%+v\nfile:\n%s", fm, want, data)
			}
			if d, err := time.Parse(time.RFC3339, fm.Date); err != nil || !d.Equal(p.Date) {
				t.Errorf("date %q: want the instant %v (%v)", fm.Date, p.Date, err)
			}
			if !strings.HasPrefix(body, "\n<div>\n") || !strings.HasSuffix(body, "</div>\n") || strings.Contains(body[1:], "\n\n") {
				t.Errorf("body is not one HTML block:\n%s", body)
			}
			if strings.ContainsAny(body, "{}") {
				t.Errorf("braces left in the body:\n%s", body)
			}
		})
	}
}

// TestWriteThenRewriteIsANoOp checks that Write reports a change only when
// the file's bytes change, so a second run leaves Hexo's source alone.
func TestWriteThenRewriteIsANoOp(t *testing.T) {
	opt := hexo.Options{Dir: t.TempDir(), CoverKeys: []string{"headimg"}}
	p := trickyPosts()[0]
	for i, want := range []bool{true, false} {
		changed, err := hexo.Write(p, opt)
		if err != nil || changed != want {
			t.Fatalf("write #%d: changed=%v err=%v, want changed=%v", i+1, changed, err, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(opt.Dir, p.ID+".md"))
	if err != nil || !bytes.Equal(data, hexo.Render(p, opt)) {
		t.Fatalf("file is not Render's output (%v)", err)
	}
}
