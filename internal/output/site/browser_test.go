package site

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/headless"
)

// TestOpensFromDisk opens pages of a built site in headless Chromium from
// disk (file://) and served over HTTP, at three depths (the home page, a
// post, a third-level category): from disk each page must be styled — the
// stylesheet's background, not the browser's white — and look like the
// served page, and the site's links must lead to pages that exist on disk.
func TestOpensFromDisk(t *testing.T) {
	bin := headless.Find()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install chromium; bash .ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("browser test")
	}
	opt := testOptions(t)
	build(t, testPosts(), opt)
	srv := httptest.NewServer(http.FileServer(http.Dir(opt.Dir)))
	defer srv.Close()

	// Every host name fails to resolve: the pages are on disk and on
	// loopback.
	p := headless.Start(t, bin, headless.LoopbackOnly)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := p.SetViewport(ctx, 1280, 900); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"index.html", "posts/a000000000000001/index.html", "category/新媒体/趣头条/分类/index.html"} {
		file := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(opt.Dir, rel))}).String()
		served := srv.URL + (&url.URL{Path: "/" + strings.TrimSuffix(rel, "index.html")}).EscapedPath()
		var imgs [2]image.Image
		for j, u := range []string{file, served} {
			imgs[j] = screenshot(t, ctx, p, u)
		}
		// The bottom right corner shows the page's background: the
		// stylesheet's (light or dark), not the unstyled page's white.
		b := imgs[0].Bounds()
		r, g, bl, _ := imgs[0].At(b.Max.X-2, b.Max.Y-2).RGBA()
		if px := [3]uint32{r >> 8, g >> 8, bl >> 8}; px != [3]uint32{0xf5, 0xf6, 0xf8} && px != [3]uint32{0x0f, 0x11, 0x15} {
			t.Errorf("%s from disk: background %02x, not the stylesheet's: unstyled", rel, px)
		}
		if d := differing(imgs[0], imgs[1]); d > 0.01 {
			t.Errorf("%s: %.1f%% of the pixels differ from disk and served", rel, 100*d)
		}
	}

	// From disk, links to folders lead to their index.html (site.js), and
	// those files exist.
	if err := p.Navigate(ctx, (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(opt.Dir, "index.html"))}).String()); err != nil {
		t.Fatal(err)
	}
	dom, err := p.HTML(ctx)
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`href="(file://[^"]+)"`).FindAllStringSubmatch(dom, -1)
	if len(links) < 10 {
		t.Fatalf("%d file:// links on the home page opened from disk", len(links))
	}
	for _, l := range links {
		u, err := url.Parse(strings.ReplaceAll(l[1], "&amp;", "&"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(u.Path, "/index.html") && !strings.Contains(u.Path, "/assets/") && !strings.HasSuffix(u.Path, ".xml") && !strings.HasSuffix(u.Path, ".json") {
			t.Errorf("link %s is not a file", l[1])
		}
		if _, err := os.Stat(filepath.FromSlash(u.Path)); err != nil {
			t.Errorf("link %s: %v", l[1], err)
		}
	}
}

// screenshot loads pageURL in p and returns a picture of the viewport.
func screenshot(t *testing.T, ctx context.Context, p *headless.Page, pageURL string) image.Image {
	t.Helper()
	if err := p.Navigate(ctx, pageURL); err != nil {
		t.Fatal(err)
	}
	data, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", pageURL, err)
	}
	return img
}

// differing is the share of the pixels that differ between a and b (all
// of them when the sizes differ).
func differing(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	n, total := 0, 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				n++
			}
			total++
		}
	}
	return float64(n) / float64(total)
}
