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
)

// runTestFeed is a valid RSS feed with n items named after name.
func runTestFeed(name string, n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>` + name + `</title>`)
	for i := range n {
		fmt.Fprintf(&b, "<item><guid>%s-%d</guid><title>%s 第%d条</title><link>https://news.example.com/%s/%d</link>"+
			"<description><![CDATA[<p>正文 %d</p>]]></description><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item>",
			name, i, name, i, name, i, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// runTestConfig serves a good feed, a 404 and a feed with invalid UTF-8, and
// writes a config for them in a new folder.
func runTestConfig(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, runTestFeed("good", 3))
	})
	mux.HandleFunc("/latin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, strings.Replace(runTestFeed("latin", 2), "正文 0", "正文 \xff\xfe 0", 1))
	})
	srv := httptest.NewServer(mux) // /bad is a 404
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feedpost.yaml")
	yml := fmt.Sprintf("hexo: {dir: posts}\nfetch: {retries: 0, timeout: 5s}\nsources:\n"+
		"  - {url: %[1]s/good, name: good}\n  - {url: %[1]s/bad, name: bad}\n  - {url: %[1]s/latin, name: latin}\n", srv.URL)
	if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRunExitCodeAndJSON: a run with a failing source exits 1, still writes
// the good sources' posts, and --json prints the object of docs/cli.md.
func TestRunExitCodeAndJSON(t *testing.T) {
	cfg := runTestConfig(t)
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", "--json", "-c", cfg}, &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"sources", "posts_written", "posts_total", "duration_ms"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the JSON object lacks %q: %s", k, stdout.String())
		}
	}
	var sum struct {
		Sources []map[string]any `json:"sources"`
		Written int              `json:"posts_written"`
		Total   int              `json:"posts_total"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Written != 5 || sum.Total != 5 {
		t.Errorf("posts_written %d, posts_total %d, want 5 and 5", sum.Written, sum.Total)
	}
	byName := map[string]map[string]any{}
	for _, s := range sum.Sources {
		for _, k := range []string{"name", "url", "status", "new", "updated", "unchanged", "duplicates", "error"} {
			if _, ok := s[k]; !ok {
				t.Errorf("source %v lacks %q", s["name"], k)
			}
		}
		byName[s["name"].(string)] = s
	}
	if s := byName["good"]; s["status"] != "ok" || s["new"] != 3.0 || s["error"] != "" {
		t.Errorf("good: %v", s)
	}
	if s := byName["bad"]; s["status"] != "failed" || !strings.HasSuffix(s["error"].(string), "/bad: 404 Not Found") {
		t.Errorf("bad: %v", s)
	}
	// The repaired encoding reaches the JSON summary.
	if s := byName["latin"]; s["status"] != "ok" || s["note"] != "invalid UTF-8 or control characters repaired" {
		t.Errorf("latin: %v", s)
	}
	posts, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "posts", "*.md"))
	if len(posts) != 5 {
		t.Errorf("%d posts written, want 5 (the good sources' posts)", len(posts))
	}
}

// TestRunSummaryTable: the table on stderr shows the repaired-encoding note,
// the failure, and, after three failures in a row, the backed-off source as
// "skipped" with the time of its next try.
func TestRunSummaryTable(t *testing.T) {
	cfg := runTestConfig(t)
	row := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		t.Fatalf("no table row for %s in:\n%s", name, out)
		return ""
	}
	for i := 1; i <= 3; i++ {
		var stdout, stderr bytes.Buffer
		if code := execute([]string{"run", "-c", cfg}, &stdout, &stderr); code != exitFailed {
			t.Fatalf("run %d: exit code %d, want 1\n%s", i, code, stderr.String())
		}
		out := stderr.String()
		if r := row(out, "bad"); !strings.Contains(r, "failed") || !strings.Contains(r, "404 Not Found") {
			t.Errorf("run %d: bad row %q", i, r)
		}
		if r := row(out, "latin"); !strings.Contains(r, "invalid UTF-8 or control characters repaired") {
			t.Errorf("run %d: latin row %q lacks the repair note", i, r)
		}
	}
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", "-c", cfg}, &stdout, &stderr)
	r := row(stderr.String(), "bad")
	if !strings.Contains(r, "skipped (backed off until ") || !strings.Contains(r, ", --force to fetch now)") ||
		!strings.Contains(r, "backed off after 3 consecutive failures (the last: ") {
		t.Errorf("4th run: bad row %q, want it skipped and backed off", r)
	}
	// Skipped is not failed: exit 1 is for sources that failed (docs/cli.md).
	if code != exitOK {
		t.Errorf("4th run: exit code %d, want 0", code)
	}
}
