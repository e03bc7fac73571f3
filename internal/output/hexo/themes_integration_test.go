package hexo_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/headless"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// themeSpec is where one theme shows what the acceptance test checks, read
// from the HTML each theme generates (its layout/ templates name the same
// classes).
type themeSpec struct {
	name string
	// card finds the index card of the post with this id and link.
	card func(index *goquery.Document, id, link string) *goquery.Selection
	// cover is the card's cover image URL.
	cover func(card *goquery.Selection) string
	// cardDate is the date text the card shows, and whether it is `updated`
	// (Volantis) rather than `date`. Stellar's default "hero" cards show no
	// date: its archive page is read instead (cardPage).
	cardDate    func(card *goquery.Selection) (text, datetime string)
	cardUpdated bool
	cardPage    string // the page the cards are on ("" for the index)
	// postDate, author and link read the post page.
	postDate func(doc *goquery.Document) (text, datetime string)
	author   func(doc *goquery.Document) string
	link     func(doc *goquery.Document) string
	// cards selects the index cards: the screenshot scrolls to the first,
	// past the full-screen banner most themes open with ("": no scrolling).
	cards string
}

func byHref(doc *goquery.Document, sel, href string) *goquery.Selection {
	return doc.Find(sel).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(`a[href="`+href+`"]`).Length() > 0 || s.Is(`a[href="`+href+`"]`)
	}).First()
}

func attr(s *goquery.Selection, name string) string { v, _ := s.Attr(name); return v }

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.First().Text()), " ") }

var themeSpecs = []themeSpec{
	{
		name: "volantis",
		// Volantis links a card with `link:` to the original article.
		card: func(d *goquery.Document, id, link string) *goquery.Selection {
			if link == "" {
				link = "/posts/" + id + "/"
			}
			return byHref(d, ".post-v3", link)
		},
		cover: func(c *goquery.Selection) string { return attr(c.Find("img.headimg"), "src") },
		cardDate: func(c *goquery.Selection) (string, string) {
			t := c.Find("time.update-time")
			return text(t), attr(t, "datetime")
		},
		cardUpdated: true,
		postDate: func(d *goquery.Document) (string, string) {
			s := d.Find(`.new-meta-item.date[itemprop~="datePublished"]`)
			return text(s), attr(s, "datetime")
		},
		author: func(d *goquery.Document) string { return text(d.Find(`.new-meta-item.author [itemprop="name"]`)) },
		link:   func(d *goquery.Document) string { return attr(d.Find("a.ori-link"), "href") },
		cards:  ".post-v3",
	},
	{
		name: "butterfly",
		card: func(d *goquery.Document, id, _ string) *goquery.Selection {
			return byHref(d, ".recent-post-item", "/posts/"+id+"/")
		},
		cover: func(c *goquery.Selection) string { return attr(c.Find("img.post-bg"), "src") },
		cardDate: func(c *goquery.Selection) (string, string) {
			t := c.Find(".post-meta-date time")
			return text(t), attr(t, "datetime")
		},
		postDate: func(d *goquery.Document) (string, string) {
			t := d.Find("time.post-meta-date-created")
			return text(t), attr(t, "datetime")
		},
		author: func(d *goquery.Document) string { return text(d.Find(".post-copyright__author .post-copyright-info")) },
		link:   func(d *goquery.Document) string { return attr(d.Find(".post-copyright__type a"), "href") },
		cards:  ".recent-post-item",
	},
	{
		name: "fluid",
		card: func(d *goquery.Document, id, _ string) *goquery.Selection {
			return byHref(d, ".index-card", "/posts/"+id+"/")
		},
		cover: func(c *goquery.Selection) string { return attr(c.Find(".index-img img"), "src") },
		cardDate: func(c *goquery.Selection) (string, string) {
			t := c.Find(".post-metas time")
			return text(t), attr(t, "datetime")
		},
		postDate: func(d *goquery.Document) (string, string) {
			t := d.Find(".post-meta time")
			return text(t), attr(t, "datetime")
		},
		author: func(d *goquery.Document) string {
			return text(d.Find(".license-meta-item").First().Find("div").Last())
		},
		link:  func(d *goquery.Document) string { return attr(d.Find("p.feedpost-source a"), "href") },
		cards: ".index-card",
	},
	{
		name: "next",
		card: func(d *goquery.Document, id, _ string) *goquery.Selection {
			return byHref(d, ".post-block", "/posts/"+id+"/")
		},
		cover: func(c *goquery.Selection) string { return attr(c.Find(".post-gallery img"), "src") },
		cardDate: func(c *goquery.Selection) (string, string) {
			t := c.Find(`time[itemprop~="dateCreated"]`)
			return text(t), attr(t, "datetime")
		},
		postDate: func(d *goquery.Document) (string, string) {
			t := d.Find(`.post-meta time[itemprop~="dateCreated"]`)
			return text(t), attr(t, "datetime")
		},
		// NexT prints no author (its copyright block is off by default):
		// the closing paragraph names the source.
		author: func(d *goquery.Document) string {
			name, _, _ := strings.Cut(text(d.Find("p.feedpost-source")), " · ")
			return name
		},
		link:  func(d *goquery.Document) string { return attr(d.Find("p.feedpost-source a"), "href") },
		cards: ".post-block",
	},
	{
		name: "redefine",
		card: func(d *goquery.Document, id, _ string) *goquery.Selection {
			return byHref(d, "li.home-article-item", "/posts/"+id+"/")
		},
		cover: func(c *goquery.Selection) string { return attr(c.Find(".home-article-thumbnail img"), "src") },
		cardDate: func(c *goquery.Selection) (string, string) {
			return text(c.Find(".home-article-date")), ""
		},
		postDate: func(d *goquery.Document) (string, string) {
			return text(d.Find(".article-header .article-date .desktop")), ""
		},
		author: func(d *goquery.Document) string { return text(d.Find(".article-header .author .name")) },
		link:   func(d *goquery.Document) string { return attr(d.Find("p.feedpost-source a"), "href") },
		cards:  "li.home-article-item",
	},
	{
		name: "stellar",
		card: func(d *goquery.Document, id, _ string) *goquery.Selection {
			return d.Find(`a.post-card[href="/posts/` + id + `/"]`).First()
		},
		cover: func(c *goquery.Selection) string {
			if src := attr(c.Find(".post-cover img"), "src"); src != "" {
				return src
			}
			return attr(c.Find(".cover img"), "data-src") // hero cards load it lazily
		},
		cardPage: "/archives/",
		cardDate: func(c *goquery.Selection) (string, string) {
			year := text(c.Closest(".archive-list").PrevAllFiltered(".archive-header").First())
			return year + "-" + text(c.Find("time")), ""
		},
		postDate: func(d *goquery.Document) (string, string) {
			t := d.Find("#post-meta .created time")
			return text(t), attr(t, "datetime")
		},
		author: func(d *goquery.Document) string { return text(d.Find("#post-meta a.author")) },
		link:   func(d *goquery.Document) string { return attr(d.Find("#references a"), "href") },
	},
}

// TestThemesRenderExamplePosts is issue 17's acceptance test: the bundled
// example's posts, written with each theme's preset (`hexo.theme: auto`
// reading the blog's _config.yml), rendered by real Hexo 8 with the theme
// installed from npm (testdata/hexo-themes), on a build machine in UTC and
// in Asia/Shanghai. In the generated HTML every post's card shows its cover
// and the article's date (in the build machine's zone, never the day the
// file was written), and every post page its date, its author's name and a
// link to the original article. With Chromium installed it also takes a
// screenshot of each theme's index (artifacts/screenshots/themes/; with
// FEEDPOST_UPDATE_DOCS=1 into docs/themes/ as well).
func TestThemesRenderExamplePosts(t *testing.T) {
	if testing.Short() {
		t.Skip("renders twelve Hexo sites")
	}
	fixture := filepath.Join(repoRoot, "testdata", "hexo-themes")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; install Node.js 20.19+ and run `cd testdata/hexo-themes && npm install` (or bash .ci/run)")
	}
	modules, err := filepath.Abs(filepath.Join(fixture, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "hexo", "bin", "hexo")); err != nil {
		t.Skip("testdata/hexo-themes/node_modules is not installed; run `cd testdata/hexo-themes && npm install` (or bash .ci/run)")
	}
	base, err := os.ReadFile(filepath.Join(fixture, "_config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	zones := []string{"UTC", "Asia/Shanghai"}

	// One blog per theme and build zone, with posts written by feedpost.
	type build struct {
		spec themeSpec
		zone string
		site string // the blog's folder
	}
	var builds []build
	for _, spec := range themeSpecs {
		examples := filepath.Join(work, spec.name, "examples")
		copyTree(t, filepath.Join(repoRoot, "examples"), examples, "out")
		// examples/feedpost.yaml writes posts to out/hexo/source/_posts:
		// out/hexo is the blog, so hexo.theme: auto reads its theme.
		blog := filepath.Join(examples, "out", "hexo")
		writeBlog(t, blog, base, spec.name, modules, fixture)
		cfg, err := config.Load(filepath.Join(examples, "feedpost.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Hexo.Preset.Name != spec.name {
			t.Fatalf("%s: hexo.theme: %s resolved to the %q preset", spec.name, cfg.Hexo.Theme, cfg.Hexo.Preset.Name)
		}
		cfg.Site.Dir, cfg.Hugo.Dir = "", "" // only the Hexo posts are under test
		st, err := store.Open(t.Context(), cfg.Store, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := pipeline.New(cfg, st, pipeline.Options{})
		sum, err := r.Run(t.Context())
		r.Close()
		st.Close()
		if err != nil || sum.Failed() || sum.Note != "" {
			t.Fatalf("%s: run the example: %v %+v", spec.name, err, sum)
		}
		for _, zone := range zones {
			site := filepath.Join(work, spec.name, strings.ReplaceAll(zone, "/", "-"))
			copyTree(t, blog, site, "node_modules")
			writeBlog(t, site, base, spec.name, modules, fixture)
			builds = append(builds, build{spec, zone, site})
		}
	}

	// `hexo generate`, two at a time (the CI machine has two cores).
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	logs := make([]string, len(builds))
	errs := make([]error, len(builds))
	start := time.Now()
	for i, b := range builds {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join("node_modules", "hexo", "bin", "hexo"), "generate")
			cmd.Dir = b.site
			// Volantis checks `hexo -v` (hexo-cli) on PATH.
			cmd.Env = append(os.Environ(), "TZ="+b.zone, "NO_COLOR=1",
				"PATH="+filepath.Join(modules, ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			logs[i] = regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(string(out), "")
			errs[i] = err
		})
	}
	wg.Wait()
	t.Logf("%d hexo generate runs took %v", len(builds), time.Since(start).Round(time.Second))

	for i, b := range builds {
		t.Run(b.spec.name+"/"+b.zone, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatalf("hexo generate: %v\n%s", errs[i], logs[i])
			}
			if bad := regexp.MustCompile(`(?m)^\s*(ERROR|FATAL)\b.*$`).FindAllString(logs[i], -1); len(bad) > 0 {
				t.Errorf("hexo reported errors:\n%s", strings.Join(bad, "\n"))
			}
			loc, err := time.LoadLocation(b.zone)
			if err != nil {
				t.Fatal(err)
			}
			checkTheme(t, b.spec, b.site, loc)
		})
	}

	if bin := headless.Find(); bin == "" {
		t.Log("chromium not installed: no screenshots (apt-get install chromium; bash .ci/run installs it)")
	} else {
		shots := map[string]string{} // theme → its public folder
		for _, b := range builds {
			if b.zone == "Asia/Shanghai" {
				shots[b.spec.name] = filepath.Join(b.site, "public")
			}
		}
		screenshots(t, bin, shots, modules)
	}
}

// writeBlog makes dir a Hexo blog with the fixture's config and theme.
func writeBlog(t *testing.T, dir string, base []byte, theme, modules, fixture string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := append(append([]byte(nil), base...), "\ntheme: "+theme+"\n"...)
	if err := os.WriteFile(filepath.Join(dir, "_config.yml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(fixture, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "node_modules")); err != nil {
		if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
			t.Fatal(err)
		}
	}
}

// themePost is what the test reads of a post file.
type themePost struct {
	id, title, link, author, cover string
	date, updated                  time.Time
}

func readThemePosts(t *testing.T, dir string, coverKey string) []themePost {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(files) < 20 {
		t.Fatalf("%d posts in %s", len(files), dir)
	}
	var posts []themePost
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := bytes.Cut(bytes.TrimPrefix(data, []byte("---\n")), []byte("\n---\n"))
		var fm map[string]any
		if err := yaml.Unmarshal(head, &fm); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		str := func(k string) string { s, _ := fm[k].(string); return s }
		p := themePost{id: strings.TrimSuffix(filepath.Base(f), ".md"), title: str("title"), link: str("source_url"),
			author: str("author"), cover: str(coverKey)}
		if p.date, err = time.Parse(time.RFC3339, str("date")); err != nil {
			t.Fatalf("%s: date: %v", f, err)
		}
		if p.updated, err = time.Parse(time.RFC3339, str("updated")); err != nil {
			t.Fatalf("%s: updated (always written): %v", f, err)
		}
		posts = append(posts, p)
	}
	return posts
}

// coverKeys is the first cover key of each preset, the one cards show.
var coverKeys = map[string]string{"volantis": "headimg", "butterfly": "cover", "fluid": "index_img",
	"next": "photos", "redefine": "thumbnail", "stellar": "cover"}

func checkTheme(t *testing.T, spec themeSpec, site string, loc *time.Location) {
	public := filepath.Join(site, "public")
	load := func(p string) *goquery.Document {
		t.Helper()
		f, err := os.Open(filepath.Join(public, filepath.FromSlash(p), "index.html"))
		if err != nil {
			t.Fatalf("page %s: %v", p, err)
		}
		defer f.Close()
		doc, err := goquery.NewDocumentFromReader(f)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	index := load("/")
	cards := index
	if spec.cardPage != "" {
		cards = load(spec.cardPage)
	}
	var cardsChecked, linked int
	for _, p := range readThemePosts(t, filepath.Join(site, "source", "_posts"), coverKeys[spec.name]) {
		where := fmt.Sprintf("%s (%s)", p.title, p.id)
		card := spec.card(index, p.id, p.link)
		if card.Length() == 0 {
			t.Errorf("%s: no card on the index", where)
			continue
		}
		if got := spec.cover(card); p.cover != "" && got != p.cover {
			t.Errorf("%s: card cover %q, want %q", where, got, p.cover)
		}
		dateCard := card
		if spec.cardPage != "" {
			dateCard = cards.Find(`a[href="/posts/` + p.id + `/"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find("time").Length() > 0
			}).First()
		}
		want := p.date
		if spec.cardUpdated {
			want = p.updated
		}
		txt, dt := spec.cardDate(dateCard)
		checkShownDate(t, where+": card", txt, dt, want, loc)
		cardsChecked++

		doc := load("/posts/" + p.id + "/")
		txt, dt = spec.postDate(doc)
		checkShownDate(t, where+": page", txt, dt, p.date, loc)
		if got := spec.author(doc); got != p.author {
			t.Errorf("%s: page shows the author %q, want %q", where, got, p.author)
		}
		if p.link != "" {
			got := spec.link(doc)
			if u, err := url.Parse(got); got != p.link || err != nil || !u.IsAbs() {
				t.Errorf("%s: link to the original %q, want %q", where, got, p.link)
			}
			linked++
		}
	}
	if cardsChecked < 20 || linked < 20 {
		t.Errorf("checked %d cards and %d links to the original", cardsChecked, linked)
	}
}

var (
	shownDateRE = regexp.MustCompile(`(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})日?(?:\D{0,3}(\d{1,2}):(\d{2}))?`)
	isoNoZoneRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$`)
)

// checkShownDate checks a date a page shows: its text gives the day (and the
// time, when it shows one) of want in the build machine's zone loc, and its
// datetime attribute, when there is one, want's instant.
func checkShownDate(t *testing.T, where, text, datetime string, want time.Time, loc *time.Location) {
	t.Helper()
	local := want.In(loc)
	m := shownDateRE.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("%s: no date in %q (want %s)", where, text, local.Format("2006-01-02 15:04"))
		return
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if y != local.Year() || time.Month(mo) != local.Month() || d != local.Day() {
		t.Errorf("%s: shows %q, want the day %s (%s)", where, text, local.Format("2006-01-02"), want.Format(time.RFC3339))
	}
	if m[4] != "" {
		h, _ := strconv.Atoi(m[4])
		mi, _ := strconv.Atoi(m[5])
		if h != local.Hour() || mi != local.Minute() {
			t.Errorf("%s: shows %q, want the time %s", where, text, local.Format("15:04"))
		}
	}
	if datetime == "" {
		return
	}
	var got time.Time
	var err error
	if isoNoZoneRE.MatchString(datetime) {
		got, err = time.ParseInLocation("2006-01-02 15:04", datetime, loc) // Fluid: local time
	} else {
		got, err = time.Parse(time.RFC3339, datetime)
	}
	if err != nil || !got.Equal(want.Truncate(time.Minute)) && !got.Equal(want) {
		t.Errorf("%s: datetime=%q, want the instant %s (%v)", where, datetime, want.Format(time.RFC3339), err)
	}
}

// screenshots serves each theme's public folder on loopback in turn and
// saves a headless-Chromium screenshot of its index (1280×900), scrolled to
// the first card. Every other host resolves to a local server, so nothing
// leaves the machine: it answers image requests with a coloured tile, CDN
// requests for a library the fixture installs (its devDependencies) with
// the installed file, and anything else with 404 (themes look as they do
// with their CDN down).
func screenshots(t *testing.T, bin string, publics map[string]string, modules string) {
	t.Helper()
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "image/") {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450"><rect width="800" height="450" fill="hsl(%d,45%%,62%%)"/></svg>`,
				crc32.ChecksumIEEE([]byte(r.URL.String()))%360)
			return
		}
		if f := cdnFile(modules, r.URL.Path); f != "" {
			http.ServeFile(w, r, f)
			return
		}
		http.NotFound(w, r)
	})
	plain := httptest.NewServer(other)
	defer plain.Close()
	tls := httptest.NewTLSServer(other)
	defer tls.Close()
	port := func(u string) string { return u[strings.LastIndex(u, ":")+1:] }
	rules := "MAP *:443 127.0.0.1:" + port(tls.URL) + ", MAP *:80 127.0.0.1:" + port(plain.URL) + ", EXCLUDE 127.0.0.1"

	p := headless.Start(t, bin, "--ignore-certificate-errors", "--host-resolver-rules="+rules)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := p.SetViewport(ctx, 1280, 900); err != nil {
		t.Fatal(err)
	}
	for _, spec := range themeSpecs {
		public, ok := publics[spec.name]
		if !ok {
			continue
		}
		data, err := themeScreenshot(ctx, p, spec, public)
		if err != nil {
			t.Errorf("chromium screenshot of %s: %v", spec.name, err)
			continue
		}
		if len(data) < 20000 {
			t.Errorf("screenshot of %s: only %d bytes", spec.name, len(data))
		}
		dirs := []string{filepath.Join(artifacts(), "screenshots", "themes")}
		if os.Getenv("FEEDPOST_UPDATE_DOCS") != "" {
			dirs = append(dirs, filepath.Join(repoRoot, "docs", "themes"))
		}
		for _, d := range dirs {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, spec.name+".png"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// themeScreenshot loads the index of public (served on loopback) in p,
// scrolls past the full-screen banner most themes open with, and returns a
// PNG of the viewport.
func themeScreenshot(ctx context.Context, p *headless.Page, spec themeSpec, public string) ([]byte, error) {
	site := httptest.NewServer(http.FileServer(http.Dir(public)))
	defer site.Close()
	nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := p.Navigate(nctx, site.URL+"/")
	cancel()
	if err != nil && ctx.Err() == nil && nctx.Err() == nil {
		return nil, err
	} // else no load event in 10 s: some themes never finish loading without their CDN
	time.Sleep(2 * time.Second) // fonts, animations
	if spec.cards != "" {
		scroll := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e) { e.scrollIntoView({block: "start"}); window.scrollBy(0, -90); } })()`, spec.cards)
		if err := p.Evaluate(ctx, scroll, nil); err != nil {
			return nil, err
		}
	}
	time.Sleep(1500 * time.Millisecond) // lazy images, scroll animations
	return p.Screenshot(ctx)
}

// cdnNames maps CDN library names to npm package names where they differ.
var cdnNames = map[string]string{"twitter-bootstrap": "bootstrap"}

// cdnFile finds the file a CDN URL path names in node_modules: jsdelivr's
// /npm/<pkg>@<version>/<file>, unpkg's /<pkg>@<version>/<file>, and
// cdnjs's or baomitu's /[ajax/libs/]<lib>/<version>/<file> (looked for
// under dist/ too). The version is ignored; "" when not installed.
func cdnFile(modules, path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) > 2 && parts[0] == "npm" {
		parts = parts[1:]
	}
	if len(parts) > 3 && parts[0] == "ajax" && parts[1] == "libs" {
		parts = parts[2:]
	}
	var pkg string
	var rest []string
	switch {
	case len(parts) >= 2 && strings.Contains(parts[0], "@") && !strings.HasPrefix(parts[0], "@"):
		pkg, _, _ = strings.Cut(parts[0], "@")
		rest = parts[1:]
	case len(parts) >= 3:
		pkg, rest = parts[0], parts[2:]
	default:
		return ""
	}
	pkg = cmp.Or(cdnNames[pkg], pkg)
	for _, dir := range []string{"", "dist"} {
		f := filepath.Join(append([]string{modules, pkg, dir}, rest...)...)
		if !strings.HasPrefix(f, filepath.Join(modules, pkg)) {
			return ""
		}
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return f
		}
	}
	return ""
}

// artifacts is where tests leave files for people (CI keeps them);
// FEEDPOST_ARTIFACTS overrides it.
func artifacts() string {
	if dir := os.Getenv("FEEDPOST_ARTIFACTS"); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot, "artifacts")
}
