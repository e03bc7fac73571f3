package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/mediaproxy"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveProject writes a project folder with one local feed, the builtin
// image proxy (allowed to reach loopback) and extra config, and returns the
// config's path.
func serveProject(t *testing.T, dir, extra string) string {
	t.Helper()
	feed := filepath.Join(dir, "feed.xml")
	os.WriteFile(feed, []byte(`<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>一</title><description>x</description></item></channel></rss>`), 0o644)
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte("site: {dir: public}\nhexo: {dir: ''}\nsecret: test-secret\nimages: {proxy: builtin, allow_private: true}\n"+extra+"sources:\n  - url: feed.xml\n"), 0o644)
	return cfg
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy waits for /healthz of a serve process.
func waitHealthy(t *testing.T, cmd *exec.Cmd, addr string, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("serve never answered /healthz: %v\n%s", err, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exitCode waits for cmd (at most limit) and returns its exit code.
func exitCode(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		cmd.Process.Kill()
		t.Fatalf("the process did not exit within %v", limit)
	}
	return -1
}

// TestServeExits runs the real binary through the ways `feedpost serve`
// ends: SIGTERM when idle is a clean stop (0); SIGTERM with a request that
// outlives --grace cuts it and exits 143 saying so; a busy port or an
// invalid --addr exits 2 with a message. Start and stop are logged with the
// address, the role and the store.
func TestServeExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildFeedpost(t, dir)

	t.Run("SIGTERM idle", func(t *testing.T) {
		pdir := t.TempDir()
		cfg := serveProject(t, pdir, "")
		addr := freeAddr(t)
		var stderr syncBuffer
		cmd := exec.Command(bin, "serve", "-c", cfg, "--addr", addr)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, cmd, addr, &stderr)
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd, 20*time.Second); code != 0 {
			t.Errorf("exit %d after SIGTERM, want 0\n%s", code, stderr.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		log := stderr.String()
		store := filepath.Join(pdir, "feedpost.db")
		for _, want := range []string{"msg=serving addr=" + addr + " role=all store=" + store, "msg=stopping signal=terminated",
			"msg=stopped addr=" + addr + " role=all store=" + store} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
	})

	t.Run("SIGTERM with a stuck request", func(t *testing.T) {
		release := make(chan struct{})
		var once sync.Once
		var hits atomic.Int32
		stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer stuck.Close()
		defer once.Do(func() { close(release) })
		cfg := serveProject(t, t.TempDir(), "")
		addr := freeAddr(t)
		var stderr syncBuffer
		cmd := exec.Command(bin, "serve", "-c", cfg, "--addr", addr, "--grace", "1s")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, cmd, addr, &stderr)
		// An image whose upstream never answers: the proxy waits up to its
		// 15s fetch timeout, longer than the grace.
		reqErr := make(chan error, 1)
		go func() {
			resp, err := http.Get("http://" + addr + mediaproxy.URL("", []byte("test-secret"), stuck.URL+"/a.png"))
			if err == nil {
				resp.Body.Close()
			}
			reqErr <- err
		}()
		// Wait until the proxy's upstream request has arrived.
		deadline := time.Now().Add(20 * time.Second)
		for hits.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the stuck request never reached the upstream")
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		code := exitCode(t, cmd, 30*time.Second)
		took := time.Since(start)
		if code != 143 {
			t.Errorf("exit %d, want 143\n%s", code, stderr.String())
		}
		want := "feedpost: stopped by SIGTERM: 1 request was still running after the 1s grace period and cut"
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
		if took < time.Second {
			t.Errorf("exited %v after SIGTERM, before the 1s grace ended", took)
		}
		t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
		if err := <-reqErr; err == nil {
			t.Error("the stuck request got an answer; it should have been cut")
		}
	})

	t.Run("busy port and bad address", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		cfg := serveProject(t, t.TempDir(), "")
		for _, tc := range []struct{ addr, want string }{
			{busy.Addr().String(), "feedpost: cannot listen on " + busy.Addr().String() + ": listen tcp " + busy.Addr().String() + ": bind: address already in use"},
			{"127.0.0.1:99999", "feedpost: cannot listen on 127.0.0.1:99999"},
			{"not an address", "feedpost: cannot listen on not an address"},
		} {
			var stderr syncBuffer
			cmd := exec.Command(bin, "serve", "-c", cfg, "--addr", tc.addr)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, cmd, 30*time.Second); code != 2 {
				t.Errorf("--addr %q: exit %d, want 2\n%s", tc.addr, code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("--addr %q: stderr lacks %q:\n%s", tc.addr, tc.want, stderr.String())
			}
		}
		var stderr syncBuffer
		cmd := exec.Command(bin, "serve", "-c", cfg, "--grace", "0s")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd, 30*time.Second); code != 2 || !strings.Contains(stderr.String(), "--grace must be more than 0") {
			t.Errorf("--grace 0s: exit %d: %s", code, stderr.String())
		}
	})
}
