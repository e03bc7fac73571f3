package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/store"
	"github.com/feedpost/feedpost/internal/store/storetest"
)

// newDaemon writes yml as a project's config and opens its store.
func newDaemon(t *testing.T, yml string) (*config.Config, *store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpost.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = storetest.Target(t, cfg.Store)
	st, err := store.Open(context.Background(), cfg.Store, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st, dir
}

// The builder runs on its own goroutine, woken by the store: with more
// fetching than the interval holds (fetch.concurrency 1, slow sources that
// are always due), the site is still built while the fetcher never rests.
// (Before, the loop rebuilt only when no fetch was running, and started new
// fetches first: the site was never built.)
func TestBuildWhileFetchingNeverRests(t *testing.T) {
	var served atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		n := served.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>慢源</title><item><guid>%s-%d</guid><title>新闻 %s %d</title>`+
			`<link>https://example.com/%s/%d</link><description>正文</description></item></channel></rss>`, r.URL.Path, n, r.URL.Path, n, r.URL.Path, n)
	}))
	defer ts.Close()
	var sources strings.Builder
	for i := range 4 {
		fmt.Fprintf(&sources, "  - url: %s/s%d\n    name: s%d\n    interval: 10ms\n", ts.URL, i, i)
	}
	cfg, st, dir := newDaemon(t, "site: {dir: public}\nhexo: {dir: posts}\nfetch: {concurrency: 1}\nsources:\n"+sources.String())
	srv, err := New(cfg, st, Options{Listener: listen(t), Tick: 10 * time.Millisecond, Debounce: 50 * time.Millisecond, MaxDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		home, _ := os.ReadFile(filepath.Join(dir, "public", "index.html"))
		if strings.Count(string(home), "新闻 /s") >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the site was never built while fetching (%d fetches served)", served.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// brokenListener fails its Accept after the server started.
type brokenListener struct{ net.Listener }

func (l brokenListener) Accept() (net.Conn, error) {
	time.Sleep(100 * time.Millisecond)
	return nil, errors.New("accept: the network is gone (test)")
}

// When the HTTP server fails, Run stops everything and returns the error,
// so a supervisor sees the daemon die. (Before, nothing cancelled the
// scheduler and Run hung for ever.)
func TestRunReturnsWhenTheServerFails(t *testing.T) {
	cfg, st, _ := newDaemon(t, "site: {dir: public}\nhexo: {dir: posts}\nsources:\n  - url: http://127.0.0.1:1/feed\n    name: s\n")
	srv, err := New(cfg, st, Options{Listener: brokenListener{listen(t)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "network is gone") {
			t.Errorf("Run = %v, want the server's error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the server failed")
	}
}

// Roles other than all need a shared (PostgreSQL) store.
func TestRolesNeedASharedStore(t *testing.T) {
	cfg, st, _ := newDaemon(t, "sources:\n  - url: http://127.0.0.1:1/feed\n")
	if st.Shared() {
		t.Skip("the store under test is shared")
	}
	for _, role := range []string{RoleFetch, RoleBuild, RoleWeb, "chef"} {
		_, err := New(cfg, st, Options{Role: role})
		var re *RoleError
		if !errors.As(err, &re) {
			t.Errorf("role %s on SQLite: %v, want a RoleError", role, err)
		}
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
