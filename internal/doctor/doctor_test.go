package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
)

// blogFiles is a Hexo blog with the Volantis theme installed and its
// renderers listed, which the cases below change one thing of.
func blogFiles() map[string]string {
	return map[string]string{
		"blog/_config.yml":                       "title: 博客\npermalink: :year/:title/\ntheme: volantis\n",
		"blog/package.json":                      `{"dependencies": {"hexo": "8.1.2", "hexo-renderer-ejs": "2.0.0", "hexo-renderer-stylus": "3.0.1"}}`,
		"blog/source/_posts/":                    "",
		"blog/node_modules/hexo-theme-volantis/": "",
	}
}

func TestFindings(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	type want struct{ id, severity, text string }
	tests := []struct {
		name   string
		change map[string]string // files to add or replace ("" content + no slash: delete)
		hexo   string            // the hexo: block
		local  *time.Location
		want   []want
		breaks bool
	}{
		{"a sound Volantis blog", nil, "{dir: blog/source/_posts}", time.UTC, []want{
			{"hexo-blog", Info, "Hexo blog"},
			{"hexo-timezone", Info, "timezone: unset"},
			{"hexo-updated-option", Info, "updated_option: mtime"},
			{"hexo-theme", Info, `theme volantis (from _config.yml): preset "volantis": cover in headimg:, thumbnail:, original link in link:, authors kept in`},
			{"hexo-authors", Info, "does not exist yet"},
		}, false},
		{"no blog above hexo.dir", nil, "{dir: posts}", time.UTC, []want{
			{"hexo-blog", Warning, "no Hexo _config.yml"},
			{"hexo-theme", Info, `preset "none"`},
		}, false},
		{"hexo.dir outside source/_posts", nil, "{dir: blog/source/news}", time.UTC, []want{
			{"hexo-dir", Error, "Hexo reads posts only from there"},
		}, true},
		{"timezone set, build machine in UTC", map[string]string{"blog/_config.yml": "theme: volantis\ntimezone: Asia/Shanghai\n"},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-timezone", Error, "timezone: Asia/Shanghai (" + "BLOG/_config.yml:2): Hexo moves every post date by the build machine's offset from it, -8h on this machine (UTC, UTC+00:00): a post of 14:56 shows 06:56"},
			}, true},
		{"timezone set, build machine in that zone", map[string]string{"blog/_config.yml": "theme: volantis\ntimezone: Asia/Shanghai\n"},
			"{dir: blog/source/_posts}", shanghai, []want{
				{"hexo-timezone", Warning, "matches this machine's zone"},
			}, false},
		{"timezone unknown", map[string]string{"blog/_config.yml": "theme: volantis\ntimezone: Mars/Olympus\n"},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-timezone", Error, "not a time zone"},
			}, true},
		{"updated_option misspelt", map[string]string{"blog/_config.yml": "theme: volantis\nupdated_option: modified\n"},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-updated-option", Warning, `"modified"`},
			}, false},
		{"theme without a preset", map[string]string{"blog/_config.yml": "theme: cactus\n", "blog/node_modules/hexo-theme-cactus/": ""},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-theme", Warning, "theme cactus has no preset"},
			}, false},
		{"hexo.theme differs from the blog's", nil, "{dir: blog/source/_posts, theme: butterfly}", time.UTC, []want{
			{"hexo-theme", Info, "hexo.theme: butterfly: cover in cover:, top_img:"},
			{"hexo-theme-mismatch", Warning, "says theme: volantis"},
		}, false},
		{"theme not installed", map[string]string{"blog/_config.yml": "theme: fluid\n"}, "{dir: blog/source/_posts}", time.UTC, []want{
			{"hexo-theme-installed", Warning, "theme fluid is not installed"},
		}, false},
		{"renderer missing", map[string]string{"blog/_config.yml": "theme: butterfly\n", "blog/node_modules/hexo-theme-butterfly/": ""},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-renderers", Error, "needs hexo-renderer-pug, which package.json does not list"},
			}, true},
		{"authors file is broken YAML", map[string]string{"blog/source/_data/author.yml": "me: [\n"}, "{dir: blog/source/_posts}", time.UTC, []want{
			{"hexo-authors", Error, "not valid YAML"},
		}, true},
		{"authors file turned off for Volantis", nil, "{dir: blog/source/_posts, authors_file: ''}", time.UTC, []want{
			{"hexo-authors", Warning, "placeholder author"},
		}, false},
		{"Stellar's first author is the default", map[string]string{"blog/_config.yml": "theme: stellar\n", "blog/node_modules/hexo-theme-stellar/": ""},
			"{dir: blog/source/_posts}", time.UTC, []want{
				{"hexo-authors", Warning, "default author"},
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := blogFiles()
			for k, v := range tt.change {
				files[k] = v
			}
			for name, data := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if strings.HasSuffix(name, "/") {
					os.MkdirAll(p, 0o755)
					continue
				}
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(data), 0o644)
			}
			cfg, err := config.Parse([]byte("hexo: "+tt.hexo+"\nsite: {dir: ''}\nsources: [{url: f.xml}]\n"), filepath.Join(dir, "feedpost.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(cfg, Options{Local: tt.local, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
			for _, w := range tt.want {
				text := strings.ReplaceAll(w.text, "BLOG", filepath.Join(dir, "blog"))
				found := false
				for _, f := range got {
					if f.ID == w.id && f.Severity == w.severity && strings.Contains(f.Message, text) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s %s finding saying %q in:\n%s", w.severity, w.id, text, dump(got))
				}
			}
			for _, f := range got {
				if f.Severity != Info && f.Fix == "" {
					t.Errorf("%s %s has no fix", f.Severity, f.ID)
				}
			}
			if Breaks(got) != tt.breaks {
				t.Errorf("Breaks = %v, want %v:\n%s", Breaks(got), tt.breaks, dump(got))
			}
		})
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Severity + " " + f.ID + ": " + f.Message + "\n")
	}
	return b.String()
}
