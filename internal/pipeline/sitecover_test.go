package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/content"
)

// feedpostCover is the site's fallback cover as the page script holds it.
var feedpostCover = regexp.MustCompile(`var feedpostCover=("(?:[^"\\]|\\.)*")`)

// images.default_cover reaches the built-in site: it is the cover the pages
// swap in for one that fails to load, proxied like every cover, with "{n}"
// filled; without a default cover the site falls back to its own.
func TestSiteDefaultCover(t *testing.T) {
	feed := rss(item("a", "没有图片的文章", "<p>正文</p>", "Tue, 17 Aug 2021 06:56:06 GMT"))
	n := strconv.Itoa(content.CoverNumber("site"))
	for _, c := range []struct {
		name, images, want string
	}{
		{"proxied, numbered", "{proxy: 'https://proxy.example/?', default_cover: 'http://img.example/c/{n}.jpg'}",
			"https://proxy.example/?http://img.example/c/" + n + ".jpg"},
		{"https, out of the proxy's scope", "{proxy: 'https://proxy.example/?', default_cover: 'https://img.example/c.jpg'}",
			"https://img.example/c.jpg"},
		{"none", "{default_cover: ''}", "assets/cover.svg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnvYAML(t, "hexo: {dir: ''}\nsite: {dir: public}\nimages: "+c.images+"\nsources: [{url: feed.xml}]\n")
			if err := os.WriteFile(filepath.Join(e.dir, "feed.xml"), []byte(feed), 0o644); err != nil {
				t.Fatal(err)
			}
			if sum := e.run(); sum.PagesWritten == 0 {
				t.Fatalf("no site written: %+v", sum)
			}
			home, err := os.ReadFile(filepath.Join(e.dir, "public", "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			m := feedpostCover.FindSubmatch(home)
			if m == nil {
				t.Fatalf("no fallback cover in the home page:\n%.2000s", home)
			}
			var got string
			if err := json.Unmarshal(m[1], &got); err != nil {
				t.Fatalf("fallback cover %s: %v", m[1], err)
			}
			if !strings.HasSuffix(got, c.want) || (c.want != "assets/cover.svg" && got != c.want) {
				t.Errorf("fallback cover %q, want %q", got, c.want)
			}
		})
	}
}
