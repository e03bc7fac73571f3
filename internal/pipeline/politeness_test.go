package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoliteness: 40 sources on one host (as routes of one RSSHub instance
// are) with `per_host: 2` never have more than 2 requests in flight there;
// a second run where every feed answers 304 parses nothing and writes
// nothing. The client is built from the config, as the CLI builds it.
func TestPoliteness(t *testing.T) {
	var inFlight, maxInFlight, full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		etag := `"` + r.URL.Path + `"`
		if r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", etag)
		name := strings.TrimPrefix(r.URL.Path, "/route/")
		writeFeed(w, faultFeed(name, 2))
	}))
	t.Cleanup(srv.Close)

	const n = 40
	var yml strings.Builder
	yml.WriteString("hexo: {dir: posts}\nfetch: {concurrency: 8, per_host: 2, timeout: 10s}\nsources:\n")
	for i := range n {
		fmt.Fprintf(&yml, "  - url: %s/route/s%d\n    name: s%d\n", srv.URL, i, i)
	}
	e := newEnvYAML(t, yml.String())
	cfg, st := e.cfg, e.st

	run := func() *Summary {
		t.Helper()
		sum, err := New(cfg, st, Options{}).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Sources) != n {
			t.Fatalf("%d sources in the summary, want %d", len(sum.Sources), n)
		}
		return sum
	}

	sum := run()
	for _, r := range sum.Sources {
		if r.Status != StatusOK || r.New != 2 {
			t.Errorf("first run, %s: %+v", r.Name, r)
		}
	}
	if m := maxInFlight.Load(); m != 2 {
		t.Errorf("at most %d requests were in flight to the host, want exactly per_host = 2", m)
	}
	if sum.PostsWritten != 2*n {
		t.Errorf("first run wrote %d posts, want %d", sum.PostsWritten, 2*n)
	}

	sum = run()
	for _, r := range sum.Sources {
		if r.Status != StatusUnchanged || r.New+r.Updated != 0 || r.Unchanged != 2 {
			t.Errorf("second run, %s: %+v", r.Name, r)
		}
	}
	if sum.PostsWritten != 0 {
		t.Errorf("second run wrote %d posts", sum.PostsWritten)
	}
	// Every feed answered 304 the second time: nothing was sent to parse.
	if f, nm := full.Load(), notModified.Load(); f != n || nm != n {
		t.Errorf("%d full responses and %d 304s over two runs, want %d and %d", f, nm, n, n)
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("second run: %d requests in flight to the host", m)
	}
}
