package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/imagetest"
	"github.com/feedpost/feedpost/internal/mirror"
)

// rotatedJPEG is a w×h JPEG (as stored) whose top half is red and bottom
// half blue, with an EXIF block saying orientation o.
func rotatedJPEG(t *testing.T, w, h, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 220, A: 255}
			if y >= h/2 {
				c = color.RGBA{B: 220, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	// APP1: "Exif\0\0", a big-endian TIFF header, IFD0 with one entry:
	// Orientation (0x0112), SHORT, count 1, value o.
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01")
	tiff = binary.BigEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.BigEndian.AppendUint16(tiff, 3)
	tiff = binary.BigEndian.AppendUint32(tiff, 1)
	tiff = binary.BigEndian.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xff, 0xe1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), app1...), b[2:]...)
}

// animatedGIF is a two-frame GIF.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := range 2 {
		fr := image.NewPaletted(image.Rect(0, 0, 600, 400), palette.Plan9)
		for y := range 400 {
			for x := range 600 {
				fr.SetColorIndex(x, y, uint8((x/20+y/20+i)%200))
			}
		}
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestMirror is issue 15's acceptance on loopback image servers: each kind
// of image is handled, the posts and the site name the mirrored files, a
// second run downloads nothing, a failed image arrives on a later try and
// its post is rewritten, and retention removes the files no post uses.
func TestMirror(t *testing.T) {
	okJPEG := imagetest.Encode(t, "jpeg", 800, 600, 7)
	hotJPEG := imagetest.Encode(t, "jpeg", 640, 480, 9)
	rotJPEG := rotatedJPEG(t, 300, 600, 6)
	anim := animatedGIF(t)
	var slowFixed atomic.Bool
	var hotReferer atomic.Value
	hotReferer.Store("")
	srv := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.jpg":
			w.Write(okJPEG)
		case "/hot.jpg": // hotlink-protected: only with the right Referer
			hotReferer.Store(r.Header.Get("Referer"))
			if r.Header.Get("Referer") != "https://weibo.com/" {
				http.Error(w, "hotlink", http.StatusForbidden)
				return
			}
			w.Write(hotJPEG)
		case "/slow.jpg":
			if !slowFixed.Load() {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
				return
			}
			w.Write(okJPEG[:len(okJPEG)-1]) // other bytes: another file
			w.Write([]byte{0xd9})
		case "/big.jpg": // 50 MB, no Content-Length
			w.Write(okJPEG[:600])
			chunk := make([]byte, 1<<20)
			for range 50 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/page.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write([]byte("<!doctype html><html><body>login</body></html>"))
		case "/logo.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>`))
		case "/bomb.png":
			w.Write(imagetest.Bomb(t, "png", 50000, 50000))
		case "/anim.gif":
			w.Write(anim)
		case "/rot.jpg":
			w.Write(rotJPEG)
		default:
			http.NotFound(w, r)
		}
	})
	base := srv.URL                                              // 127.0.0.1
	hot := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // the hotlink-protected host
	feed := newFeedServer(t, rss(
		item("a", "全部种类", `<p><img src="`+base+`/ok.jpg"><img src="`+hot+`/hot.jpg"><img src="`+base+`/slow.jpg">`+
			`<img src="`+base+`/big.jpg"><img src="`+base+`/page.jpg"><img src="`+base+`/logo.svg"><img src="`+base+`/bomb.png"></p>`,
			"Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "动图", `<p><img src="`+base+`/anim.gif"> 同一张 <img src="`+base+`/ok.jpg"></p>`, "Tue, 17 Aug 2021 07:56:06 GMT"),
		item("c", "旋转", `<p><img src="`+base+`/rot.jpg" srcset="`+base+`/rot.jpg 1x, `+base+`/ok.jpg 2x"></p>`, "Tue, 17 Aug 2021 08:56:06 GMT")))
	e := newEnvYAML(t, `site: {dir: site, url: https://news.example.com}
hexo: {dir: blog/source/_posts}
hugo: {dir: hugo/content/posts}
fetch: {timeout: 1s, retries: 0}
images:
  proxy: mirror
  thumbnail: 480x270
  allow_private: true
  referers: {localhost: "https://weibo.com/"}
sources:
  - url: `+feed.URL+`
    name: news
`)
	sum := e.run()
	if got := sum.Images; got.Mirrored != 4 || got.Failed != 5 {
		t.Errorf("images: %+v, want 4 mirrored (ok, hot, anim, rot) and 5 failed", got)
	}
	if ref := hotReferer.Load().(string); ref != "https://weibo.com/" {
		t.Errorf("hotlink-protected host got Referer %q", ref)
	}
	hexoDir := filepath.Join(e.dir, "blog", "source", "images", "feedpost")
	hugoDir := filepath.Join(e.dir, "hugo", "static", "images", "feedpost")
	siteDir := filepath.Join(e.dir, "site", "images")
	for _, dir := range []string{hexoDir, hugoDir, siteDir} {
		for _, b := range [][]byte{okJPEG, hotJPEG, anim, rotJPEG} {
			name := sha(b) + mirror.Ext(http.DetectContentType(b))
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: %s missing or different: %v", dir, name, err)
			}
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".*")); len(tmp) > 0 {
			t.Errorf("temp files left: %v", tmp)
		}
	}

	posts := readFiles(t, filepath.Join(e.dir, "blog", "source", "_posts"))
	if len(posts) != 3 {
		t.Fatalf("%d posts", len(posts))
	}
	var all, rot, animPost string
	for _, p := range posts {
		switch {
		case strings.Contains(p, "全部种类"):
			all = p
		case strings.Contains(p, "旋转"):
			rot = p
		case strings.Contains(p, "动图"):
			animPost = p
		}
	}
	okURL := "/images/feedpost/" + sha(okJPEG) + ".jpg"
	for _, want := range []string{`src="` + okURL + `"`, `src="/images/feedpost/` + sha(hotJPEG) + `.jpg"`,
		// not fetched: the original stays (images.fallback: original)
		`src="` + base + `/slow.jpg"`, `src="` + base + `/big.jpg"`, `src="` + base + `/page.jpg"`,
		`src="` + base + `/logo.svg"`, `src="` + base + `/bomb.png"`} {
		if !strings.Contains(all, want) {
			t.Errorf("post lacks %s:\n%s", want, all)
		}
	}
	fm := frontMatter(t, rot)
	rotURL := "/images/feedpost/" + sha(rotJPEG) + ".jpg"
	thumbURL := "/images/feedpost/" + sha(rotJPEG) + "-480x270.jpg"
	if fm["headimg"] != rotURL || fm["thumbnail"] != thumbURL {
		t.Errorf("rotated cover: headimg %v thumbnail %v, want %s and %s", fm["headimg"], fm["thumbnail"], rotURL, thumbURL)
	}
	if !strings.Contains(rot, `srcset="`+rotURL+` 1x, `+okURL+` 2x"`) {
		t.Errorf("srcset not mirrored:\n%s", rot)
	}
	// The thumbnail: 480×270, upright (EXIF 6 turns the red top to the right).
	tb, err := os.ReadFile(filepath.Join(hexoDir, sha(rotJPEG)+"-480x270.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	timg, err := jpeg.Decode(bytes.NewReader(tb))
	if err != nil {
		t.Fatal(err)
	}
	if b := timg.Bounds(); b.Dx() != 480 || b.Dy() != 270 {
		t.Errorf("thumbnail is %v", b)
	}
	if r, _, b, _ := timg.At(470, 135).RGBA(); r < b {
		t.Errorf("thumbnail not turned: right side is not red (r %d b %d)", r>>8, b>>8)
	}
	if r, _, b, _ := timg.At(10, 135).RGBA(); b < r {
		t.Errorf("thumbnail not turned: left side is not blue (r %d b %d)", r>>8, b>>8)
	}
	// An animated GIF is its own thumbnail.
	afm := frontMatter(t, animPost)
	animURL := "/images/feedpost/" + sha(anim) + ".gif"
	if afm["headimg"] != animURL || afm["thumbnail"] != animURL {
		t.Errorf("animated cover: %v / %v, want %s", afm["headimg"], afm["thumbnail"], animURL)
	}
	// Hugo names the same files.
	hugoPosts := readFiles(t, filepath.Join(e.dir, "hugo", "content", "posts"))
	for _, p := range hugoPosts {
		if strings.Contains(p, "旋转") && !strings.Contains(p, rotURL) {
			t.Errorf("hugo post lacks %s:\n%s", rotURL, p)
		}
	}
	// The built-in site names its own copies, relative to its root.
	pageFiles, _ := filepath.Glob(filepath.Join(e.dir, "site", "posts", "*", "index.html"))
	found := false
	for _, f := range pageFiles {
		b, _ := os.ReadFile(f)
		p := string(b)
		if strings.Contains(p, `src="images/`+sha(okJPEG)+`.jpg"`) {
			found = true
		}
		if strings.Contains(p, "/images/feedpost/") {
			t.Errorf("a site page names the blog's copies:\n%s", p)
		}
	}
	if !found {
		t.Error("no site page shows images/<sha>.jpg")
	}
	index, _ := os.ReadFile(filepath.Join(e.dir, "site", "index.html"))
	if !strings.Contains(string(index), `images/`+sha(rotJPEG)+`-480x270.jpg`) {
		t.Error("the site's card does not show the thumbnail")
	}
	feedXML, _ := os.ReadFile(filepath.Join(e.dir, "site", "feed.xml"))
	if !strings.Contains(string(feedXML), "https://news.example.com/images/"+sha(okJPEG)+".jpg") {
		t.Error("the site's feed does not name the images absolutely")
	}

	// Nothing new: nothing downloaded.
	hits := srv.Hits.Load()
	sum = e.run()
	if srv.Hits.Load() != hits || sum.Images != (ImageCounts{}) || sum.PostsWritten != 0 {
		t.Errorf("second run: %d requests, images %+v, %d posts written", srv.Hits.Load()-hits, sum.Images, sum.PostsWritten)
	}

	// The slow image comes back; once its next try has come it is
	// mirrored and its post rewritten.
	slowFixed.Store(true)
	e.now = e.now.Add(time.Hour)
	sum = e.run()
	if sum.Images.Mirrored != 1 || sum.PostsWritten != 2 { // the Hexo and the Hugo file
		t.Errorf("retry: images %+v, %d post files written", sum.Images, sum.PostsWritten)
	}
	posts = readFiles(t, filepath.Join(e.dir, "blog", "source", "_posts"))
	for _, p := range posts {
		if strings.Contains(p, "全部种类") && (!strings.Contains(p, "/images/feedpost/") || strings.Contains(p, base+"/slow.jpg")) {
			t.Errorf("the arrived image is not in its post:\n%s", p)
		}
	}

	// Retention: keep one post; the files only the others used go.
	e.cfg.Keep.MaxPosts = 1
	sum = e.run()
	if sum.Pruned != 2 {
		t.Fatalf("pruned %d", sum.Pruned)
	}
	for _, dir := range []string{hexoDir, hugoDir, siteDir} {
		names := map[string]bool{}
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			names[en.Name()] = true
		}
		// The newest post (旋转) stays with rot.jpg, its thumbnail and ok.jpg.
		want := map[string]bool{sha(rotJPEG) + ".jpg": true, sha(rotJPEG) + "-480x270.jpg": true, sha(okJPEG) + ".jpg": true}
		for n := range names {
			if !want[n] {
				t.Errorf("%s: %s left after retention", dir, n)
			}
		}
		for n := range want {
			if !names[n] {
				t.Errorf("%s: %s removed by retention", dir, n)
			}
		}
	}
}

// TestMirrorRemoteFeedReadsNoLocalFile: a feed fetched over HTTP that names
// file: or relative images never makes feedpost read the local disk. The
// bait is a real JPEG: read, it would be mirrored.
func TestMirrorRemoteFeedReadsNoLocalFile(t *testing.T) {
	dir := t.TempDir()
	bait := imagetest.Encode(t, "jpeg", 64, 64, 3)
	baitPath := filepath.Join(dir, "bait.jpg")
	if err := os.WriteFile(baitPath, bait, 0o644); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel("/", baitPath)
	body := `<p><img src="file://` + baitPath + `"><img src="file:` + baitPath + `"><img src="` + baitPath + `">` +
		`<img src="../../../../../../../../` + rel + `"><img src="bait.jpg"><img srcset="file://` + baitPath + ` 2x">` +
		`<img src="file:///etc/passwd"></p>`
	feedBody := `<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>远程</title><link>https://news.example.com/</link>` +
		`<item><guid>x</guid><title>诱饵</title><link>https://news.example.com/x</link>` +
		`<media:thumbnail url="file://` + baitPath + `"/><enclosure url="` + rel + `" type="image/jpeg" length="1"/>` +
		`<description><![CDATA[` + body + `]]></description></item></channel></rss>`
	feed := newFeedServer(t, feedBody)
	e := newEnvIn(t, dir, `site: {dir: site}
hexo: {dir: blog/source/_posts}
images: {proxy: mirror, allow_private: true, thumbnail: 480x270, default_cover: ""}
fetch: {timeout: 2s, retries: 0}
sources:
  - url: `+feed.URL+`
`)
	e.run()
	baitName := sha(bait)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), baitName) {
			t.Errorf("the local file was read and mirrored: %s", p)
		}
		return nil
	})
	for _, out := range []string{"blog", "site"} {
		for name, p := range readFiles(t, filepath.Join(dir, out)) {
			if strings.Contains(p, "file:") || strings.Contains(p, "/etc/passwd") || strings.Contains(p, baitPath) {
				t.Errorf("%s names a local file:\n%s", name, p)
			}
		}
	}
	images, err := e.st.Images(context.Background(), []string{"file://" + baitPath, "file:" + baitPath, "file:///etc/passwd"})
	if err != nil || len(images) > 0 {
		t.Errorf("local files reached the images table: %v %v", images, err)
	}
}

// TestMirrorLocalFeed: a local feed's relative images are the files
// beside it, mirrored with the same checks.
func TestMirrorLocalFeed(t *testing.T) {
	dir := t.TempDir()
	pic := imagetest.Encode(t, "png", 320, 200, 5)
	os.MkdirAll(filepath.Join(dir, "feeds", "pics"), 0o755)
	os.WriteFile(filepath.Join(dir, "feeds", "pics", "a.png"), pic, 0o644)
	os.WriteFile(filepath.Join(dir, "feeds", "pics", "fake.jpg"), []byte("<html>not a picture</html>"), 0o644)
	os.WriteFile(filepath.Join(dir, "feeds", "local.xml"), []byte(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>本地</title><link>https://local.example/</link>
<item><guid>1</guid><title>本地图片</title><link>https://local.example/1</link><media:thumbnail url="pics/a.png"/>
<description><![CDATA[<p><img data-src="pics/a.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><img src="pics/fake.jpg"><img src="pics/missing.jpg"></p>]]></description></item></channel></rss>`), 0o644)
	e := newEnvIn(t, dir, "site: {dir: ''}\nhexo: {dir: blog/source/_posts}\nimages: {proxy: mirror}\nsources:\n  - url: feeds/local.xml\n")
	sum := e.run()
	if sum.Images.Mirrored != 1 || sum.Images.Failed != 2 {
		t.Errorf("images %+v, want 1 mirrored, 2 failed", sum.Images)
	}
	name := sha(pic) + ".png"
	if _, err := os.Stat(filepath.Join(dir, "blog", "source", "images", "feedpost", name)); err != nil {
		t.Fatal(err)
	}
	for _, p := range readFiles(t, filepath.Join(dir, "blog", "source", "_posts")) {
		fm := frontMatter(t, p)
		if fm["headimg"] != "/images/feedpost/"+name || !strings.Contains(p, `src="/images/feedpost/`+name+`"`) {
			t.Errorf("local images not mirrored:\n%s", p)
		}
		if regexp.MustCompile(`file:|fake\.jpg|missing\.jpg`).MatchString(p) {
			t.Errorf("a local image that failed stays in the post:\n%s", p)
		}
	}

	// prune --images: an orphan (a mirror name no post uses) is found and
	// removed; a file of the user's is left alone.
	mdir := filepath.Join(dir, "blog", "source", "images", "feedpost")
	orphan := filepath.Join(mdir, strings.Repeat("ab", 32)+".jpg")
	mine := filepath.Join(mdir, "logo.png")
	os.WriteFile(orphan, []byte("x"), 0o644)
	os.WriteFile(mine, []byte("x"), 0o644)
	r := New(e.cfg, e.st, Options{})
	got, err := r.PruneImages(context.Background(), true)
	if err != nil || len(got) != 1 || got[0] != orphan {
		t.Fatalf("dry run: %v %v", got, err)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("a dry run removed the orphan")
	}
	if got, err = r.PruneImages(context.Background(), false); err != nil || len(got) != 1 {
		t.Fatalf("prune: %v %v", got, err)
	}
	for path, gone := range map[string]bool{orphan: true, mine: false, filepath.Join(mdir, name): false} {
		if _, err := os.Stat(path); (err != nil) != gone {
			t.Errorf("%s: gone %v, want %v", path, err != nil, gone)
		}
	}
}
