// Command feedserver serves the generated benchmark feeds of bench/workload
// over loopback HTTP, the way a site (or an RSSHub instance) would: every
// response waits a configurable latency, carries an ETag and a
// Last-Modified, and a conditional GET that matches gets 304 Not Modified.
// It also serves one image for the image proxy benchmark.
//
//	go run ./bench/feedserver -sources 500 -items 20 -latency 5ms -addr-file /tmp/addr
//
// GET /feed/<n>.xml   source n (0-based) of -sources, -items items each
// GET /img/<any>.jpg  a 50 KB JPEG-typed body (the same for every name)
// GET /stats          "full=<n> not_modified=<n>" responses so far
//
// All feeds are generated at start (from -seed, so the same on every run and
// machine) and kept in memory: the server spends no CPU per request beyond
// writing bytes, so it takes as little as possible from the program being
// measured on the same machine. It listens on loopback only and stops on
// SIGINT/SIGTERM or after -max-time.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/bench/workload"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file once ready")
	sources := flag.Int("sources", 500, "number of feeds")
	items := flag.Int("items", 20, "items per feed")
	seed := flag.Uint64("seed", 1, "generator seed")
	gen := flag.Int("gen", 0, "generation: a different one changes every item")
	latency := flag.Duration("latency", 5*time.Millisecond, "delay before every response")
	maxTime := flag.Duration("max-time", 2*time.Hour, "stop by itself after this long")
	hosts := flag.Int("hosts", 1, "serve on this many loopback addresses (127.0.1.1, 127.0.1.2, …, one port): that many hosts to fetch.per_host; -addr is ignored when > 1")
	flag.Parse()
	if *hosts > 1 {
		*addr = "127.0.1.1:0"
	}

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("feedserver: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("feedserver: -addr must be a loopback address, got %q", *addr)
	}

	start := time.Now()
	feeds := make([][]byte, *sources)
	etags := make([]string, *sources)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < *sources; i += 2 {
				feeds[i] = workload.Feed(*seed, i, *items, *gen)
				sum := sha256.Sum256(feeds[i])
				etags[i] = `"` + hex.EncodeToString(sum[:8]) + `"`
			}
		})
	}
	wg.Wait()
	lastMod := workload.Epoch.Add(time.Duration(*gen) * time.Hour).UTC().Format(http.TimeFormat)
	image := fakeJPEG(50_000)

	var full, notModified atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feed/{name}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("name"), ".xml"))
		if err != nil || n < 0 || n >= len(feeds) {
			http.NotFound(w, r)
			return
		}
		time.Sleep(*latency)
		h := w.Header()
		h.Set("ETag", etags[n])
		h.Set("Last-Modified", lastMod)
		if match := r.Header.Get("If-None-Match"); match != "" && match == etags[n] {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		h.Set("Content-Type", "application/rss+xml; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(feeds[n])))
		w.Write(feeds[n])
	})
	mux.HandleFunc("GET /img/", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(*latency)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(image)))
		w.Write(image)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "full=%d not_modified=%d\n", full.Load(), notModified.Load())
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("feedserver: %v", err)
	}
	lns := []net.Listener{ln}
	for h := 2; h <= *hosts; h++ {
		more, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:%d", h, ln.Addr().(*net.TCPAddr).Port))
		if err != nil {
			log.Fatalf("feedserver: host %d: %v", h, err)
		}
		lns = append(lns, more)
	}
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatalf("feedserver: %v", err)
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			log.Fatalf("feedserver: %v", err)
		}
	}
	log.Printf("feedserver: %d feeds × %d items (%.1f MB) ready in %v on http://%s",
		*sources, *items, float64(totalLen(feeds))/1e6, time.Since(start).Round(time.Millisecond), ln.Addr())

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	go func() {
		<-ctx.Done()
		shut, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shut)
	}()
	for _, more := range lns[1:] {
		go srv.Serve(more)
	}
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("feedserver: %v", err)
	}
}

func totalLen(b [][]byte) int {
	n := 0
	for _, x := range b {
		n += len(x)
	}
	return n
}

// fakeJPEG returns n bytes that start like a JPEG (what an image proxy's
// type sniffing looks at) followed by filler.
func fakeJPEG(n int) []byte {
	b := make([]byte, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00})
	for i := 20; i < n-2; i++ {
		b[i] = byte(i * 131)
	}
	b[n-2], b[n-1] = 0xFF, 0xD9
	return b
}
