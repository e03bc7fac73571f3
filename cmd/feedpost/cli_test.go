package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadConfigExits2NamingLineAndKey(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ yml, want string }{
		{"sources:\n  - url: a.xml\n    limt: 3\n", "feedpost.yaml:3: sources[0].limt"},
		{"site:\n  timezone: Mars/Base\nsources:\n  - url: a.xml\n", "feedpost.yaml:2: site.timezone"},
		{"hexo: {dir: x}\n", "sources"},
		{"sources:\n  - name: nothing\n", "feedpost.yaml:2"},
		{"fetch:\n  max_bytes: lots\nsources:\n  - url: a.xml\n", "fetch.max_bytes"},
	}
	for _, c := range cases {
		cfg := filepath.Join(dir, "feedpost.yaml")
		os.WriteFile(cfg, []byte(c.yml), 0o644)
		for _, verb := range []string{"run", "check", "build"} {
			var out, errb bytes.Buffer
			code := execute([]string{verb, "-c", cfg}, &out, &errb)
			if code != 2 || !strings.Contains(errb.String(), c.want) {
				t.Errorf("%s on %q: exit %d, stderr %q; want 2 and %q", verb, c.yml, code, errb.String(), c.want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "feedpost.db")); err == nil {
			t.Errorf("a bad config wrote the store")
		}
	}
	var out, errb bytes.Buffer
	if code := execute([]string{"run", "--no-such-flag"}, &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := execute([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestCheckListsResolvedSources(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte("rsshub: https://rsshub.example.com/\nsources:\n  - route: qutoutiao/category/1\n    category: [新媒体, 趣头条, 分类]\n  - url: feeds/a.xml\n    enabled: false\n"), 0o644)
	var out, errb bytes.Buffer
	if code := execute([]string{"check", "-c", cfg}, &out, &errb); code != 0 {
		t.Fatalf("check: %d %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"https://rsshub.example.com/qutoutiao/category/1", "新媒体 / 趣头条 / 分类", filepath.Join(dir, "feeds", "a.xml"), "disabled"} {
		if !strings.Contains(s, want) {
			t.Errorf("check output lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	execute([]string{"version"}, &out, &errb)
	if !strings.HasPrefix(out.String(), "feedpost ") {
		t.Errorf("version: %q", out.String())
	}
}
