package hexo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/headless"
	"github.com/feedpost/feedpost/internal/opml"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// TestXSSSuiteInLandscape is issue 12's browser suite: the payloads of
// testdata/xss/payloads.txt (re-typed from public XSS collections) go into
// every field of RSS, Atom and JSON Feed items and into channel titles, OPML
// folder names and the names an RSSHub instance gives `category: auto`;
// feedpost turns them into posts, real Hexo renders them with the default
// theme (landscape, whose list_categories prints names raw and whose
// script.js builds captions from img.alt), and headless Chromium loads every
// generated page. alert, confirm, prompt and print are replaced before any
// page script runs; any call, any dialog, any inline event handler or
// script URL left in the page, or a page that navigates away fails the test.
// Hover, focus and click are fired at every element of the articles, so
// what the theme's scripts do on a reader's gesture runs too.
//
// A control page (a generated post with raw payloads in an alt text, in a
// hover handler and in its categories list) must be caught, so the suite
// cannot pass by seeing nothing.
func TestXSSSuiteInLandscape(t *testing.T) {
	if testing.Short() {
		t.Skip("browser suite")
	}
	bin := headless.Find()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install chromium; bash .ci/run installs it)")
	}
	hs := newHexoSite(t)
	payloads := readPayloads(t, filepath.Join(repoRoot, "testdata", "xss", "payloads.txt"))
	start := time.Now()

	// Feeds, an RSSHub instance and an OPML file, all full of payloads.
	work := t.TempDir()
	var sources strings.Builder
	for i := range payloads {
		name := fmt.Sprintf("feed-%03d", i)
		data, ext := hostileFeed(payloads, i)
		path := filepath.Join(work, name+ext)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sources, "  - {url: %q, name: %s}\n", path, name)
	}
	instance := rsshubInstance(t, payloads)
	for k := 0; k < 12; k++ {
		fmt.Fprintf(&sources, "  - {route: /xss%d/r, name: auto-%d, category: auto}\n", k, k)
	}
	sources.Write(opmlSources(t, work, payloads))

	yml := "store: " + filepath.Join(work, "feedpost.db") + "\nhexo: {dir: " + filepath.Join(work, "posts") +
		"}\nsite: {dir: ''}\ndedupe: off\nrsshub: " + instance + "\nfetch: {retries: 0}\nsources:\n" + sources.String()
	if err := os.WriteFile(filepath.Join(work, "feedpost.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(work, "feedpost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := pipeline.New(cfg, st, pipeline.Options{}).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Sources {
		if r.Status == pipeline.StatusFailed {
			t.Errorf("source %s failed: %s", r.Name, r.Error)
		}
	}
	copyTree(t, cfg.Hexo.Dir, hs.posts)
	posts, _ := filepath.Glob(filepath.Join(hs.posts, "*.md"))
	if len(posts) < len(payloads) {
		t.Fatalf("%d posts from %d hostile items", len(posts), len(payloads))
	}
	t.Logf("%d payloads, %d sources, %d posts in %v", len(payloads), len(cfg.Sources), len(posts), time.Since(start).Round(time.Millisecond))

	// Fewer, longer list pages: the same content in fewer page loads.
	appendFile(t, filepath.Join(hs.dir, "_config.yml"), "\nper_page: 100\n")
	hs.generate(t)
	pages := htmlPages(t, hs.public)

	srv := httptest.NewServer(http.FileServer(http.Dir(hs.public)))
	defer srv.Close()
	control := controlPage(t, hs, posts)

	p := headless.Start(t, bin, headless.LoopbackOnly)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	if err := p.Call(ctx, "Runtime.addBinding", map[string]any{"name": markBinding}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Call(ctx, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": hookScript}, nil); err != nil {
		t.Fatal(err)
	}

	// The control page first: the detector must see its two payloads.
	findings, err := probe(ctx, p, srv.URL+control)
	if err != nil {
		t.Fatal(err)
	}
	var calls, statics int
	for _, f := range findings {
		if strings.HasPrefix(f, "call ") {
			calls++
		} else {
			statics++
		}
	}
	if calls < 2 || statics < 3 {
		t.Fatalf("the control page's payloads went unseen (calls %d, static %d): %q", calls, statics, findings)
	}

	browse := time.Now()
	failed := 0
	for n, page := range pages {
		if page == control {
			continue
		}
		if testing.Verbose() && n%200 == 0 {
			t.Logf("%d/%d pages, %v", n, len(pages), time.Since(browse).Round(time.Millisecond))
		}
		findings, err := probe(ctx, p, srv.URL+page)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if len(findings) > 0 {
			failed++
			if failed <= 20 {
				t.Errorf("script would run on %s%s:\n  %s", page, casesOn(t, hs, page), strings.Join(findings, "\n  "))
			}
		}
	}
	if failed > 20 {
		t.Errorf("… and on %d more pages", failed-20)
	}
	t.Logf("loaded %d pages in %v", len(pages), time.Since(browse).Round(time.Millisecond))
}

// markBinding is the function the hooks call; it reaches the test as a
// Runtime.bindingCalled event.
const markBinding = "__feedpostXSS"

// hookScript runs in every frame before the page's scripts: the functions
// the payloads call report instead of running.
const hookScript = `(() => {
  const mark = (what, arg) => {
    const msg = what + "(" + String(arg).slice(0, 60) + ") in " + location.href;
    try { window.` + markBinding + `(msg); } catch (e) { try { top.` + markBinding + `(msg); } catch (e2) {} }
  };
  for (const f of ["alert", "confirm", "prompt", "print"]) {
    try {
      Object.defineProperty(window, f, { value: function (a) { mark(f, a); }, writable: false, configurable: false });
    } catch (e) {}
  }
})();`

// probeScript runs after the load event. It reports what would run on a
// reader's gesture (inline event handlers, script URLs, srcdoc), fires the
// hover, focus and click events at every element of the articles
// (navigation prevented), so that what the theme's scripts do on them runs,
// then loads every image and waits for them to settle.
const probeScript = `(async () => {
  const found = [];
  const scriptURL = /^(javascript|vbscript|livescript):|^data:(?!image\/(png|gif|jpe?g|webp)[;,])/i;
  const urlAttrs = new Set(["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "lowsrc", "dynsrc", "cite", "srcset"]);
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      const v = a.value.replace(/[\u0000-\u0020]/g, "");
      if (n.startsWith("on")) found.push("static <" + el.localName + " " + n + "=" + JSON.stringify(a.value.slice(0, 60)) + ">");
      else if (n === "srcdoc") found.push("static <" + el.localName + " srcdoc>");
      else if (urlAttrs.has(n) && scriptURL.test(v)) found.push("static <" + el.localName + " " + n + "=" + JSON.stringify(a.value.slice(0, 60)) + ">");
    }
  }
  const stop = e => e.preventDefault();
  document.addEventListener("click", stop, true);
  document.addEventListener("submit", stop, true);
  // Inline handlers are caught above whatever their event; the events are
  // for what the theme's own scripts do with a post on a gesture (landscape
  // builds its share box from data-title on click, fancybox opens captions).
  // Those live in the articles; the sidebar's lists hold feed text only.
  const types = ["mouseover", "mouseenter", "focus", "click"];
  for (const el of document.querySelectorAll("article, article *")) {
    for (const t of types) {
      try { el.dispatchEvent(new Event(t, { bubbles: true, cancelable: true })); } catch (e) {}
    }
  }
  // Lazy images below the fold would never load, nor fail: load them all.
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map(img => img.complete ? null : new Promise(r => {
    img.addEventListener("load", r); img.addEventListener("error", r); setTimeout(r, 500);
  })));
  await new Promise(r => setTimeout(r, 20));
  return found;
})()`

// probe loads url and returns what would or did run there.
func probe(ctx context.Context, p *headless.Page, url string) ([]string, error) {
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.Navigate(pctx, url); err != nil {
		if pctx.Err() == nil || ctx.Err() != nil {
			return nil, err
		}
		// The page never finished loading: something in it keeps it busy.
		// Report it, and get the tab back for the next page.
		bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if berr := p.Navigate(bctx, "about:blank"); berr != nil {
			return nil, fmt.Errorf("%w; then: %w", err, berr)
		}
		return []string{"the page did not finish loading: " + err.Error()}, nil
	}
	var found []string
	var here string
	err := p.Evaluate(pctx, probeScript, &found)
	if err == nil {
		err = p.Evaluate(pctx, "location.href", &here)
	}
	switch {
	case err != nil && strings.Contains(err.Error(), "navigated"):
		// A payload sent the page elsewhere (a meta refresh, location=…).
		found = append(found, "the page navigated away: "+err.Error())
	case err != nil:
		return nil, err
	case here != url:
		found = append(found, "the page navigated to "+here)
	}
	for _, e := range p.Events() {
		switch e.Method {
		case "Runtime.bindingCalled":
			var c struct{ Name, Payload string }
			json.Unmarshal(e.Params, &c)
			if c.Name == markBinding {
				found = append(found, "call "+c.Payload)
			}
		case "Page.javascriptDialogOpening":
			var d struct{ Type, Message string }
			json.Unmarshal(e.Params, &d)
			found = append(found, "call dialog "+d.Type+": "+d.Message)
		}
	}
	return found, nil
}

// readPayloads reads the payload file (see its header for the format).
func readPayloads(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tokens := strings.NewReplacer("%TAB%", "\t", "%NL%", "\n", "%CR%", "\r", "%FF%", "\f", "%NUL%", "\x00",
		"%NEL%", "\u0085", "%LS%", "\u2028", "%PS%", "\u2029", "%BOM%", "\ufeff", "%C1%", "\u0080\u009f")
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line == "#" || strings.HasPrefix(line, "# ") {
			continue
		}
		out = append(out, tokens.Replace(line))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 200 {
		t.Fatalf("%s: %d payloads", path, len(out))
	}
	return out
}

var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// hostileFeed is feed i: RSS, Atom or JSON Feed by turns, with payload i in
// every field of its one item, payloads i+1 and i+2 in the body too, and
// payload i+N/2 as the channel title.
func hostileFeed(payloads []string, i int) ([]byte, string) {
	n := len(payloads)
	p := payloads[i]
	channel := payloads[(i+n/2)%n]
	body := fmt.Sprintf(`<p>xss-case-%d</p>%s<p><img src="https://img.example.com/%d.png" alt="%s" title="%s"></p>`+
		`<p><a href="%s" title="%s">link</a></p>%s%s`, i, p, i, xmlText.Replace(p), xmlText.Replace(p),
		xmlText.Replace(p), xmlText.Replace(p), payloads[(i+1)%n], payloads[(i+2)%n])
	link := fmt.Sprintf("https://news.example.com/%d/%s", i, p)
	if i%4 == 1 {
		link = p
	}
	img := fmt.Sprintf("https://img.example.com/%d.jpg?%s", i, p)
	const date = "Tue, 17 Aug 2021 06:56:06 GMT"
	x := xmlText.Replace
	switch i % 3 {
	case 0:
		title := "<title>" + x(p) + "</title>"
		if i%2 == 1 && !strings.Contains(p, "]]>") {
			title = "<title><![CDATA[" + p + "]]></title>"
		}
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>` + x(channel) + `</title><link>https://news.example.com/</link><description>` + x(p) + `</description>
<item><guid isPermaLink="false">xss-` + strconv.Itoa(i) + `</guid>` + title + `<link>` + x(link) + `</link>
<description>` + x(p) + `</description><content:encoded>` + x(body) + `</content:encoded>
<dc:creator>` + x(p) + `</dc:creator><category>` + x(p) + `</category>
<media:content url="` + x(img) + `" medium="image"><media:title>` + x(p) + `</media:title></media:content>
<enclosure url="` + x(img) + `&amp;e" type="image/jpeg" length="1"/>
<pubDate>` + date + `</pubDate></item></channel></rss>`), ".xml"
	case 1:
		typ := []string{"html", "text"}[i%2]
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<title type="` + typ + `">` + x(channel) + `</title><id>urn:xss:` + strconv.Itoa(i) + `</id><updated>2021-08-17T06:56:06Z</updated>
<link href="https://news.example.com/"/>
<entry><id>xss-` + strconv.Itoa(i) + `</id><title type="` + typ + `">` + x(p) + `</title><link rel="alternate" href="` + x(link) + `"/>
<published>2021-08-17T06:56:06Z</published><updated>2021-08-17T06:56:06Z</updated>
<author><name>` + x(p) + `</name></author><category term="` + x(p) + `" label="` + x(p) + `"/>
<summary type="html">` + x(p) + `</summary><content type="html">` + x(body) + `</content>
<media:thumbnail url="` + x(img) + `"/><link rel="enclosure" type="image/jpeg" href="` + x(img) + `&amp;e"/></entry></feed>`), ".atom"
	default:
		item := map[string]any{"id": "xss-" + strconv.Itoa(i), "url": link, "title": p, "summary": p, "image": img,
			"banner_image": img + "&b", "date_published": "2021-08-17T06:56:06Z",
			"authors": []map[string]string{{"name": p}}, "tags": []string{p}}
		if i%2 == 1 {
			item["content_text"] = body // plain text: shown, never run
		} else {
			item["content_html"] = body
		}
		data, _ := json.Marshal(map[string]any{"version": "https://jsonfeed.org/version/1.1", "title": channel,
			"home_page_url": "https://news.example.com/", "items": []any{item}})
		return data, ".json"
	}
}

// rsshubInstance serves /api/namespace/xss<k> with payloads as the
// namespace's, the route's and the section's names, and an RSS feed for
// each route; `category: auto` builds category paths from those names.
func rsshubInstance(t *testing.T, payloads []string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var k int
		if _, err := fmt.Sscanf(r.URL.Path, "/api/namespace/xss%d", &k); err == nil {
			n := len(payloads)
			ns := map[string]any{"name": payloads[(3*k)%n], "categories": []string{payloads[(3*k+1)%n]},
				"routes": map[string]any{"/r": map[string]any{"path": "/r", "name": payloads[(3*k+2)%n],
					"categories": []string{payloads[(3*k+3)%n]}}}}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(ns)
			return
		}
		if _, err := fmt.Sscanf(r.URL.Path, "/xss%d/r", &k); err == nil {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>RSSHub %d</title><item><guid>auto-%d</guid>`+
				`<title>xss-auto-%d</title><link>https://news.example.com/auto/%d</link><description>x</description>`+
				`<pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item></channel></rss>`, k, k, k, k)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// opmlSources imports an OPML file whose folder and feed names are payloads
// (`import-opml --category-from-outline`) and returns the source list items.
func opmlSources(t *testing.T, dir string, payloads []string) []byte {
	t.Helper()
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>`)
	n := len(payloads)
	for k := 0; k < 12; k++ {
		feed := filepath.Join(dir, fmt.Sprintf("opml-%d.xml", k))
		rssDoc := fmt.Sprintf(`<rss version="2.0"><channel><title>OPML %d</title><item><guid>opml-%d</guid><title>xss-opml-%d</title>`+
			`<link>https://news.example.com/opml/%d</link><description>x</description><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item></channel></rss>`, k, k, k, k)
		if err := os.WriteFile(feed, []byte(rssDoc), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&doc, `<outline text="%s"><outline text="%s"><outline type="rss" text="%s" xmlUrl="%s"/></outline></outline>`,
			xmlText.Replace(payloads[(5*k)%n]), xmlText.Replace(payloads[(5*k+1)%n]), xmlText.Replace(payloads[(5*k+2)%n]),
			xmlText.Replace(feed))
	}
	doc.WriteString(`</body></opml>`)
	outlines, err := opml.Parse(strings.NewReader(doc.String()))
	if err != nil {
		t.Fatal(err)
	}
	specs := opml.Sources(outlines, true, nil)
	if len(specs) != 12 {
		t.Fatalf("OPML import: %d sources", len(specs))
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(opml.Items(specs)), "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return []byte(b.String())
}

// htmlPages lists the site paths of every generated HTML page ("/", "/posts/x/").
func htmlPages(t *testing.T, public string) []string {
	t.Helper()
	var pages []string
	err := filepath.WalkDir(public, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		rel, _ := filepath.Rel(public, p)
		rel = "/" + filepath.ToSlash(rel)
		if strings.HasSuffix(rel, "/index.html") {
			rel = strings.TrimSuffix(rel, "index.html")
		}
		parts := strings.Split(rel, "/")
		for i := range parts {
			parts[i] = url.PathEscape(parts[i])
		}
		pages = append(pages, strings.Join(parts, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// controlPage writes a copy of a generated post page with raw payloads in
// an image's alt text (landscape's script.js turns it into a caption, which
// runs it), in a hover handler and in the categories list, as feedpost wrote
// them before issue 12, and returns its site path.
func controlPage(t *testing.T, hs *hexoSite, posts []string) string {
	t.Helper()
	id := strings.TrimSuffix(filepath.Base(posts[0]), ".md")
	page, err := os.ReadFile(filepath.Join(hs.public, "posts", id, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	entry := regexp.MustCompile(`<div class="e-content article-entry"[^>]*>`).FindStringIndex(s)
	list := strings.Index(s, `<ul class="category-list">`)
	if entry == nil || list < 0 {
		t.Fatalf("the post page has no article entry or category list:\n%.2000s", s)
	}
	s = s[:entry[1]] + `<p><img src="/none.png" alt="<img src=x onerror=alert('control-alt')>"><b onmouseover=prompt('control-hover')>x</b></p>` + s[entry[1]:]
	list = strings.Index(s, `<ul class="category-list">`)
	s = s[:list] + `<a class="category-list-link" href="javascript:alert('control-href')">x</a>` + s[list:]
	dir := filepath.Join(hs.public, "xss-control")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return "/xss-control/"
}

// casesOn names the payload cases of the post behind a post page.
func casesOn(t *testing.T, hs *hexoSite, page string) string {
	m := regexp.MustCompile(`^/posts/([0-9a-f]+)/$`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(hs.posts, m[1]+".md"))
	if err != nil {
		return ""
	}
	c := regexp.MustCompile(`xss-(?:case|auto|opml)-\d+`).FindString(string(data))
	if c == "" {
		return ""
	}
	return " (" + c + ")"
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
