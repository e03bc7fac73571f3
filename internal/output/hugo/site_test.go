package hugo

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func file(data string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(data)} }

var folder = &fstest.MapFile{Mode: fs.ModeDir | 0o755}

// TestReadSite: which folders are Hugo sites, and where their content and
// output go.
func TestReadSite(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "www")
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		// want: the config file, contentDir and publishDir relative to the
		// site ("" config: not a site)
		config, content, publish string
	}{
		{"hugo.toml alone", fstest.MapFS{"hugo.toml": file("title = 'x'\n")}, "hugo.toml", "content", "public"},
		{"TOML keys", fstest.MapFS{"hugo.toml": file("baseURL = \"https://example.org/\"\ncontentDir = \"web\"\npublishDir = 'docs'\n")},
			"hugo.toml", "web", "docs"},
		{"YAML keys", fstest.MapFS{"config.yaml": file("contentDir: src/content # ours\npublishDir: out\n"), "layouts": folder},
			"config.yaml", "src/content", "out"},
		{"JSON keys", fstest.MapFS{"hugo.json": file("{\n  \"contentDir\": \"c\",\n  \"publishDir\": \"p\"\n}\n")}, "hugo.json", "c", "p"},
		{"absolute publishDir", fstest.MapFS{"hugo.yaml": file("publishDir: " + abs + "\n")}, "hugo.yaml", "content", abs},
		{"hugo.* before config.*", fstest.MapFS{"config.toml": file("publishDir = 'a'\n"), "hugo.toml": file("publishDir = 'b'\n"), "content": folder},
			"hugo.toml", "content", "b"},
		{"config.toml beside content/", fstest.MapFS{"config.toml": file("title = 'x'\n"), "content": folder}, "config.toml", "content", "public"},
		{"config.toml beside archetypes/", fstest.MapFS{"config.toml": file(""), "archetypes": folder}, "config.toml", "content", "public"},
		{"a config.yaml alone is not Hugo's", fstest.MapFS{"config.yaml": file("x: 1\n")}, "", "", ""},
		{"a hugo.toml folder is no config", fstest.MapFS{"hugo.toml": folder}, "", "", ""},
		{"nothing", nil, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, c.files); err != nil {
				t.Fatal(err)
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
