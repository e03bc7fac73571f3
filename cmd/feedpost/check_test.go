package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/report"
)

// TestCheckDoctor: `check` examines the blog hexo.dir belongs to, prints
// its findings, and exits 1 when one would break the blog; --json carries
// them too.
func TestCheckDoctor(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"blog/_config.yml":  "title: 博客\ntheme: butterfly\n",
		"blog/package.json": `{"dependencies": {"hexo": "8.1.2", "hexo-renderer-stylus": "3.0.1"}}`,
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "blog/node_modules/hexo-theme-butterfly"), 0o755)
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte("site: {dir: news}\nhexo: {dir: blog/source/_posts}\nsources: [{url: feed.xml}]\n"), 0o644)

	var out, errb bytes.Buffer
	code := execute([]string{"check", "-c", cfg}, &out, &errb)
	if code != exitFailed {
		t.Fatalf("check: exit %d, want 1 (a renderer is missing)\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{`preset "butterfly": cover in cover:, top_img:`, "ERROR theme butterfly needs hexo-renderer-pug", "fix: npm install hexo-renderer-pug"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if code := execute([]string{"check", "--json", "-c", cfg}, &out, &errb); code != exitFailed {
		t.Fatalf("check --json: exit %d", code)
	}
	var res struct {
		Findings []struct{ ID, Severity, Message, Fix string }
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	ids := map[string]string{}
	for _, f := range res.Findings {
		ids[f.ID] = f.Severity
	}
	if ids["hexo-renderers"] != "error" || ids["hexo-theme"] != "info" || ids["hexo-timezone"] == "" {
		t.Errorf("findings %v", ids)
	}

	// With the renderer installed, nothing breaks the blog: exit 0.
	os.WriteFile(filepath.Join(dir, "blog/package.json"), []byte(`{"dependencies": {"hexo-renderer-pug": "3.0.0", "hexo-renderer-stylus": "3.0.1"}}`), 0o644)
	t.Setenv("TZ", "UTC")
	out.Reset()
	if code := execute([]string{"check", "-c", cfg}, &out, &errb); code != exitOK {
		t.Errorf("check of a sound blog: exit %d\n%s", code, out.String())
	}
}

// TestErrorDetails: the mistakes a new user makes get a message that says
// what to do.
func TestErrorDetails(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "state"), 0o755)
	cfg := filepath.Join(dir, "feedpost.yaml")
	tests := []struct {
		name string
		yml  string // written to cfg ("" leaves it absent)
		args []string
		want []string
	}{
		{"no config here", "", []string{"run", "-c", filepath.Join(dir, "nope", "feedpost.yaml")},
			[]string{"cannot read the config", "-c", "examples/feedpost.yaml"}},
		{"store is a folder", "store: state\nsources: [{url: f.xml}]\n", []string{"run", "-c", cfg},
			[]string{"store: ", "state is a folder", "feedpost.db"}},
		{"port out of range", "sources: [{url: 'http://feeds.example:99999/rss'}]\n", []string{"check", "-c", cfg},
			[]string{"sources[0].url", "port 99999 is out of range"}},
		{"builtin proxy without a base", "images: {proxy: builtin}\nsources: [{url: f.xml}]\n", []string{"check", "-c", cfg},
			[]string{"images.proxy", "site.url or images.proxy_base"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.yml != "" {
				os.WriteFile(cfg, []byte(tt.yml), 0o644)
			}
			var out, errb bytes.Buffer
			code := execute(tt.args, &out, &errb)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

// TestSummaryWording: the table aligns Chinese names by their display
// width, has a duplicates column, and counts in words a person would use;
// `build` says what it wrote.
func TestSummaryWording(t *testing.T) {
	feed := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>源</title>` +
		`<item><guid>a</guid><title>一</title><link>https://n.example/a</link><description>一</description></item>` +
		`<item><guid>a</guid><title>一</title><link>https://n.example/a</link><description>一</description></item>` +
		`</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, feed)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("hexo: {dir: posts}\nsources:\n  - {url: %s/a, name: 趣头条新闻}\n", srv.URL)), 0o644)
	var out, errb bytes.Buffer
	if code := execute([]string{"run", "-c", cfg}, &out, &errb); code != 0 {
		t.Fatalf("run: %d\n%s", code, errb.String())
	}
	lines := strings.Split(errb.String(), "\n")
	var header, row string
	for i, l := range lines {
		if strings.HasPrefix(l, "SOURCE ") {
			header, row = l, lines[i+1]
		}
	}
	if !strings.Contains(header, "DUPLICATES") {
		t.Fatalf("no duplicates column:\n%s", errb.String())
	}
	// The STATUS column starts at the same display column in both lines.
	col := func(line, word string) int {
		i := strings.Index(line, word)
		return report.DisplayWidth(line[:i])
	}
	if h, r := col(header, "STATUS"), col(row, "ok"); h != r {
		t.Errorf("STATUS at display column %d, the row's status at %d:\n%s\n%s", h, r, header, row)
	}
	if d := strings.Fields(row)[5]; d != "1" {
		t.Errorf("duplicates cell %q, want 1: %s", d, row)
	}
	if !strings.Contains(errb.String(), "1 source (0 failed), 1 post file written, 1 post in total") {
		t.Errorf("totals line:\n%s", errb.String())
	}

	errb.Reset()
	if code := execute([]string{"build", "-c", cfg}, &out, &errb); code != 0 {
		t.Fatalf("build: %d\n%s", code, errb.String())
	}
	if s := errb.String(); strings.Contains(s, "SOURCE") || !strings.Contains(s, "built from the store: 0 post files rewritten of 1 post, ") ||
		!strings.Contains(s, " pages of the built-in site written") {
		t.Errorf("build summary:\n%s", s)
	}
}
