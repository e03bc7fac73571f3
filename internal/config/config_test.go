package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/output/hexo"
)

// cfgPath is where the test configs pretend to live; Parse never touches it.
const cfgPath = "/srv/news/feedpost.yaml"

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse([]byte(src), cfgPath)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, "sources:\n  - url: feed.xml\n")
	none, _ := hexo.Preset("none")
	want := &Config{
		Path: cfgPath,
		Dir:  "/srv/news",
		Site: Site{Title: "feedpost", Timezone: "UTC", Location: time.UTC, Language: "zh-CN",
			Dir: "/srv/news/public", PerPage: 24},
		Store: "/srv/news/feedpost.db",
		Fetch: Fetch{Concurrency: 8, PerHost: 2, Timeout: 30 * time.Second, Retries: 2,
			MaxBytes: 20 * 1024 * 1024, UserAgent: "feedpost/" + Version + " (+https://github.com/feedpost/feedpost)", Lease: time.Minute},
		Images: Images{ProxyScope: "http", NoReferrer: true,
			DefaultCover: "https://picsum.photos/400/300?random={n}",
			CacheDir:     "/srv/news/cache/images", CacheSize: 512 * 1024 * 1024, Fallback: "original"},
		Content: Content{IframeHosts: []string{"www.youtube.com", "www.youtube-nocookie.com",
			"player.vimeo.com", "player.bilibili.com", "v.qq.com"}},
		Hexo: Hexo{Dir: "/srv/news/hexo/source/_posts", CoverKeys: []string{"headimg", "thumbnail"}, CardKey: "thumbnail",
			EscapeBraces: true, Theme: "auto", Preset: none, NameSource: true},
		Defaults: Defaults{Limit: 30, Interval: 30 * time.Minute},
		Dedupe:   "link",
		Serve: Serve{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: time.Minute,
			IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10, MaxConns: 1024, MaxConnsPerIP: 128},
		Sources: []Source{{Key: "feed.xml", URL: "feed.xml", FetchURL: "/srv/news/feed.xml",
			Limit: 30, Interval: 30 * time.Minute, Enabled: true, Line: 2, Timezone: "UTC", Location: time.UTC}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

// An explicit null must mean the same as an absent key.
func TestNullMeansDefault(t *testing.T) {
	src := `
site: {title: ~, url: ~, timezone: ~, language: ~, dir: ~, per_page: ~, templates: ~}
rsshub: ~
rsshub_key: ~
store: ~
database: ~
secret: ~
fetch: {concurrency: ~, per_host: ~, timeout: ~, retries: ~, max_bytes: ~, user_agent: ~}
images: {proxy: ~, proxy_scope: ~, no_referrer: ~, default_cover: ~, proxy_base: ~, referers: ~, allow_private: ~, cache_dir: ~, cache_size: ~}
content: {iframe_hosts: ~}
hexo: {dir: ~, cover_keys: ~, comments: ~, escape_braces: ~}
hugo: {dir: ~}
defaults: {limit: ~, interval: ~, max_age: ~}
dedupe: ~
keep: {max_age: ~, max_posts: ~, per_source: ~}
sources:
  - url: feed.xml
    route: ~
    name: ~
    category: ~
    author: ~
    include: ~
    exclude: ~
    fulltext: ~
    headers: ~
    limit: ~
    interval: ~
    max_age: ~
    enabled: ~
`
	got := mustParse(t, src)
	want := mustParse(t, "sources:\n  - url: feed.xml\n")
	got.Sources[0].Line, want.Sources[0].Line = 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nulls:\n got %+v\nwant %+v", got, want)
	}
	// Empty blocks too.
	got = mustParse(t, "site:\nfetch:\nimages:\nhexo:\nsources:\n  - url: feed.xml\n")
	got.Sources[0].Line = 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty blocks:\n got %+v\nwant %+v", got, want)
	}
}

func TestAllValues(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	none, _ := hexo.Preset("none")
	src := `
site:
  title: 新闻聚合
  url: https://news.example.com/
  timezone: Asia/Shanghai
  language: en
  dir: out/site
  per_page: 10
  templates: tpl
rsshub: [https://rsshub.example.com/, "http://10.0.0.2:1200"]
rsshub_key: k3y
store: data/fp.db
secret: s3cret
fetch:
  concurrency: 3
  per_host: 1
  timeout: 1m30s
  retries: 0
  max_bytes: 1.5MB
  user_agent: test-agent
  lease: 2m
images:
  proxy: builtin
  proxy_scope: all
  no_referrer: false
  default_cover: /cover.png
  proxy_base: https://img.example.com/
  referers: {"*.SinaImg.cn": "https://weibo.com/", "x.example": ""}
  allow_private: true
  cache_dir: ~/imgcache
  cache_size: 1GB
content:
  iframe_hosts: [Example.com, www.youtube.com]
hexo:
  dir: /abs/posts
  cover_keys: [cover]
  comments: true
  escape_braces: false
hugo:
  dir: hugo/content/posts
defaults:
  limit: 5
  interval: 2h
  max_age: 7d
dedupe: title
keep:
  max_age: 30d
  max_posts: 1000
  per_source: 50
sources:
  - route: qutoutiao/category/1
    name: qtt
    category: 趣头条
    author: 趣头条
    include: "(?i)windows"
    exclude: {content: 广告, author: bot}
    fulltext: true
    headers: {Referer: "https://www.cnbeta.com/"}
    limit: 7
    interval: 1d12h
    max_age: 0
    enabled: false
    timezone: America/Chicago
  - url: https://www.cnbeta.com/backend.php
    category: auto
`
	c := mustParse(t, src)
	checks := []struct {
		name      string
		got, want any
	}{
		{"site.title", c.Site.Title, "新闻聚合"},
		{"site.url", c.Site.URL, "https://news.example.com"},
		{"site.timezone", c.Site.Timezone, "Asia/Shanghai"},
		{"site.location", c.Site.Location.String(), "Asia/Shanghai"},
		{"site.language", c.Site.Language, "en"},
		{"site.dir", c.Site.Dir, "/srv/news/out/site"},
		{"site.per_page", c.Site.PerPage, 10},
		{"site.templates", c.Site.Templates, "/srv/news/tpl"},
		{"rsshub", c.RSSHub, []string{"https://rsshub.example.com", "http://10.0.0.2:1200"}},
		{"rsshub_key", c.RSSHubKey, "k3y"},
		{"store", c.Store, "/srv/news/data/fp.db"},
		{"secret", c.Secret, "s3cret"},
		{"fetch", c.Fetch, Fetch{3, 1, 90 * time.Second, 0, 1572864, "test-agent", 2 * time.Minute}},
		{"images.proxy", c.Images.Proxy, "builtin"},
		{"images.proxy_scope", c.Images.ProxyScope, "all"},
		{"images.no_referrer", c.Images.NoReferrer, false},
		{"images.default_cover", c.Images.DefaultCover, "/cover.png"},
		{"images.proxy_base", c.Images.ProxyBase, "https://img.example.com"},
		{"images.referers", c.Images.Referers, map[string]string{"*.sinaimg.cn": "https://weibo.com/", "x.example": ""}},
		{"images.allow_private", c.Images.AllowPrivate, true},
		{"images.cache_dir", c.Images.CacheDir, "/home/u/imgcache"},
		{"images.cache_size", c.Images.CacheSize, int64(1 << 30)},
		{"content.iframe_hosts", c.Content.IframeHosts, []string{"www.youtube.com", "www.youtube-nocookie.com",
			"player.vimeo.com", "player.bilibili.com", "v.qq.com", "example.com"}},
		{"hexo", c.Hexo, Hexo{Dir: "/abs/posts", CoverKeys: []string{"cover"}, Comments: true, EscapeBraces: false,
			Theme: "auto", Preset: none, NameSource: true}},
		{"hugo.dir", c.Hugo.Dir, "/srv/news/hugo/content/posts"},
		{"defaults", c.Defaults, Defaults{5, 2 * time.Hour, 7 * 24 * time.Hour}},
		{"dedupe", c.Dedupe, "title"},
		{"keep", c.Keep, Keep{30 * 24 * time.Hour, 1000, 50}},
		{"sources", len(c.Sources), 2},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}

	s := c.Sources[0]
	if s.Key != "qtt" || s.Name != "qtt" || s.Route != "/qutoutiao/category/1" ||
		s.FetchURL != "https://rsshub.example.com/qutoutiao/category/1" || !s.IsRoute() {
		t.Errorf("route source identity: %+v", s)
	}
	if !reflect.DeepEqual(s.Category, []string{"趣头条"}) || s.CategoryAuto || s.Author != "趣头条" {
		t.Errorf("route source category/author: %+v", s)
	}
	if s.Include.Title == nil || !s.Include.Title.MatchString("New WINDOWS build") || s.Include.Content != nil {
		t.Errorf("include: %+v", s.Include)
	}
	if s.Exclude.Title != nil || s.Exclude.Content == nil || !s.Exclude.Author.MatchString("a bot") || s.Exclude.Category != nil {
		t.Errorf("exclude: %+v", s.Exclude)
	}
	if !s.Fulltext || s.Headers["Referer"] != "https://www.cnbeta.com/" || s.Limit != 7 ||
		s.Interval != 36*time.Hour || s.MaxAge != 0 || s.Enabled || s.Line != 51 ||
		s.Timezone != "America/Chicago" || s.Location.String() != "America/Chicago" {
		t.Errorf("route source overrides: %+v", s)
	}

	s = c.Sources[1]
	if s.Key != "https://www.cnbeta.com/backend.php" || s.FetchURL != s.URL || s.IsRoute() {
		t.Errorf("url source identity: %+v", s)
	}
	if !s.CategoryAuto || s.Category != nil {
		t.Errorf("category auto: %+v", s)
	}
	// Defaults merged into a source without overrides.
	if s.Limit != 5 || s.Interval != 2*time.Hour || s.MaxAge != 7*24*time.Hour || !s.Enabled || s.Line != 64 ||
		s.Timezone != "Asia/Shanghai" || s.Location != c.Site.Location {
		t.Errorf("merged defaults: %+v", s)
	}
	if c.SourceByKey("qtt") != &c.Sources[0] || c.SourceByKey(s.URL) != &c.Sources[1] || c.SourceByKey("nope") != nil {
		t.Error("SourceByKey does not find sources by key")
	}
}

func TestCoverKeysEmptyList(t *testing.T) {
	c := mustParse(t, "hexo: {cover_keys: []}\nsources: [{url: f.xml}]")
	if c.Hexo.CoverKeys == nil || len(c.Hexo.CoverKeys) != 0 {
		t.Errorf("cover_keys: [] gave %#v, want an empty list", c.Hexo.CoverKeys)
	}
}

func TestProxyBaseDefaultsToSiteURL(t *testing.T) {
	c := mustParse(t, "site: {url: 'https://a.example/blog/'}\nsources: [{url: f.xml}]")
	if c.Images.ProxyBase != "https://a.example/blog" {
		t.Errorf("proxy_base = %q", c.Images.ProxyBase)
	}
}

func TestPaths(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	tests := []struct {
		name string
		src  string
		get  func(*Config) string
		want string
	}{
		{"site.dir relative", "site: {dir: www}", func(c *Config) string { return c.Site.Dir }, "/srv/news/www"},
		{"site.dir disabled", "site: {dir: ''}", func(c *Config) string { return c.Site.Dir }, ""},
		{"site.dir parent", "site: {dir: ../www}", func(c *Config) string { return c.Site.Dir }, "/srv/www"},
		{"templates unset", "", func(c *Config) string { return c.Site.Templates }, ""},
		{"hexo.dir disabled", `hexo: {dir: ""}`, func(c *Config) string { return c.Hexo.Dir }, ""},
		{"hexo.dir home", "hexo: {dir: ~/blog/source/_posts}", func(c *Config) string { return c.Hexo.Dir }, "/home/u/blog/source/_posts"},
		{"hugo.dir relative", "hugo: {dir: content/posts}", func(c *Config) string { return c.Hugo.Dir }, "/srv/news/content/posts"},
		{"store absolute", "store: /var/lib/fp.db", func(c *Config) string { return c.Store }, "/var/lib/fp.db"},
		{"store empty is default", "store: ''", func(c *Config) string { return c.Store }, "/srv/news/feedpost.db"},
		{"cache_dir disabled", "images: {cache_dir: ''}", func(c *Config) string { return c.Images.CacheDir }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src+"\nsources: [{url: f.xml}]")
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSourceURLs(t *testing.T) {
	tests := []struct {
		url, fetch string
	}{
		{"https://example.com/feed?x=1", "https://example.com/feed?x=1"},
		{"http://example.com/rss", "http://example.com/rss"},
		{"file:///data/feed.xml", "file:///data/feed.xml"},
		{"feeds/a.xml", "/srv/news/feeds/a.xml"},
		{"./a.xml", "/srv/news/a.xml"},
		{"/abs/a.xml", "/abs/a.xml"},
	}
	for _, tt := range tests {
		c := mustParse(t, "rsshub: https://rsshub.app\nsources: [{url: '"+tt.url+"'}]")
		s := c.Sources[0]
		if s.FetchURL != tt.fetch || s.Key != tt.url || s.URL != tt.url || s.IsRoute() {
			t.Errorf("url %q: FetchURL %q Key %q URL %q route %q; want FetchURL %q", tt.url, s.FetchURL, s.Key, s.URL, s.Route, tt.fetch)
		}
	}
}

// TestRSSHubURLs: a url: on a configured RSSHub instance or on rsshub.app is
// recognised as a route, fetched through the first instance; its key stays
// the URL as written.
func TestRSSHubURLs(t *testing.T) {
	tests := []struct {
		rsshub, url, route, fetch string
	}{
		{"https://rsshub.app", "https://rsshub.app/qutoutiao/category/1", "/qutoutiao/category/1", "https://rsshub.app/qutoutiao/category/1"},
		{"[https://hub.example.com, https://rsshub.app]", "https://rsshub.app/36kr/news?limit=10&mode=fulltext", "/36kr/news?limit=10&mode=fulltext", "https://hub.example.com/36kr/news?limit=10&mode=fulltext"},
		{"[https://one.example, https://two.example/hub]", "http://two.example/hub/zhihu/hot", "/zhihu/hot", "https://one.example/zhihu/hot"},
		// no rsshub: configured: a rsshub.app URL is still a route, fetched where it points
		{"~", "https://rsshub.app/qutoutiao/category/1", "/qutoutiao/category/1", "https://rsshub.app/qutoutiao/category/1"},
		// not an instance: a plain URL
		{"https://hub.example.com", "https://example.com/qutoutiao/category/1", "", "https://example.com/qutoutiao/category/1"},
		{"https://hub.example.com", "https://hub.example.com/", "", "https://hub.example.com/"},
	}
	for _, tt := range tests {
		c := mustParse(t, "rsshub: "+tt.rsshub+"\nsources: [{url: '"+tt.url+"', category: auto}]")
		s := c.Sources[0]
		if s.Route != tt.route || s.FetchURL != tt.fetch || s.Key != tt.url || s.URL != tt.url || s.IsRoute() != (tt.route != "") || !s.CategoryAuto {
			t.Errorf("rsshub %s url %s: Route %q FetchURL %q Key %q URL %q; want Route %q FetchURL %q", tt.rsshub, tt.url, s.Route, s.FetchURL, s.Key, s.URL, tt.route, tt.fetch)
		}
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		rsshub, route, wantRoute, wantFetch string
		wantInstances                       []string
	}{
		{"https://rsshub.app", "/a/b", "/a/b", "https://rsshub.app/a/b", []string{"https://rsshub.app"}},
		{"https://rsshub.app/", "a/b", "/a/b", "https://rsshub.app/a/b", []string{"https://rsshub.app"}},
		{"[https://one.example/, https://two.example]", "/x", "/x", "https://one.example/x", []string{"https://one.example", "https://two.example"}},
		{"['https://only.example']", "/x", "/x", "https://only.example/x", []string{"https://only.example"}},
	}
	for _, tt := range tests {
		c := mustParse(t, "rsshub: "+tt.rsshub+"\nsources: [{route: '"+tt.route+"'}]")
		s := c.Sources[0]
		if s.Route != tt.wantRoute || s.FetchURL != tt.wantFetch || s.Key != tt.route || !reflect.DeepEqual(c.RSSHub, tt.wantInstances) {
			t.Errorf("rsshub %s route %s: Route %q FetchURL %q Key %q RSSHub %q", tt.rsshub, tt.route, s.Route, s.FetchURL, s.Key, c.RSSHub)
		}
	}
	for _, empty := range []string{"[]", `""`, "~"} {
		if c := mustParse(t, "rsshub: "+empty+"\nsources: [{url: f.xml}]"); c.RSSHub != nil {
			t.Errorf("rsshub: %s gave %q", empty, c.RSSHub)
		}
	}
}

func TestCategory(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
		auto bool
	}{
		{"", nil, false},
		{"category: 科技", []string{"科技"}, false},
		{"category: [新媒体, 趣头条, 分类]", []string{"新媒体", "趣头条", "分类"}, false},
		{"category: ['  padded  ', 2021]", []string{"padded", "2021"}, false},
		{"category: auto", nil, true},
		{"category: [auto]", []string{"auto"}, false}, // only the bare string means auto
	}
	for _, tt := range tests {
		c := mustParse(t, "sources:\n  - url: f.xml\n    "+tt.yaml+"\n")
		s := c.Sources[0]
		if !reflect.DeepEqual(s.Category, tt.want) || s.CategoryAuto != tt.auto {
			t.Errorf("%q: Category %q auto %v, want %q auto %v", tt.yaml, s.Category, s.CategoryAuto, tt.want, tt.auto)
		}
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		yaml                            string
		title, content, author, categor string // a string the regexp must match; "" = nil
	}{
		{`include: "(?i)linux"`, "LINUX news", "", "", ""},
		{`include: ""`, "", "", "", ""}, // an empty pattern is unset, not match-all
		{`include: {title: a+, content: b+, author: c+, category: d+}`, "aa", "bb", "cc", "dd"},
		{`include: {content: 广告}`, "", "有广告", "", ""},
		{`include: {}`, "", "", "", ""},
	}
	for _, tt := range tests {
		for _, which := range []string{"include", "exclude"} {
			src := "sources:\n  - url: f.xml\n    " + strings.Replace(tt.yaml, "include", which, 1) + "\n"
			s := mustParse(t, src).Sources[0]
			f, other := s.Include, s.Exclude
			if which == "exclude" {
				f, other = other, f
			}
			if !other.Empty() {
				t.Errorf("%s: the other filter is not empty", src)
			}
			for _, part := range []struct {
				name, match string
				re          interface{ MatchString(string) bool }
				isNil       bool
			}{
				{"title", tt.title, f.Title, f.Title == nil},
				{"content", tt.content, f.Content, f.Content == nil},
				{"author", tt.author, f.Author, f.Author == nil},
				{"category", tt.categor, f.Category, f.Category == nil},
			} {
				if part.match == "" {
					if !part.isNil {
						t.Errorf("%s: %s should be nil", src, part.name)
					}
					continue
				}
				if part.isNil || !part.re.MatchString(part.match) {
					t.Errorf("%s: %s does not match %q", src, part.name, part.match)
				}
			}
		}
	}
}

func TestMergeKeys(t *testing.T) {
	src := `
x-common: &common {limit: 3, interval: 1h}
sources:
  - <<: *common
    url: a.xml
    limit: 9
`
	// x-common is not a known key: anchors must live inside known keys.
	if _, err := Parse([]byte(src), cfgPath); err == nil {
		t.Fatal("unknown top-level key accepted")
	}
	src = `
defaults: &d {limit: 3, interval: 1h}
sources:
  - <<: *d
    url: a.xml
    limit: 9
  - <<: [*d]
    url: b.xml
`
	c := mustParse(t, src)
	if s := c.Sources[0]; s.Limit != 9 || s.Interval != time.Hour {
		t.Errorf("merged source 0: limit %d interval %v", s.Limit, s.Interval)
	}
	if s := c.Sources[1]; s.Limit != 3 {
		t.Errorf("merged source 1: limit %d", s.Limit)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		key  string
		msg  string
	}{
		{"empty file", "", 0, "sources", "required"},
		{"not a mapping", "- a\n- b\n", 1, "", "expected a mapping"},
		{"syntax", "sources: [\n", 1, "", "invalid YAML"},
		{"syntax deeper", "site:\n  title: a\n title: b\nsources: [{url: a}]\n", 2, "", "invalid YAML"},
		{"tab indent", "site:\n\ttitle: a\n", 2, "", "invalid YAML"},
		{"unknown top key", "sources: [{url: a}]\nsorces: []\n", 2, "sorces", `did you mean "sources"`},
		{"unknown nested key", "fetch:\n  concurency: 3\nsources: [{url: a}]", 2, "fetch.concurency", `did you mean "concurrency"`},
		{"unknown source key", "sources:\n  - url: a\n  - url: b\n    limt: 3\n", 4, "sources[1].limt", `did you mean "limit"`},
		{"unknown key far from all", "sources: [{url: a}]\nbanana: 1\n", 2, "banana", `unknown key "banana"`},
		{"unknown filter key", "sources:\n  - url: a\n    include: {body: x}\n", 3, "sources[0].include.body", "unknown key"},
		{"repeated key", "site:\n  title: a\n  title: b\nsources: [{url: a}]", 3, "site.title", "repeated"},
		{"missing sources", "site: {title: x}\n", 0, "sources", "required"},
		{"null sources", "sources:\n", 0, "sources", "required"},
		{"empty sources", "sources: []\n", 1, "sources", "empty"},
		{"sources not a list", "sources: {url: a}\n", 1, "sources", "expected a list"},
		{"source not a mapping", "sources:\n  - https://a.example/feed\n", 2, "sources[0]", "expected a mapping"},
		{"source neither", "sources:\n  - url: a\n  - name: x\n", 3, "sources[1]", "needs a url: or a route:"},
		{"source both", "rsshub: https://r.example\nsources:\n  - url: a\n    route: /b\n", 3, "sources[0]", "both url: and route:"},
		{"route without rsshub", "sources:\n  - route: /a/b\n", 2, "sources[0].route", "source /a/b: route needs `rsshub:`"},
		{"route with a URL", "rsshub: https://r.example\nsources:\n  - route: https://r.example/a\n", 3, "sources[0].route", "a route is a path"},
		{"duplicate source key", "sources:\n  - url: a.xml\n  - url: b.xml\n    name: a.xml\n", 3, "sources[1]", "line 2"},
		{"duplicate url", "sources:\n  - url: https://x.example/f\n\n  - url: https://x.example/f\n", 4, "sources[1]", "same key"},
		{"limit not int", "sources:\n  - url: a\n    limit: abc\n", 3, "sources[0].limit", `expected an integer, got "abc"`},
		{"limit float", "sources:\n  - url: a\n    limit: 1.5\n", 3, "sources[0].limit", "expected an integer"},
		{"limit quoted", "sources:\n  - url: a\n    limit: '3'\n", 3, "sources[0].limit", "expected an integer"},
		{"limit zero", "sources:\n  - url: a\n    limit: 0\n", 3, "sources[0].limit", "at least 1"},
		{"defaults.limit zero", "defaults: {limit: 0}\nsources: [{url: a}]", 1, "defaults.limit", "at least 1"},
		{"concurrency zero", "fetch:\n  concurrency: 0\nsources: [{url: a}]", 2, "fetch.concurrency", "at least 1"},
		{"per_host zero", "fetch:\n  per_host: 0\nsources: [{url: a}]", 2, "fetch.per_host", "at least 1"},
		{"retries negative", "fetch:\n  retries: -1\nsources: [{url: a}]", 2, "fetch.retries", "at least 0"},
		{"per_page zero", "site:\n  per_page: 0\nsources: [{url: a}]", 2, "site.per_page", "at least 1"},
		{"keep negative", "keep:\n  max_posts: -5\nsources: [{url: a}]", 2, "keep.max_posts", "at least 0"},
		{"int given a list", "fetch:\n  retries: [1]\nsources: [{url: a}]", 2, "fetch.retries", "expected an integer, got a list"},
		{"string given a mapping", "site:\n  title: {a: b}\nsources: [{url: a}]", 2, "site.title", "expected a string, got a mapping"},
		{"block given a string", "fetch: fast\nsources: [{url: a}]", 1, "fetch", "expected a mapping"},
		{"bool not bool", "sources:\n  - url: a\n    enabled: yes\n", 3, "sources[0].enabled", "expected true or false"},
		{"bad duration", "fetch:\n  timeout: 30 seconds\nsources: [{url: a}]", 2, "fetch.timeout", `got "30 seconds"`},
		{"duration without unit", "defaults:\n  interval: 30\nsources: [{url: a}]", 2, "defaults.interval", "expected a duration"},
		{"zero interval", "sources:\n  - url: a\n    interval: 0s\n", 3, "sources[0].interval", "more than 0"},
		{"negative max_age", "keep:\n  max_age: -1h\nsources: [{url: a}]", 2, "keep.max_age", "negative"},
		{"bad days", "sources:\n  - url: a\n    max_age: 3dd\n", 3, "sources[0].max_age", "expected a duration"},
		{"bad size", "fetch:\n  max_bytes: 20XB\nsources: [{url: a}]", 2, "fetch.max_bytes", `got "20XB"`},
		{"zero size", "images:\n  cache_size: 0\nsources: [{url: a}]", 2, "images.cache_size", "more than 0"},
		{"negative size", "images:\n  cache_size: -5MB\nsources: [{url: a}]", 2, "images.cache_size", "expected a size"},
		{"bad regexp", "sources:\n  - url: a\n    include: '(a'\n", 3, "sources[0].include", "invalid regexp"},
		{"bad regexp in mapping", "sources:\n  - url: a\n    exclude:\n      author: '[z-a]'\n", 4, "sources[0].exclude.author", "invalid regexp"},
		{"unknown timezone", "site:\n  timezone: Mars/Olympus\nsources: [{url: a}]", 2, "site.timezone", "unknown time zone"},
		{"unknown source timezone", "sources:\n  - url: a\n    timezone: Beijing\n", 3, "sources[0].timezone", `unknown time zone "Beijing"`},
		{"proxy_scope", "images:\n  proxy_scope: https\nsources: [{url: a}]", 2, "images.proxy_scope", "http, all, none"},
		{"dedupe", "dedupe: guid\nsources: [{url: a}]", 1, "dedupe", "link, title, off"},
		{"site.url relative", "site:\n  url: news.example.com\nsources: [{url: a}]", 2, "site.url", "absolute http(s)"},
		{"site.url ftp", "site:\n  url: ftp://news.example.com\nsources: [{url: a}]", 2, "site.url", "absolute http(s)"},
		{"site.url no host", "site:\n  url: 'https://'\nsources: [{url: a}]", 2, "site.url", "no host"},
		{"rsshub relative", "rsshub: rsshub.app\nsources: [{url: a}]", 1, "rsshub", "absolute http(s)"},
		{"rsshub list entry", "rsshub:\n  - https://ok.example\n  - rsshub.app\nsources: [{url: a}]", 3, "rsshub[1]", "absolute http(s)"},
		{"proxy not a URL", "images:\n  proxy: cors.example/?\nsources: [{url: a}]", 2, "images.proxy", `"builtin"`},
		{"proxy_base relative", "images:\n  proxy_base: /img\nsources: [{url: a}]", 2, "images.proxy_base", "absolute http(s)"},
		{"referer not a URL", "images:\n  referers:\n    '*.a.cn': a.cn\nsources: [{url: a}]", 3, "images.referers.*.a.cn", "invalid URL"},
		{"source url bad scheme", "sources:\n  - url: ftp://x.example/f\n", 2, "sources[0].url", "unsupported URL"},
		{"source url no host", "sources:\n  - url: 'http:///f'\n", 2, "sources[0].url", "no host"},
		{"category empty string", "sources:\n  - url: a\n    category: '  '\n", 3, "sources[0].category", "non-empty"},
		{"category empty entry", "sources:\n  - url: a\n    category:\n      - x\n      - ''\n", 5, "sources[0].category[1]", "non-empty"},
		{"category null entry", "sources:\n  - url: a\n    category: [x, ~]\n", 3, "sources[0].category[1]", "non-empty"},
		{"category empty list", "sources:\n  - url: a\n    category: []\n", 3, "sources[0].category", "empty list"},
		{"category nested", "sources:\n  - url: a\n    category: [[x]]\n", 3, "sources[0].category[0]", "expected a string"},
		{"iframe host URL", "content:\n  iframe_hosts:\n    - https://x.example/\nsources: [{url: a}]", 3, "content.iframe_hosts[0]", "host name"},
		{"header name", "sources:\n  - url: a\n    headers:\n      'Bad Name': x\n", 4, "sources[0].headers.Bad Name", "invalid header name"},
		{"headers not a map", "sources:\n  - url: a\n    headers: [a]\n", 3, "sources[0].headers", "expected a mapping"},
		{"cover_keys entry", "hexo:\n  cover_keys: [a, {b: c}]\nsources: [{url: a}]", 2, "hexo.cover_keys[1]", "expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const file = "conf/my-feedpost.yaml"
			c, err := Parse([]byte(tt.src), file)
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			if c != nil {
				t.Error("a Config returned with an error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.File != file || e.Line != tt.line || e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got File %q Line %d Key %q Msg %q\nwant File %q Line %d Key %q Msg containing %q",
					e.File, e.Line, e.Key, e.Msg, file, tt.line, tt.key, tt.msg)
			}
			prefix := file + ":"
			if tt.line > 0 {
				prefix += strconv.Itoa(tt.line) + ":"
			}
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.key) {
				t.Errorf("message %q does not start with %q or lacks key %q", msg, prefix, tt.key)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "feedpost.yaml", Line: 12, Key: "sources[1].limit", Msg: `expected an integer, got "abc"`},
			`feedpost.yaml:12: sources[1].limit: expected an integer, got "abc"`},
		{Error{File: "feedpost.yaml", Key: "sources", Msg: "required"}, "feedpost.yaml: sources: required"},
		{Error{File: "f.yaml", Line: 3, Msg: "invalid YAML: x"}, "f.yaml:3: invalid YAML: x"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	allowed := []string{"url", "route", "name", "limit", "interval", "max_age", "enabled", "category"}
	tests := map[string]string{
		"URL": "url", "rout": "route", "categroy": "category", "intervall": "interval",
		"maxage": "max_age", "zzz": "", "link": "", "x": "",
	}
	for in, want := range tests {
		if got := suggest(in, allowed); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"20MB", 20 << 20, true},
		{"512KB", 512 << 10, true},
		{"1GB", 1 << 30, true},
		{"1.5MB", 1572864, true},
		{"1536", 1536, true},
		{"10 mb", 10 << 20, true},
		{"2MiB", 2 << 20, true},
		{"7B", 7, true},
		{"", 0, false},
		{"MB", 0, false},
		{"-1MB", 0, false},
		{"1.2.3MB", 0, false},
		{"5PB", 0, false},
		{"99999999999GB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"0", 0, true},
		{"d", 0, false},
		{"3dd", 0, false},
		{"1d-2h", 0, false},
		{"30", 0, false},
		{"999999d", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpost.yaml")
	if err := os.WriteFile(path, []byte("sources:\n  - url: feed.xml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Dir != dir || c.Sources[0].FetchURL != filepath.Join(dir, "feed.xml") {
		t.Errorf("Path %q Dir %q FetchURL %q", c.Path, c.Dir, c.Sources[0].FetchURL)
	}

	missing := filepath.Join(dir, "nope.yaml")
	_, err = Load(missing)
	var e *Error
	if !errors.As(err, &e) || e.File != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A relative config path is resolved against the working directory.
func TestParseRelativePath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("sources: [{url: f.xml}]"), "sub/feedpost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != filepath.Join(wd, "sub") || c.Sources[0].FetchURL != filepath.Join(wd, "sub", "f.xml") {
		t.Errorf("Dir %q FetchURL %q", c.Dir, c.Sources[0].FetchURL)
	}
}

func TestSample(t *testing.T) {
	path, err := filepath.Abs("../../testdata/sample/feedpost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if c.Images.Proxy != "https://cors.zfour.workers.dev/?" || c.Images.ProxyScope != "http" || !c.Images.NoReferrer {
		t.Errorf("images: %+v", c.Images)
	}
	if c.Hexo.Dir != filepath.Join(dir, "out/source/_posts") || !reflect.DeepEqual(c.Hexo.CoverKeys, []string{"headimg", "thumbnail"}) ||
		c.Hexo.Comments || !c.Hexo.EscapeBraces {
		t.Errorf("hexo: %+v", c.Hexo)
	}
	if len(c.Sources) != 1 {
		t.Fatalf("%d sources", len(c.Sources))
	}
	s := c.Sources[0]
	if s.Key != "qutoutiao-category-1.xml" || s.FetchURL != filepath.Join(dir, "qutoutiao-category-1.xml") ||
		!reflect.DeepEqual(s.Category, []string{"新媒体", "趣头条", "分类"}) || s.Limit != 30 || !s.Enabled {
		t.Errorf("source: %+v", s)
	}
	if c.Site.Location != time.UTC {
		t.Errorf("timezone: %v", c.Site.Location)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"sources:\n  - url: feed.xml\n",
		"rsshub: [https://r.example]\nsources:\n  - route: /a\n    include: {title: x}\n    category: auto\n",
		"defaults: &d {limit: 3}\nsources:\n  - <<: [*d, *d]\n    url: a\n",
		"a: &a {<<: *a}\n",
		"site: &s {<<: *s, title: x}\nsources: [{url: a}]",
		"fetch: {max_bytes: 1.5MB, timeout: 1d}\nsources: [{url: a}]",
		"sources: [",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, cfgPath)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		if len(c.Sources) == 0 || c.Site.Location == nil {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}

func TestServeBlockAndAllowPrivate(t *testing.T) {
	c := mustParse(t, `serve:
  read_header_timeout: 5s
  read_timeout: 20s
  write_timeout: 2m
  idle_timeout: 30s
  max_header_bytes: 16KB
  max_conns: 200
  max_conns_per_ip: 0
sources:
  - url: http://10.0.0.5/feed
    fulltext: true
    allow_private: true
  - url: https://example.com/feed
`)
	want := Serve{5 * time.Second, 20 * time.Second, 2 * time.Minute, 30 * time.Second, 16 << 10, 200, 0}
	if c.Serve != want {
		t.Errorf("serve = %+v, want %+v", c.Serve, want)
	}
	if !c.Sources[0].AllowPrivate || c.Sources[1].AllowPrivate {
		t.Errorf("allow_private: %v, %v; want true, false", c.Sources[0].AllowPrivate, c.Sources[1].AllowPrivate)
	}
	for _, tc := range []struct{ src, key string }{
		{"serve: {max_conns: 0}\nsources: [{url: a}]", "serve.max_conns"},
		{"serve: {idle_timeout: 0s}\nsources: [{url: a}]", "serve.idle_timeout"},
		{"serve: {max_conns_per_ip: -1}\nsources: [{url: a}]", "serve.max_conns_per_ip"},
		{"serve: {write_timout: 1s}\nsources: [{url: a}]", "write_timeout"},
	} {
		if _, err := Parse([]byte(tc.src), "/srv/feedpost.yaml"); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: %v, want an error naming %s", tc.src, err, tc.key)
		}
	}
}

// store: takes a SQLite path (resolved against the config folder) or a
// PostgreSQL URL (kept as written); $FEEDPOST_STORE overrides it; the
// retired `database:` key says where its value goes now.
func TestStoreTargets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpost.yaml")
	load := func(yml string) (*Config, error) {
		return Parse([]byte(yml+"sources: [{url: 'https://example.com/feed'}]\n"), path)
	}
	for _, tc := range []struct{ yml, want string }{
		{"", filepath.Join(dir, "feedpost.db")},
		{"store: state/x.db\n", filepath.Join(dir, "state", "x.db")},
		{"store: postgres://fp:pw@db.example.com:5432/news?sslmode=require\n", "postgres://fp:pw@db.example.com:5432/news?sslmode=require"},
		{"store: postgresql://fp@db/news\n", "postgresql://fp@db/news"},
	} {
		c, err := load(tc.yml)
		if err != nil || c.Store != tc.want {
			t.Errorf("%q: store %q, %v; want %q", tc.yml, c.Store, err, tc.want)
		}
	}
	for _, tc := range []struct{ yml, want string }{
		{"store: mysql://u:secretpw@h/db\n", "expected a file path or a postgres:// URL"},
		{"database: postgres://u:secretpw@h/db\n", "put the PostgreSQL URL in `store:`"},
	} {
		_, err := load(tc.yml)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%q: %v; want an error saying %q, without the password", tc.yml, err, tc.want)
		}
	}
	t.Setenv(EnvStore, "postgres://env@db/news")
	if c, err := load("store: local.db\n"); err != nil || c.Store != "postgres://env@db/news" {
		t.Errorf("$%s: store %q, %v", EnvStore, c.Store, err)
	}
}
