package scaffold

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/deploy"
)

func TestScalar(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"source/_posts", "source/_posts"},
		{"https://rsshub.app", "https://rsshub.app"},
		{"/b?limit=5&mode=fulltext", "/b?limit=5&mode=fulltext"},
		{"../blog/source/_posts", "../blog/source/_posts"},
		{"", "''"},
		{"yes", "'yes'"},
		{"Off", "'Off'"},
		{"my blog", "my blog"},
		{"1.0", "'1.0'"},
		{"a: b", "'a: b'"},
		{"a #b", "'a #b'"},
		{"@x", "'@x'"},
		{" x", "' x'"},
		{"it's", "it's"},
	} {
		got := scalar(c.in)
		if got != c.want {
			t.Errorf("scalar(%q) = %s, want %s", c.in, got, c.want)
		}
		var m map[string]string
		if err := yaml.Unmarshal([]byte("k: "+got), &m); err != nil || m["k"] != c.in {
			t.Errorf("scalar(%q) = %s reads back as %q (%v)", c.in, got, m["k"], err)
		}
	}
}

// The workflow init writes is the embedded one, with only the env values of
// the paths changed: one source of truth, which CI lints and runs.
func TestWorkflowChangesOnlyThePaths(t *testing.T) {
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	blog := Blog{Kind: KindHexo, Root: filepath.Join(repo, "my blog"), PostsDir: filepath.Join(repo, "my blog", "src", "_posts"),
		PublicDir: filepath.Join(repo, "my blog", "www")}
	for _, c := range []struct {
		blog Blog
		name string
		want map[string]string
	}{
		{blog, deploy.HexoWorkflow, map[string]string{"FEEDPOST_VERSION": "v1.2.3", "FEEDPOST_CONFIG": "my blog/feedpost.yaml",
			"FEEDPOST_STATE": "my blog/.feedpost", "BLOG_DIR": "my blog", "POSTS_DIR": "my blog/src/_posts", "PUBLIC_DIR": "www"}},
		{Blog{}, deploy.SiteWorkflow, map[string]string{"FEEDPOST_VERSION": "v1.2.3", "FEEDPOST_CONFIG": "my blog/feedpost.yaml",
			"FEEDPOST_STATE": "my blog/.feedpost", "SITE_DIR": "my blog/public"}},
	} {
		f, err := Workflow(filepath.Join(repo, "my blog", "feedpost.yaml"), Options{Blog: c.blog, Version: "v1.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		if f.path != filepath.Join(repo, ".github", "workflows", "feedpost.yml") {
			t.Errorf("path %s", f.path)
		}
		orig, _ := fs.ReadFile(deploy.GitHubActions, c.name)
		a, b := bytes.Split(orig, []byte("\n")), bytes.Split(f.data, []byte("\n"))
		if len(a) != len(b) {
			t.Fatalf("%s: %d lines became %d", c.name, len(a), len(b))
		}
		changed := map[string]string{}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				key, val, _ := strings.Cut(strings.TrimSpace(string(b[i])), ": ")
				val, _, _ = strings.Cut(val, " #")
				changed[key] = val
				if _, comment, ok := bytes.Cut(a[i], []byte(" #")); ok && !bytes.HasSuffix(b[i], comment) {
					t.Errorf("%s: line %d lost its comment: %s", c.name, i+1, b[i])
				}
			}
		}
		for k, v := range c.want {
			if changed[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, changed[k], v)
			}
			delete(changed, k)
		}
		if len(changed) > 0 {
			t.Errorf("%s: other lines changed: %v", c.name, changed)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(f.data, &doc); err != nil {
			t.Errorf("%s: the written workflow is not YAML: %v", c.name, err)
		}
	}
}

// Write is all or nothing, and never overwrites.
func TestWriteNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows", "feedpost.yml")
	if err := os.MkdirAll(filepath.Dir(wf), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(wf, []byte("mine"), 0o644)
	cfg := filepath.Join(dir, "feedpost.yaml")
	if _, err := Write(Options{Config: cfg, GitHubActions: true}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Error("the config was written although the workflow could not be")
	}
	if data, _ := os.ReadFile(wf); string(data) != "mine" {
		t.Error("the workflow was overwritten")
	}
	written, err := Write(Options{Config: cfg})
	if err != nil || len(written) != 1 {
		t.Fatalf("%v %v", written, err)
	}
	if _, err := Write(Options{Config: cfg}); err == nil {
		t.Error("a second Write overwrote the config")
	}
}
