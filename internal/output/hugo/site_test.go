package hugo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadSite: which folders are Hugo sites, and where their content and
// output go.
func TestReadSite(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "www")
	for _, c := range []struct {
		name  string
		files map[string]string // "x/" is a folder
		// want: the config file, contentDir and publishDir relative to the
		// site ("" config: not a site)
		config, content, publish string
	}{
		{"hugo.toml alone", map[string]string{"hugo.toml": "title = 'x'\n"}, "hugo.toml", "content", "public"},
		{"TOML keys", map[string]string{"hugo.toml": "baseURL = \"https://example.org/\"\ncontentDir = \"web\"\npublishDir = 'docs'\n"},
			"hugo.toml", "web", "docs"},
		{"YAML keys", map[string]string{"config.yaml": "contentDir: src/content # ours\npublishDir: out\n", "layouts/": ""},
			"config.yaml", "src/content", "out"},
		{"JSON keys", map[string]string{"hugo.json": "{\n  \"contentDir\": \"c\",\n  \"publishDir\": \"p\"\n}\n"}, "hugo.json", "c", "p"},
		{"absolute publishDir", map[string]string{"hugo.yaml": "publishDir: " + abs + "\n"}, "hugo.yaml", "content", abs},
		{"hugo.* before config.*", map[string]string{"config.toml": "publishDir = 'a'\n", "hugo.toml": "publishDir = 'b'\n", "content/": ""},
			"hugo.toml", "content", "b"},
		{"config.toml beside content/", map[string]string{"config.toml": "title = 'x'\n", "content/": ""}, "config.toml", "content", "public"},
		{"config.toml beside archetypes/", map[string]string{"config.toml": "", "archetypes/": ""}, "config.toml", "content", "public"},
		{"a config.yaml alone is not Hugo's", map[string]string{"config.yaml": "x: 1\n"}, "", "", ""},
		{"a hugo.toml folder is no config", map[string]string{"hugo.toml/": ""}, "", "", ""},
		{"nothing", nil, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range c.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if strings.HasSuffix(name, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := ReadSite(dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.config == "" {
				if s != nil {
					t.Fatalf("a site: %+v", s)
				}
				return
			}
			in := func(p string) string {
				if filepath.IsAbs(p) {
					return p
				}
				return filepath.Join(dir, filepath.FromSlash(p))
			}
			want := Site{Root: dir, ConfigFile: in(c.config), ContentDir: in(c.content), PublishDir: in(c.publish)}
			if s == nil || *s != want {
				t.Errorf("got %+v, want %+v", s, want)
			}
		})
	}
}
