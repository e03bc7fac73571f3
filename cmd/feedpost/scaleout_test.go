package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store"
	"github.com/feedpost/feedpost/internal/store/storetest"
)

// hostFeeds serves sources on three loopback addresses (127.0.0.1–3, one
// port): three hosts to fetch.per_host. Every answer takes latency. It
// counts the requests of every source and measures, per host, the most
// requests in flight at once.
type hostFeeds struct {
	port    int
	items   int
	latency time.Duration

	mu        sync.Mutex
	gen       int
	requests  map[int]int // source → requests (for the current count)
	servedGen map[int]int // source → the gen of its last full answer
	inFlight  map[string]int
	maxFlight map[string]int
	servers   []*http.Server
}

func newHostFeeds(t *testing.T, items int, latency time.Duration) *hostFeeds {
	t.Helper()
	f := &hostFeeds{items: items, latency: latency, gen: 1, requests: map[int]int{}, servedGen: map[int]int{},
		inFlight: map[string]int{}, maxFlight: map[string]int{}}
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.port = first.Addr().(*net.TCPAddr).Port
	lns := []net.Listener{first}
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, f.port))
		if err != nil {
			first.Close()
			t.Skipf("cannot listen on %s (this system routes only 127.0.0.1): %v", ip, err)
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		srv := &http.Server{Handler: f}
		f.servers = append(f.servers, srv)
		go srv.Serve(ln)
	}
	t.Cleanup(func() {
		for _, s := range f.servers {
			s.Close()
		}
	})
	return f
}

// url is source i's feed: on host i%3.
func (f *hostFeeds) url(i int) string {
	return fmt.Sprintf("http://127.0.0.%d:%d/f/%d", i%3+1, f.port, i)
}

func (f *hostFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := strings.Split(r.Host, ":")[0]
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.requests[i]++
	f.inFlight[host]++
	f.maxFlight[host] = max(f.maxFlight[host], f.inFlight[host])
	gen := f.gen
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[host]--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.latency):
	case <-r.Context().Done():
		return
	}
	etag := fmt.Sprintf(`"f%d-g%d"`, i, gen)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.mu.Lock()
	f.servedGen[i] = gen
	f.mu.Unlock()
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, `<rss version="2.0"><channel><title>源%d</title><link>https://news.example.com/%d/</link>`, i, i)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for j := range f.items {
		date := base.Add(-time.Duration(i*f.items+j) * time.Minute).Format(time.RFC1123Z)
		fmt.Fprintf(&b, `<item><guid>s%d-i%d</guid><title>源%d 第%d条（第%d版）</title><link>https://news.example.com/%d/%d</link>`+
			`<description><![CDATA[<p>第%d版正文：源%d 的第%d条。<img src="http://img.example.com/%d/%d.jpg"></p>]]></description><pubDate>%s</pubDate></item>`,
			i, j, i, j, gen, i, j, gen, i, j, i, j, date)
	}
	b.WriteString(`</channel></rss>`)
	io.WriteString(w, b.String())
}

func (f *hostFeeds) snapshot() (requests map[int]int, servedGen map[int]int, maxFlight map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clone := func(m map[int]int) map[int]int {
		out := make(map[int]int, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	mf := map[string]int{}
	for k, v := range f.maxFlight {
		mf[k] = v
	}
	return clone(f.requests), clone(f.servedGen), mf
}

// daemon is one `feedpost serve` process of the test.
type daemon struct {
	role string
	cmd  *exec.Cmd
	addr string // its HTTP address, read from its start log line
	log  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

var servingRE = regexp.MustCompile(`msg=serving addr=(\S+)`)

func startDaemon(t *testing.T, bin, cfg, pg, role string) *daemon {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", cfg, "--role", role, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "FEEDPOST_STORE="+pg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{role: role, cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.log.WriteString(line + "\n")
			d.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); close(d.done) }()
	select {
	case d.addr = <-addr:
	case <-d.done:
		t.Fatalf("serve --role %s exited at start:\n%s", role, d.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve --role %s did not start:\n%s", role, d.logs())
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
	})
	return d
}

func (d *daemon) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

func (d *daemon) get(path string) string {
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (d *daemon) alive() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// metric reads one sample of the daemon's /metrics.
func (d *daemon) metric(name string) float64 {
	for _, line := range strings.Split(d.get("/metrics"), "\n") {
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, name)), 64)
			return v
		}
	}
	return 0
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScaleOut is issue 16's acceptance test: one PostgreSQL store, three
// `serve --role fetch` and two `serve --role build` processes, 300 sources
// on three hosts with 100 ms of latency and per_host 2.
//
//   - The first cycle fetches every source exactly once, with never more
//     than 2 requests in flight to one host across all workers.
//   - In the second cycle a fetch worker is SIGKILLed while it holds leases:
//     another takes its sources once the leases expire. Then the active
//     builder is SIGKILLed while it writes: the standby takes over and
//     finishes.
//   - The final Hexo posts and site are byte-identical to what one
//     `feedpost run` on a SQLite store makes of the same feeds.
func TestScaleOut(t *testing.T) {
	pg := storetest.Postgres(t)
	start := time.Now()
	stamp := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	if testing.Short() {
		t.Skip("processes and a minute of wall time")
	}
	const sources, items = 300, 3
	feeds := newHostFeeds(t, items, 100*time.Millisecond)
	dir := t.TempDir()
	bin := buildFeedpost(t, dir)
	writeConfig := func(dir string) string {
		var b strings.Builder
		// interval 20s: the first cycle (300 × 100 ms over 6 host slots,
		// about 5 s) ends long before the second begins.
		b.WriteString("site: {dir: public, url: 'https://news.example.com', timezone: Asia/Shanghai}\nhexo: {dir: hexo/source/_posts}\n" +
			"images: {proxy: 'https://proxy.example/?'}\nfetch: {concurrency: 8, per_host: 2, timeout: 5s, retries: 0, lease: 3s}\n" +
			"defaults: {interval: 20s}\nsources:\n")
		for i := range sources {
			fmt.Fprintf(&b, "  - url: %s\n    name: src%03d\n    category: [新闻, 源%d]\n", feeds.url(i), i, i)
		}
		path := filepath.Join(dir, "feedpost.yaml")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	multi := filepath.Join(dir, "multi")
	os.MkdirAll(multi, 0o755)
	cfg := writeConfig(multi)
	ctx := context.Background()
	st, err := store.Open(ctx, pg, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	builders := []*daemon{startDaemon(t, bin, cfg, pg, "build"), startDaemon(t, bin, cfg, pg, "build")}
	active := func() *daemon {
		for _, b := range builders {
			if b.alive() && strings.Contains(b.get("/healthz"), `"builder":"active"`) {
				return b
			}
		}
		return nil
	}
	// One active builder and one standby (the second takes its place only
	// once it has tried the lock: wait for that, not just for the first).
	states := func() (active, standby int) {
		for _, b := range builders {
			h := b.get("/healthz")
			if strings.Contains(h, `"builder":"active"`) {
				active++
			} else if strings.Contains(h, `"builder":"standby"`) {
				standby++
			}
		}
		return
	}
	waitFor(t, "an active builder and a standby", 20*time.Second, func() bool { a, s := states(); return a == 1 && s == 1 })
	if a, s := states(); a != 1 || s != 1 {
		t.Errorf("%d active and %d standby builders, want 1 and 1", a, s)
	}
	fetchers := []*daemon{startDaemon(t, bin, cfg, pg, "fetch"), startDaemon(t, bin, cfg, pg, "fetch"), startDaemon(t, bin, cfg, pg, "fetch")}

	// Cycle 1: every source exactly once; per_host across workers.
	waitFor(t, "the first cycle", 60*time.Second, func() bool {
		req, _, _ := feeds.snapshot()
		return len(req) == sources
	})
	time.Sleep(500 * time.Millisecond) // a second request of any source would come now
	req, _, maxFlight := feeds.snapshot()
	for i := range sources {
		if req[i] != 1 {
			t.Errorf("source %d fetched %d times in the first cycle, want exactly once", i, req[i])
		}
	}
	for host, n := range maxFlight {
		if n > 2 {
			t.Errorf("%d requests in flight to %s at once, want at most 2 (per_host across workers)", n, host)
		}
	}
	stamp("first cycle done")
	t.Logf("first cycle: %d sources, most in flight per host %v", len(req), maxFlight)
	for i, f := range fetchers {
		if !strings.Contains(f.get("/healthz"), `"role":"fetch"`) {
			t.Errorf("fetcher %d healthz: %s", i, f.get("/healthz"))
		}
	}

	// Cycle 2: every item changes. Kill a fetch worker while it holds
	// leases, then the active builder while it writes.
	feeds.mu.Lock()
	feeds.gen = 2
	feeds.mu.Unlock()
	var victim *daemon
	waitFor(t, "a fetch worker with fetches in flight", 60*time.Second, func() bool {
		for _, f := range fetchers {
			if f.metric("feedpost_fetches_in_flight") >= 3 {
				victim = f
				return true
			}
		}
		return false
	})
	holder := fmt.Sprintf(":%d:", victim.cmd.Process.Pid)
	stamp("killing a fetch worker")
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.done
	orphans := leasedBy(t, st, holder)
	t.Logf("killed fetch worker pid %d holding %d leases", victim.cmd.Process.Pid, len(orphans))
	if len(orphans) == 0 {
		t.Error("the killed fetch worker held no lease")
	}

	// The active builder, killed while the pending posts drop.
	var maxPending int
	var killedBuilder *daemon
	waitFor(t, "the active builder writing", 90*time.Second, func() bool {
		n := pendingCount(t, st)
		if n > maxPending {
			maxPending = n
		}
		if maxPending == 0 || n == maxPending {
			return false
		}
		// Writing has begun and the build is not recorded yet: mid-build.
		bs, err1 := st.BuildState(ctx)
		gen, err2 := st.Generation(ctx)
		if err1 != nil || err2 != nil || bs.Generation == gen {
			return false
		}
		killedBuilder = active()
		return killedBuilder != nil
	})
	killedBuilder.cmd.Process.Signal(syscall.SIGKILL)
	<-killedBuilder.done
	stamp("builder killed")
	t.Logf("killed the active builder with %d of %d posts pending", pendingCount(t, st), maxPending)
	waitFor(t, "the standby to take over", 20*time.Second, func() bool {
		a := active()
		return a != nil && a != killedBuilder
	})

	// Every source fetched at gen 2, every post written, the site built.
	waitFor(t, "the second cycle to finish", 120*time.Second, func() bool {
		_, served, _ := feeds.snapshot()
		for i := range sources {
			if served[i] != 2 {
				return false
			}
		}
		if pendingCount(t, st) > 0 {
			return false
		}
		bs, err1 := st.BuildState(ctx)
		gen, err2 := st.Generation(ctx)
		return err1 == nil && err2 == nil && bs.Generation == gen
	})
	stamp("second cycle done")
	for _, key := range orphans {
		it := 0
		fmt.Sscanf(key, "src%03d", &it)
		if _, served, _ := feeds.snapshot(); served[it] != 2 {
			t.Errorf("%s, leased by the killed worker, was not fetched again", key)
		}
	}
	var expired float64
	for _, f := range fetchers {
		if f != victim {
			expired += f.metric(`feedpost_leases_total{kind="expired"}`)
		}
	}
	if expired < float64(len(orphans)) {
		t.Errorf("%v expired leases taken over, want at least the %d the killed worker held", expired, len(orphans))
	}
	for _, d := range append(fetchers, builders...) {
		if d.alive() {
			d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(30 * time.Second):
				t.Errorf("serve --role %s did not stop on SIGTERM:\n%s", d.role, d.logs())
			}
			if code := d.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("serve --role %s exited %d after SIGTERM:\n%s", d.role, code, d.logs())
			}
		}
	}

	// One process, one SQLite store, the same feeds.
	single := filepath.Join(dir, "single")
	os.MkdirAll(single, 0o755)
	scfg := writeConfig(single)
	run := exec.Command(bin, "run", "-q", "-c", scfg)
	run.Env = os.Environ()
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("single-process run: %v\n%s", err, out)
	}
	stamp("single-process run done")
	// The Hexo posts and the site's public files, without the files
	// feedpost keeps for itself (".feedpost-site.json", …).
	want, got := readTree(t, single, false, "hexo", "public"), readTree(t, multi, false, "hexo", "public")
	if len(want) < sources*items {
		t.Fatalf("the single-process run wrote %d files", len(want))
	}
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: missing from the multi-process outputs", name)
		} else if !bytes.Equal(g, data) {
			t.Errorf("%s differs from the single-process run", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: only in the multi-process outputs", name)
		}
	}
}

// leasedBy lists the sources whose lease names a holder containing part.
func leasedBy(t *testing.T, st *store.Store, part string) []string {
	t.Helper()
	srcs, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range srcs {
		holder, live, err := st.LeaseHolder(context.Background(), s.Key)
		if err == nil && live && strings.Contains(holder, part) {
			out = append(out, s.Key)
		}
	}
	return out
}

func pendingCount(t *testing.T, st *store.Store) int {
	t.Helper()
	items, err := st.PendingItems(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}
