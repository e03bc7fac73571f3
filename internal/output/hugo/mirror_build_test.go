package hugo_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/headless"
	"github.com/feedpost/feedpost/internal/imagetest"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// TestHugoBuildsMirroredPost: with images.proxy: mirror, the pictures of a
// Hugo post are in the site's static/images/feedpost, so `hugo` publishes
// them in public/, and the page names no image elsewhere.
func TestHugoBuildsMirroredPost(t *testing.T) {
	bin, err := exec.LookPath("hugo")
	if err != nil {
		t.Skip("hugo not installed (apt-get install hugo; bash .ci/run installs it)")
	}
	pic := imagetest.Encode(t, "jpeg", 800, 450, 3)
	gifPic := imagetest.Encode(t, "gif", 120, 80, 6)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pic.jpg":
			w.Write(pic)
		case "/a.gif":
			w.Write(gifPic)
		default:
			http.NotFound(w, r)
		}
	})
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	for name, data := range map[string]string{
		"site/hugo.toml":                    "baseURL = \"https://news.example.com/\"\ntitle = \"镜像\"\ndisableKinds = [\"RSS\", \"sitemap\", \"robotsTXT\", \"taxonomy\", \"term\"]\n",
		"site/layouts/_default/single.html": "<cover>{{ with .Params.images }}<img src=\"{{ index . 0 }}\">{{ end }}</cover><article>{{ .Content }}</article>",
		"site/layouts/_default/list.html":   "{{ range .Pages }}{{ .Title }}{{ end }}",
		"feed.xml": `<?xml version="1.0"?><rss version="2.0"><channel><title>镜像</title><link>https://m.example/</link>
<item><guid>h1</guid><title>雨果镜像</title><link>https://m.example/1</link><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate>
<description><![CDATA[<p><img src="` + up.URL + `/pic.jpg"> <img src="` + up.URL + `/a.gif" srcset="` + up.URL + `/a.gif 1x, ` + up.URL + `/pic.jpg 2x"></p>]]></description></item></channel></rss>`,
		"feedpost.yaml": "site: {dir: ''}\nhexo: {dir: ''}\nhugo: {dir: site/content/posts}\nimages: {proxy: mirror, allow_private: true}\nsources: [{url: feed.xml, name: h}]\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "feedpost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := pipeline.New(cfg, st, pipeline.Options{})
	sum, err := r.Run(t.Context())
	r.Close()
	st.Close()
	if err != nil || sum.Images.Mirrored != 2 {
		t.Fatalf("run: %v, images %+v", err, sum.Images)
	}
	cmd := exec.Command(bin, "--source", site, "--destination", filepath.Join(site, "public"))
	cmd.Env = append(os.Environ(), "HUGO_CACHEDIR="+filepath.Join(dir, "cache"))
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "ERROR") {
		t.Fatalf("hugo: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(site, "public", "posts", "*", "index.html"))
	if len(pages) != 1 {
		t.Fatalf("%d post pages", len(pages))
	}
	page, _ := os.ReadFile(pages[0])
	var urls []string
	for _, m := range regexp.MustCompile(`(?:src|srcset)="([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		for _, c := range strings.Split(m[1], ",") {
			urls = append(urls, strings.Fields(c)[0])
		}
	}
	if len(urls) < 4 {
		t.Fatalf("%d image URLs:\n%s", len(urls), page)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "/images/feedpost/") {
			t.Errorf("the page names an image elsewhere: %s", u)
			continue
		}
		if _, err := os.Stat(filepath.Join(site, "public", filepath.FromSlash(u))); err != nil {
			t.Errorf("%s is not in public/: %v", u, err)
		}
	}
	// And a browser with no network but the published folder's own server
	// shows every picture of the page (the cover and the two of the body).
	chromium := headless.Find()
	if chromium == "" {
		t.Log("chromium not installed: the pictures were not loaded in a browser (apt-get install chromium; bash .ci/run installs it)")
		return
	}
	rel, _ := filepath.Rel(filepath.Join(site, "public"), pages[0])
	base, imgs := headless.FolderImages(t, chromium, filepath.Join(site, "public"), "/"+filepath.ToSlash(rel))
	if len(imgs) != 3 {
		t.Errorf("the page shows %d pictures, want 3: %+v", len(imgs), imgs)
	}
	for _, im := range imgs {
		if !strings.HasPrefix(im.Src, base+"/images/feedpost/") || im.Width == 0 {
			t.Errorf("picture %s (naturalWidth %d): not a loaded mirrored copy", im.Src, im.Width)
		}
	}
}
