package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/schedule"
)

// runOpt runs one cycle with opt (Now and Client filled in when nil).
func (e *env) runOpt(ctx context.Context, opt Options) *Summary {
	e.t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return e.now }
	}
	if opt.Client == nil {
		opt.Client = fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, PerHost: 2, UserAgent: "test"})
	}
	sum, err := New(e.cfg, e.st, opt).Run(ctx)
	if err != nil && ctx.Err() == nil {
		e.t.Fatalf("run: %v", err)
	}
	return sum
}

func TestBackoffAfterConsecutiveFailures(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "恢复了", "<p>好了</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	fs.status = 503
	// Count every request, whatever its answer.
	var all atomic.Int32
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all.Add(1)
		fs.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	e := newEnv(t, "  - url: "+counting.URL+"\n    name: flaky\n    interval: 30m\n")
	var hits int
	count := func() int { hits = int(all.Load()); return hits }

	for i := 1; i <= schedule.BackoffAfter; i++ {
		sum := e.run()
		if r := sum.Sources[0]; r.Status != StatusFailed || !strings.Contains(r.Error, "503 Service Unavailable") {
			t.Fatalf("run %d: %+v", i, r)
		}
		st, _, _ := e.st.Source(context.Background(), "flaky")
		if st.Failures != i {
			t.Fatalf("run %d: %d failures stored", i, st.Failures)
		}
		e.now = e.now.Add(time.Minute)
	}
	before := count()
	st, _, _ := e.st.Source(context.Background(), "flaky")
	// The third failure schedules the next try one interval (±10%) later.
	if wait := st.NextFetch.Sub(st.LastFetch); wait < 27*time.Minute || wait > 33*time.Minute {
		t.Fatalf("next fetch %v after the last, want about 30m", wait)
	}

	// Backed off: skipped without a request, not counted as a failure.
	sum := e.run()
	r := sum.Sources[0]
	if r.Status != StatusSkipped || sum.Failed() {
		t.Fatalf("backed-off source: %+v (failed %v)", r, sum.Failed())
	}
	want := "backed off after 3 consecutive failures (the last: " + st.LastError + ")"
	if r.Error != want || !r.BackedOffUntil.Equal(st.NextFetch) {
		t.Errorf("error %q until %v, want %q until %v", r.Error, r.BackedOffUntil, want, st.NextFetch)
	}
	if _, off := r.BackedOffUntil.Zone(); off != 8*3600 {
		t.Errorf("next try not in site.timezone: %v", r.BackedOffUntil)
	}
	if count() != before {
		t.Fatalf("a backed-off source was fetched")
	}
	if st2, _, _ := e.st.Source(context.Background(), "flaky"); st2.Failures != 3 {
		t.Errorf("skipping changed the failure count to %d", st2.Failures)
	}

	// IgnoreBackoff (run --force) fetches it anyway.
	sum = e.runOpt(context.Background(), Options{IgnoreBackoff: true})
	if r := sum.Sources[0]; r.Status != StatusFailed || count() != before+1 {
		t.Fatalf("IgnoreBackoff: %+v, %d requests", r, hits-before)
	}
	// The fourth failure doubles the wait.
	st, _, _ = e.st.Source(context.Background(), "flaky")
	if wait := st.NextFetch.Sub(st.LastFetch); wait < 54*time.Minute || wait > 66*time.Minute {
		t.Fatalf("after 4 failures the next fetch is %v later, want about 1h", wait)
	}

	// Once NextFetch has passed, the source is tried again, and a success
	// ends the backoff.
	e.now = st.NextFetch.Add(time.Second)
	fs.mu.Lock()
	fs.status = 200
	fs.mu.Unlock()
	sum = e.run()
	if r := sum.Sources[0]; r.Status != StatusOK || r.New != 1 {
		t.Fatalf("after the backoff: %+v", r)
	}
	st, _, _ = e.st.Source(context.Background(), "flaky")
	if st.Failures != 0 || st.LastError != "" {
		t.Errorf("success did not reset the failures: %+v", st)
	}
}

func TestNextFetchIsScheduled(t *testing.T) {
	body := strings.Replace(rss(item("a", "标题", "<p>正文</p>", "Tue, 17 Aug 2021 06:56:06 GMT")),
		"<title>测试源</title>", "<title>测试源</title><ttl>60</ttl>", 1)
	fs := newFeedServer(t, body)
	e := newEnv(t, "  - url: "+fs.URL+"\n    name: s\n    interval: 30m\n")
	e.run()
	st, _, _ := e.st.Source(context.Background(), "s")
	// <ttl>60</ttl> asks for no fetch before an hour; the interval caps it.
	if st.NextFetch.Before(e.now.Add(30*time.Minute)) || st.NextFetch.After(e.now.Add(33*time.Minute)) {
		t.Errorf("next fetch %v, want 30m–33m after %v", st.NextFetch, e.now)
	}
	if storedTTL(st) != time.Hour {
		t.Errorf("feed TTL not kept for 304s: %q", st.Meta[metaTTL])
	}
	// A 304 schedules too.
	e.now = e.now.Add(time.Hour)
	if sum := e.run(); sum.Sources[0].Status != StatusUnchanged {
		t.Fatalf("second run: %+v", sum.Sources[0])
	}
	st, _, _ = e.st.Source(context.Background(), "s")
	if st.NextFetch.Before(e.now.Add(30*time.Minute)) || st.NextFetch.After(e.now.Add(33*time.Minute)) {
		t.Errorf("after a 304: next fetch %v, want 30m–33m after %v", st.NextFetch, e.now)
	}
}

// A run stopped by the user (SIGINT cancels the context) must not count as a
// failure of the sources it interrupted, or three Ctrl-Cs would back off
// every source.
func TestCanceledRunIsNotAFailure(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t, "  - url: "+srv.URL+"\n    name: slow\n")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	e.runOpt(ctx, Options{})
	st, _, _ := e.st.Source(context.Background(), "slow")
	if st.Failures != 0 || st.LastStatus == StatusFailed {
		t.Errorf("an interrupted fetch was recorded as a failure: %+v", st)
	}
}

// A backed-off source whose URL is changed in the config is fetched at the
// next run: the old URL's failures do not hold the new one back.
func TestChangedURLLiftsBackoff(t *testing.T) {
	bad := newFeedServer(t, rss(item("a", "坏", "<p>x</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	bad.status = 503
	good := newFeedServer(t, rss(item("b", "好", "<p>y</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnv(t, "  - url: "+bad.URL+"\n    name: moved\n    interval: 30m\n")
	for range schedule.BackoffAfter {
		e.run()
		e.now = e.now.Add(time.Minute)
	}
	if r := e.run().Sources[0]; r.Status != StatusSkipped {
		t.Fatalf("after %d failures: %+v, want backed off", schedule.BackoffAfter, r)
	}
	e.cfg.Sources[0].URL, e.cfg.Sources[0].FetchURL = good.URL, good.URL
	r := e.run().Sources[0]
	if r.Status != StatusOK || r.New != 1 {
		t.Fatalf("with the new URL: %+v, want fetched with 1 new post", r)
	}
	if st, _, _ := e.st.Source(context.Background(), "moved"); st.Failures != 0 {
		t.Errorf("%d failures kept after the URL changed", st.Failures)
	}
}
