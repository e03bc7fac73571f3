package hugo

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// Layouts of the throwaway test site. Each is written under both the names of
// Hugo < 0.146 (layouts/_default/…, layouts/index.html) and those of the
// template system of Hugo ≥ 0.146 (layouts/single.html, home.html…), so the
// test runs on either. The single layout prints what the test checks: the
// instant in UTC, the cover, the author (under .Params.params before Hugo
// 0.123, merged into .Params since) and the categories.
var layouts = map[string]string{
	"single": `<h1>{{ .Title }}</h1>
<time>{{ .Date.UTC.Format "2006-01-02T15:04:05Z07:00" }}</time>
<cover>{{ with .Params.images }}{{ index . 0 }}{{ end }}</cover>
<author>{{ with .Params.params }}{{ .author }}{{ else }}{{ .Params.author }}{{ end }}</author>
<cats>{{ range .Params.categories }}[{{ . }}]{{ end }}</cats>
<article>{{ .Content }}</article>
`,
	"list": `<h1>{{ .Title }}</h1>
{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ end }}`,
}

var layoutFiles = map[string]string{
	"_default/single.html": "single",
	"_default/list.html":   "list",
	"index.html":           "list",
	"single.html":          "single",
	"list.html":            "list",
	"home.html":            "list",
	"taxonomy.html":        "list",
	"term.html":            "list",
}

// hugoBinary is FEEDPOST_HUGO when set (to test another Hugo build), else
// `hugo` on PATH.
func hugoBinary(t *testing.T) string {
	if p := os.Getenv("FEEDPOST_HUGO"); p != "" {
		return p
	}
	p, err := exec.LookPath("hugo")
	if err != nil {
		t.Skip("hugo not on PATH: skipping the real-Hugo build test (install it, e.g. `apt-get install hugo`, or set FEEDPOST_HUGO)")
	}
	return p
}

// TestHugoBuild writes posts with the writer and builds them with the real
// hugo binary: the build must succeed with braces and shortcode-like text in
// a body, and the pages must show the intended instant, cover, author and
// categories. It runs once with Hugo's stock Markdown settings (raw HTML
// would be dropped by Goldmark there; `markup: html` must keep the body) and
// once with Goldmark's unsafe renderer, as many sites set it.
func TestHugoBuild(t *testing.T) {
	bin := hugoBinary(t)
	if out, err := exec.Command(bin, "version").CombinedOutput(); err == nil {
		t.Logf("testing with %s", strings.TrimSpace(string(out)))
	}

	posts := []post.Post{
		{
			ID: "aaaaaaaaaaaaaaa1", SourceName: "tech",
			Title:      "模板语法：{{< shortcode >}} 与 'quotes' #1",
			Categories: []string{"科技", "示例科技", "最新"},
			Cover:      "https://images.example.workers.dev/?http://img.example.com/a.jpg?w=1&h=2",
			Author:     "科技日报",
			Date:       time.Date(2024, 5, 6, 14, 56, 6, 0, time.FixedZone("CST", 8*3600)),
			Updated:    time.Date(2024, 5, 6, 15, 0, 0, 0, time.FixedZone("CST", 8*3600)),
			Link:       "https://news.example.com/tech/1",
			Body: "<p>正文里有 {{&lt; shortcode &gt;}} 和 {{% x %}} 以及 {{ .Title }}。</p>\n\n" +
				"<pre>第一行\n\n    缩进的第三行</pre>\n\n    * 不是列表\n<p>结尾 MARK-1</p>",
		},
		{
			ID: "aaaaaaaaaaaaaaa2", SourceName: "science",
			Title:      "@开头的标题: a: b",
			Categories: []string{"科学", "天文"},
			Author:     "科学周刊",
			Date:       time.Date(2024, 5, 7, 0, 30, 0, 0, time.FixedZone("CST", 8*3600)),
			Body:       "<p>MARK-2 深夜发布的文章</p>",
		},
		{
			ID: "aaaaaaaaaaaaaaa3", SourceName: "life",
			Title:      "生活 🚀 提示",
			Categories: []string{"生活", "示例生活", "精选"},
			Cover:      "https://img.example.com/c.png",
			Author:     "生活家",
			Date:       time.Date(2024, 5, 5, 8, 0, 0, 0, time.UTC),
			Link:       "https://news.example.com/life/3",
			Body:       "<p>MARK-3</p>",
		},
	}

	configs := map[string]string{
		"stock markdown settings": "",
		"goldmark unsafe":         "[markup.goldmark.renderer]\n  unsafe = true\n",
	}
	for name, extra := range configs {
		t.Run(name, func(t *testing.T) {
			site := t.TempDir()
			conf := `baseURL = "https://news.example.com/"
languageCode = "zh-CN"
title = "新闻聚合示例"
disableKinds = ["RSS", "sitemap", "robotsTXT"]
[taxonomies]
  category = "categories"
` + extra
			mustWrite(t, filepath.Join(site, "hugo.toml"), conf)
			for file, name := range layoutFiles {
				mustWrite(t, filepath.Join(site, "layouts", file), layouts[name])
			}
			opt := NewOptions(filepath.Join(site, "content", "posts"))
			for _, p := range posts {
				if _, err := Write(p, opt); err != nil {
					t.Fatal(err)
				}
			}

			cmd := exec.Command(bin, "--source", site, "--destination", filepath.Join(site, "public"))
			cmd.Env = append(os.Environ(), "HUGO_CACHEDIR="+filepath.Join(site, "cache"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("hugo failed: %v\n%s", err, out)
			}
			if strings.Contains(string(out), "ERROR") {
				t.Fatalf("hugo printed an error:\n%s", out)
			}

			for _, p := range posts {
				page := readPage(t, filepath.Join(site, "public", "posts", p.ID, "index.html"))
				text := html.UnescapeString(page)
				if !strings.Contains(text, "<h1>"+p.Title+"</h1>") {
					t.Errorf("%s: title %q not rendered:\n%s", p.ID, p.Title, page)
				}
				want := "<time>" + p.Date.UTC().Format(time.RFC3339) + "</time>"
				if !strings.Contains(page, want) {
					t.Errorf("%s: page lacks %s (date %v):\n%s", p.ID, want, p.Date, page)
				}
				if !strings.Contains(text, "<cover>"+p.Cover+"</cover>") {
					t.Errorf("%s: cover %q not rendered:\n%s", p.ID, p.Cover, page)
				}
				if !strings.Contains(text, "<author>"+p.Author+"</author>") {
					t.Errorf("%s: author %q not rendered:\n%s", p.ID, p.Author, page)
				}
				cats := "<cats>[" + strings.Join(p.Categories, "][") + "]</cats>"
				if !strings.Contains(text, cats) {
					t.Errorf("%s: categories %s not rendered:\n%s", p.ID, cats, page)
				}
				if mark := "MARK-" + p.ID[len(p.ID)-1:]; !strings.Contains(page, mark) {
					t.Errorf("%s: body text %s missing (raw HTML dropped?):\n%s", p.ID, mark, page)
				}
				for _, c := range p.Categories {
					if _, err := os.Stat(filepath.Join(site, "public", "categories", c, "index.html")); err != nil {
						t.Errorf("category page for %q: %v", c, err)
					}
				}
			}

			page := readPage(t, filepath.Join(site, "public", "posts", posts[0].ID, "index.html"))
			article := regexp.MustCompile(`(?s)<article>(.*)</article>`).FindStringSubmatch(page)
			if article == nil {
				t.Fatalf("no <article> in page:\n%s", page)
			}
			body := html.UnescapeString(article[1])
			for _, lit := range []string{"{{< shortcode >}}", "{{% x %}}", "{{ .Title }}"} {
				if !strings.Contains(body, lit) {
					t.Errorf("body lacks the literal text %q:\n%s", lit, article[1])
				}
			}
			if strings.Contains(article[1], "<li>") || strings.Contains(article[1], "<code>") {
				t.Errorf("body was read as Markdown:\n%s", article[1])
			}
		})
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPage(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("page not built: %v", err)
	}
	return string(b)
}
