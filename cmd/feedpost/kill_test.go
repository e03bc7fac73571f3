package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store"
)

// buildFeedpost compiles this command into dir and returns the binary's path.
func buildFeedpost(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	bin := filepath.Join(dir, "feedpost")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// slowFeeds serves feeds /f/0 … /f/<n-1>, each answered after delay, with
// ETags. Every item is dated and its content depends only on (feed, item,
// gen), so two runs over the same gen write byte-identical posts; changing
// gen changes every item, so each run after a change has real work to do.
type slowFeeds struct {
	*httptest.Server
	n, items int
	delay    time.Duration
	gen      atomic.Int32
	requests atomic.Int32
}

func newSlowFeeds(t *testing.T, n, items int, delay time.Duration) *slowFeeds {
	s := &slowFeeds{n: n, items: items, delay: delay}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *slowFeeds) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil || i < 0 || i >= s.n {
		http.NotFound(w, r)
		return
	}
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return
	}
	gen := s.gen.Load()
	etag := fmt.Sprintf(`"f%d-g%d"`, i, gen)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, s.feed(i, int(gen)))
}

func (s *slowFeeds) feed(i, gen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>源%d</title><link>https://news.example.com/%d/</link>`, i, i)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for j := range s.items {
		date := base.Add(-time.Duration(i*s.items+j) * time.Minute).Format(time.RFC1123Z)
		fmt.Fprintf(&b, `<item><guid>s%d-i%d</guid><title>源%d 第%d条（第%d版）</title><link>https://news.example.com/%d/%d</link>`+
			`<description><![CDATA[<p>第%d版正文：源%d 的第%d条新闻。<img src="http://img.example.com/%d/%d.jpg"></p><p>%s</p>]]></description>`+
			`<pubDate>%s</pubDate></item>`,
			i, j, i, j, gen, i, j, gen, i, j, i, j, strings.Repeat("内容充实的段落。", 20), date)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// writeCrashConfig writes a config over s's feeds into dir.
func writeCrashConfig(t *testing.T, dir string, s *slowFeeds, perHost int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "site: {timezone: Asia/Shanghai}\nhexo: {dir: hexo}\nhugo: {dir: hugo}\n"+
		"images: {proxy: 'https://proxy.example/?'}\nfetch: {concurrency: 8, per_host: %d, timeout: 20s, retries: 0}\nsources:\n", perHost)
	for i := range s.n {
		fmt.Fprintf(&b, "  - url: %s/f/%d\n    name: src%d\n    category: [新闻, 源%d]\n", s.URL, i, i, i)
	}
	path := filepath.Join(dir, "feedpost.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tempFiles lists files left by an interrupted atomic write under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if ok, _ := filepath.Match(".*.tmp-*", d.Name()); ok {
				found = append(found, p)
			}
		}
		return nil
	})
	return found
}

func checkStore(t *testing.T, dir string) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "feedpost.db"), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// runFeedpost runs the binary to completion and returns its exit code.
func runFeedpost(t *testing.T, bin, cfg string) int {
	t.Helper()
	cmd := exec.Command(bin, "run", "-q", "-c", cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Logf("feedpost exited %d: %s", ee.ExitCode(), stderr.String())
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestCrashSafety is issue 3's kill test, run against the real binary: a run
// SIGKILLed at random moments, again and again, then run once to the end,
// leaves exactly the posts of one uninterrupted run, no temp files and a
// sound store. SIGINT and SIGTERM stop a run cleanly with 130 and 143.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary many times")
	}
	bin := buildFeedpost(t, t.TempDir())
	const feeds, items = 50, 6
	srv := newSlowFeeds(t, feeds, items, 3*time.Millisecond)

	t.Run("SIGKILL", func(t *testing.T) {
		// Kills 1–4 hit runs over version 1 of every item, 5–8 version 2,
		// 9–12 the final version 3: within a version each killed run goes
		// further (finished sources answer 304), so the kills land at
		// different stages; a version change makes every item an update;
		// and the last kills leave work that only a correct resume (pending
		// items, not-modified files) can finish, since the final run sees
		// nothing new to write for the items already stored.
		const kills, perGen = 12, 4
		final := int32(kills / perGen)

		// Reference: one uninterrupted run over the final version.
		dirA := t.TempDir()
		srv.gen.Store(final)
		start := time.Now()
		if code := runFeedpost(t, bin, writeCrashConfig(t, dirA, srv, 4)); code != 0 {
			t.Fatalf("reference run: exit %d", code)
		}
		t.Logf("uninterrupted run: %v", time.Since(start))
		want := readTree(t, dirA, true, "hexo", "hugo")
		if len(want) != 2*feeds*items {
			t.Fatalf("reference run wrote %d files, want %d", len(want), 2*feeds*items)
		}

		// B: the killed runs.
		dirB := t.TempDir()
		cfgB := writeCrashConfig(t, dirB, srv, 4)
		rng := rand.New(rand.NewPCG(3, 33))
		for k := range kills {
			srv.gen.Store(int32(k/perGen + 1))
			cmd := exec.Command(bin, "run", "-q", "-c", cfgB)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			after := 5*time.Millisecond + time.Duration(rng.Int64N(int64(295*time.Millisecond)))
			time.Sleep(after)
			cmd.Process.Kill() // SIGKILL
			err := cmd.Wait()
			var ee *exec.ExitError
			killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled()
			posts, _ := filepath.Glob(filepath.Join(dirB, "hexo", "*.md"))
			t.Logf("kill %2d after %3dms: killed=%v, %d hexo files", k+1, after.Milliseconds(), killed, len(posts))
			// Whatever the moment, the store must be sound and every file
			// a whole post.
			checkStore(t, dirB)
			for _, p := range posts {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(data, []byte("---\ntitle: ")) || !bytes.HasSuffix(data, []byte("</div>\n")) {
					t.Fatalf("kill %d left a torn post %s:\n%s", k+1, p, data)
				}
			}
		}
		srv.gen.Store(final)
		if code := runFeedpost(t, bin, cfgB); code != 0 {
			t.Fatalf("final run: exit %d", code)
		}
		got := readTree(t, dirB, true, "hexo", "hugo")
		for name, data := range want {
			if g, ok := got[name]; !ok {
				t.Errorf("%s missing after the kills", name)
			} else if !bytes.Equal(g, data) {
				t.Errorf("%s differs from the uninterrupted run:\n--- want\n%s\n--- got\n%s", name, data, g)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s exists only in the interrupted runs' output", name)
			}
		}
		if tmp := tempFiles(t, dirB); len(tmp) > 0 {
			t.Errorf("temp files left behind: %v", tmp)
		}
		checkStore(t, dirB)
	})

	for _, sig := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitSIGINT}, {syscall.SIGTERM, exitSIGTERM}} {
		t.Run(sig.sig.String(), func(t *testing.T) {
			slow := newSlowFeeds(t, 50, 5, 100*time.Millisecond) // ~2.5s at per_host 2
			dir := t.TempDir()
			cmd := exec.Command(bin, "run", "-c", writeCrashConfig(t, dir, slow, 2))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// Signal once requests are going out: the handler is installed
			// and the run is mid-way.
			for slow.requests.Load() < 4 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				cmd.Process.Kill()
				t.Fatalf("feedpost did not stop after %v", sig.sig)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != sig.code {
				t.Fatalf("exit %v, want code %d; stderr:\n%s", err, sig.code, stderr.String())
			}
			if slow.requests.Load() >= 50 {
				t.Errorf("the run was not stopped early: %d requests", slow.requests.Load())
			}
			// An interrupted run still prints its summary, then says why
			// it stopped, by the signal's name.
			name := map[syscall.Signal]string{syscall.SIGINT: "stopped by SIGINT", syscall.SIGTERM: "stopped by SIGTERM"}[sig.sig]
			if out := stderr.String(); !strings.Contains(out, "SOURCE") || !strings.Contains(out, " in total, ") || !strings.Contains(out, name) {
				t.Errorf("stderr lacks the summary or %q:\n%s", name, out)
			}
			checkStore(t, dir)
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temp files left behind: %v", tmp)
			}
		})
	}
}
