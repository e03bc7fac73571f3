package serve

import (
	"context"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/headless"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// artifactsDir is where the browser test leaves its screenshots (CI keeps
// them); FEEDPOST_ARTIFACTS overrides it.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("FEEDPOST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// imageServer answers every path with a small PNG whose colour derives from
// the path, standing in for the example's (fictional, offline) image hosts.
func imageServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256([]byte(r.URL.String()))
		img := image.NewRGBA(image.Rect(0, 0, 160, 100))
		for y := 0; y < 100; y++ {
			for x := 0; x < 160; x++ {
				img.Set(x, y, color.RGBA{sum[0]/2 + byte(x/2), sum[1]/2 + byte(y), sum[2]/2 + 60, 255})
			}
		}
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, img)
	})
}

// open loads pageURL in p at a width×height viewport and returns the
// messages its console got.
func open(t *testing.T, ctx context.Context, p *headless.Page, width, height int, pageURL string) []string {
	t.Helper()
	if err := p.SetViewport(ctx, width, height); err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, pageURL); err != nil {
		t.Fatal(err)
	}
	return headless.Console(p.Events())
}

// html is the DOM of the page p shows.
func html(t *testing.T, ctx context.Context, p *headless.Page) string {
	t.Helper()
	dom, err := p.HTML(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return dom
}

// screenshot saves a PNG of p's viewport as path.
func screenshot(t *testing.T, ctx context.Context, p *headless.Page, path string) {
	t.Helper()
	data, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserShowsExampleSite loads the bundled example's built-in site from
// `serve` on loopback in headless Chromium: screenshots of the home page at
// 390 and 1280 px and of a post page, DOM checks for cards, covers and
// category links, and a console with no message at all.
func TestBrowserShowsExampleSite(t *testing.T) {
	bin := headless.Find()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install chromium; bash .ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("browser test")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "out"))
	cfg, err := config.Load(filepath.Join(dir, "feedpost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := pipeline.New(cfg, st, pipeline.Options{}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, st, Options{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	site := "http://" + ln.Addr().String()

	// Every other host the pages name resolves to local image servers.
	plain := httptest.NewServer(imageServer())
	defer plain.Close()
	tls := httptest.NewTLSServer(imageServer())
	defer tls.Close()
	port := func(u string) string { return u[strings.LastIndex(u, ":")+1:] }
	rules := "MAP *:443 127.0.0.1:" + port(tls.URL) + ", MAP *:80 127.0.0.1:" + port(plain.URL) + ", EXCLUDE 127.0.0.1"

	// The pages link relative to the site root (<base href>; the home page
	// is the root): abs resolves a link of the home page.
	home, _ := url.Parse(site + "/")
	abs := func(href string) string {
		u, err := url.Parse(href)
		if err != nil {
			t.Fatalf("href %q: %v", href, err)
		}
		return home.ResolveReference(u).String()
	}
	p := headless.Start(t, bin, "--ignore-certificate-errors", "--host-resolver-rules="+rules)
	bctx, bcancel := context.WithTimeout(ctx, 3*time.Minute)
	defer bcancel()
	console := open(t, bctx, p, 1280, 1000, site+"/")
	dom := html(t, bctx, p)
	for _, c := range console {
		t.Errorf("console: %s", c)
	}
	cards := strings.Count(dom, `class="card`)
	covers := regexp.MustCompile(`<img[^>]+class="cover[^"]*"[^>]+src="([^"]+)"`).FindAllStringSubmatch(dom, -1)
	if cards < 5 || len(covers) < 5 {
		t.Errorf("home page: %d cards, %d covers", cards, len(covers))
	}
	for _, c := range covers {
		if u := abs(c[1]); !strings.HasPrefix(u, "http") && !strings.HasPrefix(u, "data:image/") {
			t.Errorf("cover src %q", c[1])
		}
	}
	cats := regexp.MustCompile(`<a[^>]+class="cat[^"]*"[^>]+href="([^"]+)"|<a[^>]+href="([^"]+)"[^>]+class="cat[^"]*"`).FindAllStringSubmatch(dom, -1)
	if len(cats) < 3 {
		t.Fatalf("home page has %d category links", len(cats))
	}
	// Category links lead to pages that exist.
	for _, c := range cats[:3] {
		href := abs(c[1] + c[2])
		resp, err := http.Get(href)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("category link %s: %v %v", href, err, resp)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	if !strings.Contains(dom, `name="referrer" content="no-referrer"`) {
		t.Errorf("home page lacks the no-referrer meta")
	}

	shots := artifactsDir(t)
	for _, s := range []struct {
		name          string
		width, height int
	}{
		{"home-390.png", 390, 1400},
		{"home-1280.png", 1280, 1000},
	} {
		for _, c := range open(t, bctx, p, s.width, s.height, site+"/") {
			t.Errorf("%s console: %s", s.name, c)
		}
		screenshot(t, bctx, p, filepath.Join(shots, s.name))
	}
	// A post page: the first card's link.
	m := regexp.MustCompile(`href="(/?posts/[0-9a-f]{16}/)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no post link on the home page")
	}
	postURL := abs(m[1])
	for _, c := range open(t, bctx, p, 1280, 1400, postURL) {
		t.Errorf("post console: %s", c)
	}
	postDOM := html(t, bctx, p)
	if !strings.Contains(postDOM, "rel=\"noopener noreferrer\"") || !strings.Contains(postDOM, "<article") {
		t.Errorf("post page lacks the article or the attribution link")
	}
	screenshot(t, bctx, p, filepath.Join(shots, "post-1280.png"))
	if os.Getenv("FEEDPOST_UPDATE_DOCS") != "" {
		b, err := os.ReadFile(filepath.Join(shots, "home-1280.png"))
		if err == nil {
			err = os.WriteFile(filepath.Join("..", "..", "docs", "screenshot-home.png"), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pages := []string{site + "/"}
	for _, m := range regexp.MustCompile(`href="(/?posts/[0-9a-f]{16}/)"`).FindAllStringSubmatch(dom, 8) {
		pages = append(pages, abs(m[1]))
	}
	checkMirroredImages(t, bin, site, pages)
	var n int
	filepath.WalkDir(shots, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".png") {
			if info, _ := d.Info(); info != nil && info.Size() > 5000 {
				n++
			}
		}
		return nil
	})
	if n < 3 {
		t.Errorf("want 3 screenshots in %s, found %d", shots, n)
	}
}

// checkMirroredImages loads pages in headless Chromium with the network
// limited to the local server (every other host fails to resolve) and
// checks that every picture on them is the site's own mirrored copy
// (images/<sha256>…) and loaded: naturalWidth > 0. (The example mirrors its
// pictures: images.proxy: mirror.)
func checkMirroredImages(t *testing.T, bin, site string, pages []string) {
	t.Helper()
	page := headless.Start(t, bin, headless.LoopbackOnly)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := page.SetViewport(ctx, 1280, 1000); err != nil {
		t.Fatal(err)
	}
	own := regexp.MustCompile(`^` + regexp.QuoteMeta(site) + `/images/[0-9a-f]{64}(-480x270)?\.(jpg|png|gif|webp)$`)
	withPictures := 0
	for _, u := range pages {
		if err := page.Navigate(ctx, u); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		imgs, err := page.Images(ctx)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if len(imgs) > 0 {
			withPictures++
		}
		for _, im := range imgs {
			if strings.HasSuffix(im.Src, "/assets/cover.svg") {
				continue // the site's own drawn cover, for a post without a picture
			}
			if !own.MatchString(im.Src) || im.Width == 0 {
				t.Errorf("%s: picture %s (naturalWidth %d): not a loaded mirrored copy", u, im.Src, im.Width)
			}
		}
	}
	if withPictures < 2 { // the home page and a post at least
		t.Errorf("only %d of %d pages show pictures", withPictures, len(pages))
	}
}
