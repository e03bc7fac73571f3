package hugo

import (
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/post"
)

// frontMatter is what a Hugo post's front matter must read back as.
type frontMatter struct {
	Title      string   `yaml:"title"`
	Date       string   `yaml:"date"`
	Lastmod    string   `yaml:"lastmod"`
	Draft      bool     `yaml:"draft"`
	Markup     string   `yaml:"markup"`
	Categories []string `yaml:"categories"`
	Images     []string `yaml:"images"`
	Params     struct {
		Author    string `yaml:"author"`
		Source    string `yaml:"source"`
		SourceURL string `yaml:"source_url"`
	} `yaml:"params"`
}

// split returns the front matter and the body of a rendered file.
func split(t *testing.T, file []byte) (frontMatter, map[string]any, string) {
	t.Helper()
	s := string(file)
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		t.Fatalf("file does not start with ---:\n%s", s)
	}
	fm, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("no closing ---:\n%s", s)
	}
	var out frontMatter
	dec := yaml.NewDecoder(strings.NewReader(fm))
	dec.KnownFields(true) // an unexpected key (a value that broke out of its scalar) fails
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("front matter does not parse: %v\n%s", err, fm)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(fm), &raw); err != nil {
		t.Fatalf("front matter does not parse as a map: %v", err)
	}
	return out, raw, body
}

var cst = time.FixedZone("CST", 8*3600)

func samplePost() post.Post {
	return post.Post{
		ID:         "0123456789abcdef",
		SourceKey:  "feeds/tech-rss.xml",
		SourceName: "tech",
		Title:      "示例标题",
		Categories: []string{"科技", "示例科技", "最新"},
		Cover:      "https://images.example.workers.dev/?http://img.example.com/a.jpg",
		Author:     "科技日报",
		Date:       time.Date(2024, 5, 6, 14, 56, 6, 0, cst),
		Link:       "https://news.example.com/a?id=1&x=2",
		Body:       "<p>正文</p>",
	}
}

func TestFrontMatterRoundTrip(t *testing.T) {
	nasty := []string{
		"它's 好", "标题：副标题", "a: b", "a:b", "# 不是注释", "标签 #热点",
		"@user 发布", "[快讯] 标题", "*重要*", "!紧急", "%百分比", "| 管道", "> 引用",
		"`代码`", "{{ 模板 }}", "{a: 1}", "- 列表", "? 问号", "&anchor", "yes", "null", "~",
		"2024-05-06", "0x1F", "1e3", ".inf", "'单引号'", `"双引号"`, `反斜杠 \ 与 \n`,
		"中文标题，含全角：冒号", "表情 🚀🔥 emoji", " 前后空格 ", "",
		"换行\n第二行", "制表\t符", "回车\r\n结束",
	}
	for _, s := range nasty {
		t.Run(s, func(t *testing.T) {
			p := samplePost()
			p.Title = s
			p.Categories = []string{s, "科技", s + "2"}
			p.Author = s
			p.SourceName = s
			p.Link = "https://example.com/" + s
			p.Cover = "http://img.example.com/" + s
			got, _, _ := split(t, Render(p, NewOptions("x")))
			if got.Title != s {
				t.Errorf("title = %q, want %q", got.Title, s)
			}
			if len(got.Categories) != 3 || got.Categories[0] != s || got.Categories[1] != "科技" || got.Categories[2] != s+"2" {
				t.Errorf("categories = %q", got.Categories)
			}
			if got.Params.Author != s || got.Params.Source != s {
				t.Errorf("params = %+v, want author and source %q", got.Params, s)
			}
			if got.Params.SourceURL != p.Link {
				t.Errorf("source_url = %q, want %q", got.Params.SourceURL, p.Link)
			}
			if len(got.Images) != 1 || got.Images[0] != p.Cover {
				t.Errorf("images = %q, want [%q]", got.Images, p.Cover)
			}
		})
	}
}

func TestFrontMatterFields(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*post.Post)
		wantKeys  []string
		wantNoKey []string
	}{
		{"full", func(p *post.Post) { p.Updated = p.Date.Add(time.Hour) },
			[]string{"title", "date", "lastmod", "draft", "markup", "categories", "images", "params"}, nil},
		{"no updated", func(p *post.Post) {}, []string{"date"}, []string{"lastmod"}},
		{"no cover", func(p *post.Post) { p.Cover = "" }, []string{"title"}, []string{"images"}},
		{"no categories", func(p *post.Post) { p.Categories = nil }, []string{"title"}, []string{"categories"}},
		{"no link", func(p *post.Post) { p.Link = "" }, []string{"params"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePost()
			tt.edit(&p)
			fm, raw, _ := split(t, Render(p, NewOptions("x")))
			for _, k := range tt.wantKeys {
				if _, ok := raw[k]; !ok {
					t.Errorf("key %q missing", k)
				}
			}
			for _, k := range tt.wantNoKey {
				if _, ok := raw[k]; ok {
					t.Errorf("key %q present, want absent", k)
				}
			}
			if fm.Draft || raw["draft"] != false {
				t.Errorf("draft = %v, want false", raw["draft"])
			}
			if fm.Markup != "html" {
				t.Errorf("markup = %q, want html", fm.Markup)
			}
			params, _ := raw["params"].(map[string]any)
			if _, ok := params["source_url"]; ok != (p.Link != "") {
				t.Errorf("source_url present = %v with link %q", ok, p.Link)
			}
		})
	}
}

func TestDateRoundTrip(t *testing.T) {
	instants := []time.Time{
		time.Date(2021, 8, 17, 14, 56, 6, 0, cst),
		time.Date(2021, 8, 17, 6, 56, 6, 0, time.UTC),
		time.Date(2020, 2, 29, 23, 59, 59, 0, time.FixedZone("", -5*3600)),
		time.Date(2024, 12, 31, 0, 0, 0, 0, time.FixedZone("", 5*3600+45*60)),
	}
	for _, d := range instants {
		t.Run(d.String(), func(t *testing.T) {
			p := samplePost()
			p.Date = d
			p.Updated = d.Add(90 * time.Minute)
			fm, raw, _ := split(t, Render(p, NewOptions("x")))
			if _, ok := raw["date"].(string); !ok {
				t.Errorf("date is %T, want a quoted string", raw["date"])
			}
			got, err := time.Parse(time.RFC3339, fm.Date)
			if err != nil {
				t.Fatalf("date %q: %v", fm.Date, err)
			}
			if !got.Equal(d) {
				t.Errorf("date = %v, want instant %v", got, d)
			}
			if _, off := got.Zone(); off != func() int { _, o := d.Zone(); return o }() {
				t.Errorf("date %q lost the site offset of %v", fm.Date, d)
			}
			up, err := time.Parse(time.RFC3339, fm.Lastmod)
			if err != nil || !up.Equal(p.Updated) {
				t.Errorf("lastmod = %q (%v), want %v", fm.Lastmod, err, p.Updated)
			}
		})
	}
}

func TestBodyBraces(t *testing.T) {
	p := samplePost()
	p.Body = "<p>{{< shortcode >}} 和 {{% x %}} 以及 {# c #} {{ 模板 }}</p>"
	_, _, body := split(t, Render(p, NewOptions("x")))
	if strings.ContainsAny(body, "{}") {
		t.Errorf("braces left in body:\n%s", body)
	}
	if want := "&#123;&#123;< shortcode >&#125;&#125;"; !strings.Contains(body, want) {
		t.Errorf("body lacks %q:\n%s", want, body)
	}
	if !strings.HasPrefix(body, "\n<div>\n") || !strings.HasSuffix(body, "\n</div>\n") {
		t.Errorf("body not wrapped in <div> block:\n%q", body)
	}
	if got := html.UnescapeString(body); !strings.Contains(got, "{{% x %}}") {
		t.Errorf("escaped body does not decode back to the text: %q", got)
	}

	opt := NewOptions("x")
	opt.EscapeBraces = false
	_, _, body = split(t, Render(p, opt))
	if !strings.Contains(body, "{{< shortcode >}}") {
		t.Errorf("EscapeBraces=false still changed the body:\n%s", body)
	}
}

func TestWriteIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "content", "posts")
	opt := NewOptions(dir)
	p := samplePost()
	path := filepath.Join(dir, p.ID+".md")

	written, err := Write(p, opt)
	if err != nil || !written {
		t.Fatalf("first Write = %v, %v; want true, nil", written, err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	written, err = Write(p, opt)
	if err != nil || written {
		t.Fatalf("second Write = %v, %v; want false, nil", written, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime().Equal(old) {
		t.Errorf("identical content rewrote the file: mtime %v, want %v", st.ModTime(), old)
	}

	p.Title = "改过的标题"
	written, err = Write(p, opt)
	if err != nil || !written {
		t.Fatalf("Write of changed post = %v, %v; want true, nil", written, err)
	}
	data, _ := os.ReadFile(path)
	if fm, _, _ := split(t, data); fm.Title != p.Title {
		t.Errorf("file title = %q, want %q", fm.Title, p.Title)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the post (temp files left?)", len(entries))
	}
}

func TestWriteRemoveErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(samplePost(), Options{}); err == nil {
		t.Error("Write with no Dir: no error")
	}
	bad := samplePost()
	bad.ID = "../escape"
	if _, err := Write(bad, NewOptions(dir)); err == nil {
		t.Error("Write with id ../escape: no error")
	}
	if err := Remove("../escape", NewOptions(dir)); err == nil {
		t.Error("Remove with id ../escape: no error")
	}
	// A file where the folder should be makes Write fail with the path named.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := Write(samplePost(), NewOptions(blocker)); err == nil || !strings.Contains(err.Error(), "hugo") {
		t.Errorf("Write under a file: err = %v", err)
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	opt := NewOptions(dir)
	p := samplePost()
	if _, err := Write(p, opt); err != nil {
		t.Fatal(err)
	}
	if err := Remove(p.ID, opt); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(Path(dir, p.ID)); !os.IsNotExist(err) {
		t.Errorf("file still there after Remove (stat err %v)", err)
	}
	if err := Remove(p.ID, opt); err != nil {
		t.Errorf("Remove of a missing file: %v", err)
	}
}
