package hexo_test

import (
	"context"
	"github.com/feedpost/feedpost/internal/headless"
	"github.com/feedpost/feedpost/internal/imagetest"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// repoRoot is the checkout root, three folders above this package.
var repoRoot = filepath.Join("..", "..", "..")

// hexoSite is a copy of testdata/hexo-site (Hexo 8, the landscape theme and
// the generators, pinned in its package.json) in a temporary folder, sharing
// the installed node_modules.
type hexoSite struct {
	node   string // the node binary
	dir    string // the site
	posts  string // its source/_posts
	public string // where hexo generate writes
}

// newHexoSite copies the test site, or skips the test when Node.js or the
// site's node_modules is missing.
func newHexoSite(t *testing.T) *hexoSite {
	t.Helper()
	siteSrc := filepath.Join(repoRoot, "testdata", "hexo-site")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; install Node.js 20.19+ and run `cd testdata/hexo-site && npm install` (or bash .ci/run)")
	}
	if _, err := os.Stat(filepath.Join(siteSrc, "node_modules", "hexo", "bin", "hexo")); err != nil {
		t.Skip("testdata/hexo-site/node_modules is not installed; run `cd testdata/hexo-site && npm install` (or bash .ci/run)")
	}
	site := filepath.Join(t.TempDir(), "site")
	copyTree(t, siteSrc, site, "node_modules", "public", "db.json", "source")
	abs, err := filepath.Abs(filepath.Join(siteSrc, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(site, "node_modules")); err != nil {
		t.Fatal(err)
	}
	hs := &hexoSite{node: node, dir: site, posts: filepath.Join(site, "source", "_posts"), public: filepath.Join(site, "public")}
	if err := os.MkdirAll(hs.posts, 0o755); err != nil {
		t.Fatal(err)
	}
	return hs
}

// generate runs `hexo generate` on a UTC clock, as CI does. Hexo exits 0
// even when it drops a post with bad front matter, so any WARN, ERROR or
// FATAL line in its log fails the test too.
func (hs *hexoSite) generate(t *testing.T) {
	t.Helper()
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), hs.node, filepath.Join("node_modules", "hexo", "bin", "hexo"), "generate")
	cmd.Dir = hs.dir
	cmd.Env = append(os.Environ(), "TZ=UTC", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	hexoLog := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(string(out), "")
	t.Logf("hexo generate took %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("hexo generate: %v\n%s", err, hexoLog)
	}
	if bad := regexp.MustCompile(`(?m)^\s*(WARN|ERROR|FATAL)\b.*$`).FindAllString(hexoLog, -1); len(bad) > 0 {
		quiet := regexp.MustCompile(`(?m)^INFO  Generated: .*\n`).ReplaceAllString(hexoLog, "")
		t.Errorf("hexo complained:\n%s\nlog without the Generated lines:\n%s", strings.Join(bad, "\n"), quiet)
	}
}

// TestHexoRendersExamplePosts proves that the posts feedpost writes really
// render in Hexo 8 (testdata/hexo-site: hexo, hexo-renderer-marked,
// hexo-renderer-ejs, the index/category/archive generators and the landscape
// theme, pinned in its package.json). It runs the bundled example
// (examples/feedpost.yaml) through the pipeline, adds trickyPosts written
// with hexo.Write, runs `hexo generate` on a UTC clock, as CI does, and
// checks every post's page: Hexo exits 0 even when it drops a post with bad
// front matter, and turns an unquoted `a: b` category into "[object Object]"
// without a word, so the test reads the log and the pages instead of
// trusting the exit code.
func TestHexoRendersExamplePosts(t *testing.T) {
	hs := newHexoSite(t)

	work := t.TempDir()
	examples := filepath.Join(work, "examples")
	copyTree(t, filepath.Join(repoRoot, "examples"), examples, "out")
	cfg, err := config.Load(filepath.Join(examples, "feedpost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Site.Dir, cfg.Hugo.Dir = "", "" // only the Hexo posts are under test here
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := pipeline.New(cfg, st, pipeline.Options{}).Run(t.Context())
	if err != nil {
		t.Fatalf("run the example: %v", err)
	}
	for _, r := range sum.Sources {
		if r.Status == pipeline.StatusFailed {
			t.Errorf("example source %s failed: %s", r.Name, r.Error)
		}
	}
	examplePosts, _ := filepath.Glob(filepath.Join(cfg.Hexo.Dir, "*.md"))
	if len(examplePosts) == 0 || len(examplePosts) != sum.PostsTotal {
		t.Fatalf("the example wrote %d post files for %d posts", len(examplePosts), sum.PostsTotal)
	}

	postsDir := hs.posts
	copyTree(t, cfg.Hexo.Dir, postsDir)
	opt := hexo.Options{Dir: postsDir, CoverKeys: cfg.Hexo.CoverKeys, Comments: cfg.Hexo.Comments, EscapeBraces: true}
	tricky := map[string]string{} // id → title
	for _, p := range trickyPosts() {
		if _, err := hexo.Write(p, opt); err != nil {
			t.Fatal(err)
		}
		tricky[p.ID] = p.Title
	}

	hs.generate(t)

	public := hs.public
	files, _ := filepath.Glob(filepath.Join(postsDir, "*.md"))
	var want, got []string
	for _, f := range files {
		want = append(want, strings.TrimSuffix(filepath.Base(f), ".md"))
	}
	pages, err := os.ReadDir(filepath.Join(public, "posts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pages {
		got = append(got, e.Name())
	}
	if !slices.Equal(want, got) {
		t.Errorf("%d posts but %d post pages; missing %v, unexpected %v",
			len(want), len(got), minus(want, got), minus(got, want))
	}

	c := &checker{public: public, categoryTitles: map[string]string{}}
	templated := 0
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".md")
		name := "example/" + id
		if title, ok := tricky[id]; ok {
			name = "tricky/" + title
		}
		t.Run(name, func(t *testing.T) {
			if strings.Contains(c.checkPost(t, f, id), "{{ 模板 }}") {
				templated++
			}
		})
	}
	// examples/feeds/tech-rss.xml has an item whose body shows `{{ 模板 }}`
	// in <code>: Nunjucks must not have run it.
	if templated == 0 {
		t.Errorf("no example post page shows the text {{ 模板 }} of examples/feeds/tech-rss.xml")
	}
	// Chinese names are their own slugs, and subcategories nest under their
	// parents: every level of every example path has its page.
	for _, f := range examplePosts {
		fm := readPost(t, f)
		for i := range fm.Categories {
			if !plainName.MatchString(fm.Categories[i]) {
				break
			}
			p := filepath.Join(append([]string{public, "categories"}, fm.Categories[:i+1]...)...)
			if _, err := os.Stat(filepath.Join(p, "index.html")); err != nil {
				t.Errorf("category page of %v: %v", fm.Categories[:i+1], err)
			}
		}
	}
	// `a: b` is a string category (hexo-util's slugize makes it a-b), not an
	// object ("[object Object]", slug object-Object).
	if got := c.categoryTitle(t, "/categories/边界/a-b/"); !strings.Contains(got, ": a: b | ") {
		t.Errorf("category page of `a: b` has title %q", got)
	}
	filepath.WalkDir(filepath.Join(public, "categories"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "object-Object" {
			t.Errorf("hexo made an object category: %s", p)
		}
		return err
	})
}

var plainName = regexp.MustCompile(`^[\p{L}\p{N}]+$`)

type checker struct {
	public         string
	categoryTitles map[string]string // category page path → its <title>
}

// checkPost checks the page of one post file against its front matter and
// body, and returns the text of the rendered article body.
func (c *checker) checkPost(t *testing.T, file, id string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fm, body, err := splitPost(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	doc := c.page(t, "/posts/"+id+"/")
	if doc == nil {
		return ""
	}
	art := doc.Find("article.article-type-post")
	if art.Length() != 1 {
		t.Fatalf("page of %q has %d post articles, want 1", fm.Title, art.Length())
	}

	if got := strings.TrimSpace(art.Find("h1.article-title").Text()); got != fm.Title {
		t.Errorf("h1 is %q, want the title %q", got, fm.Title)
	}
	if got := doc.Find("title").Text(); !strings.HasPrefix(got, fm.Title+" | ") {
		t.Errorf("<title> is %q, want the title %q first", got, fm.Title)
	}

	date, err := time.Parse(time.RFC3339, fm.Date)
	if err != nil {
		t.Errorf("front matter date %q: %v", fm.Date, err)
	}
	dt, _ := art.Find("time.dt-published").Attr("datetime")
	if rendered, err := time.Parse(time.RFC3339, dt); err != nil || !rendered.Equal(date) {
		t.Errorf("page date is %q, want the instant of %q (%v)", dt, fm.Date, date.UTC())
	}

	var names []string
	art.Find("a.article-category-link").Each(func(_ int, a *goquery.Selection) {
		names = append(names, a.Text())
		href, _ := a.Attr("href")
		if title := c.categoryTitle(t, href); !strings.Contains(title, ": "+a.Text()+" | ") {
			t.Errorf("category page %s has title %q, want it to name %q", href, title, a.Text())
		}
	})
	if !slices.Equal(names, fm.Categories) {
		t.Errorf("category links %q, want the path %q", names, fm.Categories)
	}

	// The body is one raw HTML block: marked must pass it through and
	// Nunjucks must not touch it, so its text, its <pre> text (line breaks
	// and indentation) and its images come out as written.
	src, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	entry := art.Find(".article-entry")
	if got, want := strings.Join(strings.Fields(entry.Text()), " "), strings.Join(strings.Fields(src.Text()), " "); got != want {
		t.Errorf("article text differs from the post body\n got: %s\nwant: %s", got, want)
	}
	texts := func(s *goquery.Selection) []string {
		return s.Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	}
	if got, want := texts(entry.Find("pre")), texts(src.Find("pre")); !slices.Equal(got, want) {
		t.Errorf("<pre> text differs\n got: %q\nwant: %q", got, want)
	}
	srcs := func(s *goquery.Selection) []string {
		return s.Map(func(_ int, s *goquery.Selection) string { v, _ := s.Attr("src"); return v })
	}
	if got, want := srcs(entry.Find("img")), srcs(src.Find("img")); !slices.Equal(got, want) {
		t.Errorf("image sources differ\n got: %q\nwant: %q", got, want)
	}
	if got, want := entry.Find("p").Length(), src.Find("p").Length(); got != want {
		t.Errorf("%d paragraphs, the post body has %d", got, want)
	}
	return entry.Text()
}

// page parses the generated page at the site path p ("/posts/x/").
func (c *checker) page(t *testing.T, p string) *goquery.Document {
	t.Helper()
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		t.Errorf("page link %q: %v", p, err)
		return nil
	}
	f, err := os.Open(filepath.Join(c.public, filepath.FromSlash(unescaped), "index.html"))
	if err != nil {
		t.Errorf("no page for %s: %v", unescaped, err)
		return nil
	}
	defer f.Close()
	doc, err := goquery.NewDocumentFromReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// categoryTitle returns the <title> of the category page at href.
func (c *checker) categoryTitle(t *testing.T, href string) string {
	t.Helper()
	if title, ok := c.categoryTitles[href]; ok {
		return title
	}
	var title string
	if doc := c.page(t, href); doc != nil {
		title = doc.Find("title").Text()
	}
	c.categoryTitles[href] = title
	return title
}

func readPost(t *testing.T, file string) frontMatter {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := splitPost(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return fm
}

// copyTree copies the regular files under src to dst, leaving out the
// top-level entries named in skip.
func copyTree(t *testing.T, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if slices.Contains(skip, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// minus returns the elements of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestHexoRendersMirroredPost: with images.proxy: mirror, real Hexo
// publishes the post's pictures with the blog — the files are in public/
// and the page names no image elsewhere. The pictures come from a loopback
// server (one of them hotlink-protected) and, for a local feed, from the
// folder beside the feed.
func TestHexoRendersMirroredPost(t *testing.T) {
	hs := newHexoSite(t)
	pic := imagetest.Encode(t, "jpeg", 800, 450, 3)
	hot := imagetest.Encode(t, "png", 300, 200, 4)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/pic.jpg":
			w.Write(pic)
		case r.URL.Path == "/hot.png" && r.Header.Get("Referer") == "https://weibo.com/":
			w.Write(hot)
		default:
			http.Error(w, "no", http.StatusForbidden)
		}
	})
	hotHost := strings.Replace(up.URL, "127.0.0.1", "localhost", 1)
	dir := t.TempDir()
	local := imagetest.Encode(t, "png", 200, 120, 8)
	os.MkdirAll(filepath.Join(dir, "pics"), 0o755)
	os.WriteFile(filepath.Join(dir, "pics", "local.png"), local, 0o644)
	os.WriteFile(filepath.Join(dir, "feed.xml"), []byte(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>镜像</title><link>https://m.example/</link>
<item><guid>m1</guid><title>镜像图片的文章</title><link>https://m.example/1</link><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate>
<media:thumbnail url="`+up.URL+`/pic.jpg"/>
<description><![CDATA[<p><img src="`+up.URL+`/pic.jpg" srcset="`+up.URL+`/pic.jpg 1x, `+hotHost+`/hot.png 2x"> <img data-src="`+hotHost+`/hot.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="> <img src="pics/local.png"></p>]]></description></item></channel></rss>`), 0o644)
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfgPath, []byte(`site: {dir: ""}
hexo: {dir: `+hs.posts+`}
images: {proxy: mirror, allow_private: true, thumbnail: 480x270, referers: {localhost: "https://weibo.com/"}}
sources: [{url: feed.xml, name: m}]
`), 0o644)
	cfg, err := config.Load(cfgPath)
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
	if err != nil || sum.Images.Mirrored != 3 || sum.Images.Failed != 0 {
		t.Fatalf("run: %v, images %+v", err, sum.Images)
	}
	hs.generate(t)

	var page string
	filepath.WalkDir(hs.public, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(hs.public, p)
		if err == nil && d.Name() == "index.html" && strings.HasPrefix(rel, "posts"+string(filepath.Separator)) {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), "镜像图片的文章") && strings.Contains(string(b), "<article") {
				page = p
			}
		}
		return nil
	})
	if page == "" {
		t.Fatal("hexo wrote no page for the post")
	}
	f, _ := os.Open(page)
	doc, err := goquery.NewDocumentFromReader(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	doc.Find("article img").Each(func(_ int, s *goquery.Selection) {
		urls = append(urls, attr(s, "src"))
		for _, c := range strings.Split(attr(s, "srcset"), ",") {
			if f := strings.Fields(c); len(f) > 0 {
				urls = append(urls, f[0])
			}
		}
	})
	if len(urls) < 5 {
		t.Fatalf("%d image URLs on the page", len(urls))
	}
	for _, u := range urls {
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "/images/feedpost/") {
			t.Errorf("the page names an image elsewhere: %s", u)
			continue
		}
		if _, err := os.Stat(filepath.Join(hs.public, filepath.FromSlash(u))); err != nil {
			t.Errorf("%s is not in public/: %v", u, err)
		}
	}
	rel, _ := filepath.Rel(hs.public, page)
	checkShowsOwnPictures(t, hs.public, "/"+filepath.ToSlash(rel), 4)
}

// checkShowsOwnPictures opens path of the published folder public in
// headless Chromium with no network but the folder's own server, and checks
// that the page shows at least n pictures, each loaded (naturalWidth > 0)
// from the folder's /images/feedpost/.
func checkShowsOwnPictures(t *testing.T, public, path string, n int) {
	t.Helper()
	bin := headless.Find()
	if bin == "" {
		t.Log("chromium not installed: the pictures were not loaded in a browser (apt-get install chromium; bash .ci/run installs it)")
		return
	}
	base, imgs := headless.FolderImages(t, bin, public, path)
	shown := 0
	for _, im := range imgs {
		if !strings.HasPrefix(im.Src, base+"/images/feedpost/") {
			continue // the theme's own pictures (logo, avatar)
		}
		if im.Width == 0 {
			t.Errorf("%s: picture %s did not load", path, im.Src)
		}
		shown++
	}
	if shown < n {
		t.Errorf("%s shows %d mirrored pictures, want %d: %+v", path, shown, n, imgs)
	}
}
