package rsshub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/feedpost/feedpost/internal/fetch"
)

func TestRouteURL(t *testing.T) {
	tests := []struct {
		instance, route, key string
		params               url.Values
		want                 string
	}{
		{"https://rsshub.app", "/qutoutiao/category/1", "", nil, "https://rsshub.app/qutoutiao/category/1"},
		{"https://rsshub.app/", "qutoutiao/category/1", "", nil, "https://rsshub.app/qutoutiao/category/1"},
		{"https://example.com/rsshub/", "/a/b", "", nil, "https://example.com/rsshub/a/b"},
		{"https://rsshub.app", "/a", "s3cr&t", nil, "https://rsshub.app/a?key=s3cr%26t"},
		// route parameters are kept exactly as written, the key comes last
		{"https://rsshub.app", "/36kr/newsflashes?limit=10&mode=fulltext", "k", nil, "https://rsshub.app/36kr/newsflashes?limit=10&mode=fulltext&key=k"},
		{"https://rsshub.app", "/a?filter=%E4%B8%AD|b", "", nil, "https://rsshub.app/a?filter=%E4%B8%AD|b"},
		// the configured key replaces one in the route; with no key it stays
		{"https://rsshub.app", "/a?key=old&limit=5", "new", nil, "https://rsshub.app/a?limit=5&key=new"},
		{"https://rsshub.app", "/a?key=old", "", nil, "https://rsshub.app/a?key=old"},
		// params are added unless the route sets them
		{"https://rsshub.app", "/a?limit=5", "", url.Values{"limit": {"30"}, "mode": {"fulltext"}}, "https://rsshub.app/a?limit=5&mode=fulltext"},
		{"https://rsshub.app", "/a", "k", url.Values{"limit": {"30"}, "key": {"ignored"}}, "https://rsshub.app/a?limit=30&key=k"},
	}
	for _, tt := range tests {
		if got := RouteURL(tt.instance, tt.route, tt.key, tt.params); got != tt.want {
			t.Errorf("RouteURL(%q, %q, %q, %v) = %q, want %q", tt.instance, tt.route, tt.key, tt.params, got, tt.want)
		}
	}
}

func TestRouteOf(t *testing.T) {
	instances := []string{"https://hub.example.com", "http://box.lan:1200/rsshub/"}
	tests := []struct {
		url, route string
		ok         bool
	}{
		{"https://rsshub.app/qutoutiao/category/1", "/qutoutiao/category/1", true},
		{"http://rsshub.app/qutoutiao/category/1", "/qutoutiao/category/1", true},
		{"https://RSSHub.app:443/36kr/newsflashes?limit=10&mode=fulltext", "/36kr/newsflashes?limit=10&mode=fulltext", true},
		{"https://hub.example.com/github/repos/DIYgod", "/github/repos/DIYgod", true},
		{"http://box.lan:1200/rsshub/zhihu/hot", "/zhihu/hot", true},
		{"https://rsshub.app/rsshub/transform/html/https%3A%2F%2Fexample.com%2F/item=a", "/rsshub/transform/html/https%3A%2F%2Fexample.com%2F/item=a", true},
		{"http://box.lan:1200/other/zhihu/hot", "", false},  // outside the instance's path
		{"http://box.lan:8080/rsshub/zhihu/hot", "", false}, // another port
		{"https://rsshub.app/", "", false},
		{"https://rsshub.app", "", false},
		{"https://www.cnbeta.com/backend.php", "", false},
		{"https://rsshub.app.evil.com/a", "", false},
		{"file:///rsshub.app/a", "", false},
		{"feeds/a.xml", "", false},
	}
	for _, tt := range tests {
		route, ok := RouteOf(tt.url, instances)
		if route != tt.route || ok != tt.ok {
			t.Errorf("RouteOf(%q) = %q, %v; want %q, %v", tt.url, route, ok, tt.route, tt.ok)
		}
	}
	if _, ok := RouteOf("https://hub.example.com/a", nil); ok {
		t.Error("an instance that is not configured was recognised")
	}
}

func TestInstanceOf(t *testing.T) {
	instances := []string{"https://a.example", "https://b.example/hub/"}
	tests := map[string]string{
		"https://a.example/x/y?key=k":  "https://a.example",
		"http://a.example/x":           "https://a.example",
		"https://b.example/hub/x":      "https://b.example/hub/",
		"https://b.example/other/x":    "",
		"https://c.example/x":          "",
		"":                             "",
		"/srv/feeds/qutoutiao-cat.xml": "",
	}
	for u, want := range tests {
		if got := InstanceOf(u, instances); got != want {
			t.Errorf("InstanceOf(%q) = %q, want %q", u, got, want)
		}
	}
	if got := Instances(nil, "https://rsshub.app/a"); !reflect.DeepEqual(got, []string{PublicInstance}) {
		t.Errorf("Instances(nil, rsshub.app URL) = %q", got)
	}
	if got := Instances([]string{"https://x"}, "https://rsshub.app/a"); !reflect.DeepEqual(got, []string{"https://x"}) {
		t.Errorf("Instances(configured) = %q", got)
	}
	if got := Instances(nil, "https://example.com/a"); got != nil {
		t.Errorf("Instances(nil, other URL) = %q", got)
	}
}

// hub is a fake RSSHub instance: it answers with status (200 serves a tiny
// feed), records the requests it got and checks the access key.
type hub struct {
	*httptest.Server
	status int
	key    string // required ?key= (empty: none)
	body   string

	mu   sync.Mutex
	reqs []*http.Request
}

func newHub(t *testing.T, status int) *hub {
	h := &hub{status: status, body: `<rss version="2.0"><channel><title>t</title></channel></rss>`}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.reqs = append(h.reqs, r.Clone(context.Background()))
		status, key, body := h.status, h.key, h.body
		h.mu.Unlock()
		if key != "" && r.URL.Query().Get("key") != key {
			http.Error(w, "Authentication failed. Access denied.", http.StatusForbidden)
			return
		}
		if status != http.StatusOK {
			http.Error(w, "Looks like something went wrong", status)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("ETag", `"v2"`)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(h.Close)
	return h
}

// set changes the hub's behaviour between requests.
func (h *hub) set(f func(h *hub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

func (h *hub) requests() []*http.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*http.Request(nil), h.reqs...)
}

func client() *fetch.Client { return fetch.New(fetch.Options{Retries: 0}) }

func TestGetFallsOverOn503(t *testing.T) {
	down, up := newHub(t, http.StatusServiceUnavailable), newHub(t, http.StatusOK)
	resp, inst, err := Get(context.Background(), client(), []string{down.URL, up.URL}, "/qutoutiao/category/1?limit=10", "", fetch.Request{}, "")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if inst != up.URL || resp.StatusCode != http.StatusOK || !strings.Contains(string(resp.Body), "<rss") {
		t.Errorf("instance %q status %d, want %q 200", inst, resp.StatusCode, up.URL)
	}
	if n := len(down.requests()); n != 1 {
		t.Errorf("first instance got %d requests, want 1", n)
	}
	got := up.requests()
	if len(got) != 1 || got[0].URL.RequestURI() != "/qutoutiao/category/1?limit=10" {
		t.Errorf("second instance got %v", got)
	}
}

func TestGetFallsOver(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway} {
		first, second := newHub(t, status), newHub(t, http.StatusOK)
		_, inst, err := Get(context.Background(), client(), []string{first.URL, second.URL}, "/a", "", fetch.Request{}, "")
		if err != nil || inst != second.URL {
			t.Errorf("first answers %d: instance %q err %v, want the second", status, inst, err)
		}
	}
	// A refused connection (the instance is gone) falls over too.
	gone := newHub(t, http.StatusOK)
	gone.Close()
	up := newHub(t, http.StatusOK)
	if _, inst, err := Get(context.Background(), client(), []string{gone.URL, up.URL}, "/a", "", fetch.Request{}, ""); err != nil || inst != up.URL {
		t.Errorf("closed first instance: instance %q err %v", inst, err)
	}
}

func TestGetFirstInstanceWins(t *testing.T) {
	a, b := newHub(t, http.StatusOK), newHub(t, http.StatusOK)
	_, inst, err := Get(context.Background(), client(), []string{a.URL, b.URL}, "/a", "", fetch.Request{}, "")
	if err != nil || inst != a.URL || len(b.requests()) != 0 {
		t.Errorf("instance %q err %v, second got %d requests; want the first only", inst, err, len(b.requests()))
	}
}

func TestGetAllFail(t *testing.T) {
	a, b := newHub(t, http.StatusServiceUnavailable), newHub(t, http.StatusForbidden)
	_, inst, err := Get(context.Background(), client(), []string{a.URL, b.URL}, "/a", "secret", fetch.Request{}, "")
	if err == nil || inst != "" {
		t.Fatalf("want an error, got instance %q", inst)
	}
	msg := err.Error()
	for _, want := range []string{"all 2 RSSHub instances failed", a.URL + "/a", "503 Service Unavailable", b.URL + "/a", "403 Forbidden"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("error leaks the key: %q", msg)
	}
	var rerr *Error
	var ferr *fetch.Error
	if !errors.As(err, &rerr) || len(rerr.Errs) != 2 || !errors.As(err, &ferr) || ferr.Status != http.StatusServiceUnavailable {
		t.Errorf("error %#v: want an *Error whose first cause is the 503 *fetch.Error", err)
	}

	// With one instance the error is the plain fetch error.
	_, _, err = Get(context.Background(), client(), []string{a.URL}, "/a", "", fetch.Request{}, "")
	if !errors.As(err, &ferr) || errors.As(err, &rerr) {
		t.Errorf("one instance: got %T %v, want a bare *fetch.Error", err, err)
	}
	if _, _, err := Get(context.Background(), client(), nil, "/a", "", fetch.Request{}, ""); err == nil || !strings.Contains(err.Error(), "rsshub:") {
		t.Errorf("no instance: err %v", err)
	}
}

func TestGetStops(t *testing.T) {
	// Cancelled: the next instance is not tried.
	a, b := newHub(t, http.StatusOK), newHub(t, http.StatusOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Get(ctx, client(), []string{a.URL, b.URL}, "/a", "", fetch.Request{}, ""); err == nil {
		t.Error("cancelled: want an error")
	}
	if len(b.requests()) != 0 {
		t.Error("cancelled: the second instance was tried")
	}
	// Over the size cap: another instance would serve the same feed.
	a.set(func(h *hub) { h.body = strings.Repeat("x", 4096) })
	small := fetch.New(fetch.Options{Retries: 0, MaxBytes: 1024})
	if _, _, err := Get(context.Background(), small, []string{a.URL, b.URL}, "/a", "", fetch.Request{}, ""); err == nil {
		t.Error("too large: want an error")
	}
	if len(b.requests()) != 0 {
		t.Error("too large: the second instance was tried")
	}
}

func TestGetKey(t *testing.T) {
	a := newHub(t, http.StatusOK)
	a.set(func(h *hub) { h.key = "k&1" })
	if _, _, err := Get(context.Background(), client(), []string{a.URL}, "/a?limit=3", "k&1", fetch.Request{}, ""); err != nil {
		t.Fatalf("with the key: %v", err)
	}
	q := a.requests()[0].URL.Query()
	if q.Get("key") != "k&1" || q.Get("limit") != "3" {
		t.Errorf("query %v", q)
	}
	if _, _, err := Get(context.Background(), client(), []string{a.URL}, "/a", "wrong", fetch.Request{}, ""); err == nil {
		t.Error("wrong key: want the instance's 403")
	}
}

// TestGetValidators: the ETag of one instance is only sent back to it.
func TestGetValidators(t *testing.T) {
	a, b := newHub(t, http.StatusOK), newHub(t, http.StatusOK)
	req := fetch.Request{ETag: `"v1"`, LastModified: "Tue, 17 Aug 2021 06:56:06 GMT", Headers: map[string]string{"X-Test": "1"}}

	resp, inst, err := Get(context.Background(), client(), []string{a.URL, b.URL}, "/a", "", req, b.URL+"/")
	if err != nil || inst != a.URL || resp.NotModified {
		t.Fatalf("validators of b sent to a: inst %q err %v notModified %v", inst, err, resp != nil && resp.NotModified)
	}
	r := a.requests()[0]
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" || r.Header.Get("X-Test") != "1" {
		t.Errorf("a got headers %v", r.Header)
	}

	resp, inst, err = Get(context.Background(), client(), []string{a.URL, b.URL}, "/a", "", req, a.URL)
	if err != nil || inst != a.URL || !resp.NotModified {
		t.Errorf("validators of a sent to a: inst %q err %v, want a 304", inst, err)
	}

	// a fails: b must not get a's validators.
	down := newHub(t, http.StatusServiceUnavailable)
	resp, inst, err = Get(context.Background(), client(), []string{down.URL, b.URL}, "/a", "", req, down.URL)
	if err != nil || inst != b.URL || resp.NotModified {
		t.Fatalf("fallover: inst %q err %v", inst, err)
	}
	if h := b.requests()[0].Header; h.Get("If-None-Match") != "" {
		t.Errorf("b got the first instance's ETag: %v", h)
	}
}
