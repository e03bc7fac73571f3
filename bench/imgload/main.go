// Command imgload measures the image proxy of `feedpost serve` on cache
// hits: it signs one image URL with the proxy's secret, asks for it once
// (a miss, which fills the cache), then keeps -c keep-alive connections busy
// asking for it again for -d, and prints requests/s and latency percentiles.
//
//	go run ./bench/imgload -proxy http://127.0.0.1:8080 -secret s3cret \
//	    -image http://127.0.0.1:8081/img/a.jpg -c 64 -d 10s
//
// It only talks to loopback addresses and stops by itself after -d (and at
// most -n requests).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedpost/feedpost/internal/mediaproxy"
)

func main() {
	proxy := flag.String("proxy", "", "base URL of feedpost serve (loopback)")
	secret := flag.String("secret", "", "the proxy's signing secret (config `secret:`)")
	image := flag.String("image", "", "upstream image URL (loopback)")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	maxReq := flag.Int64("n", 5_000_000, "stop after this many requests")
	printURL := flag.Bool("print-url", false, "print the signed proxy URL and exit (for wrk)")
	flag.Parse()
	for _, u := range []string{*proxy, *image} {
		if err := loopback(u); err != nil {
			log.Fatalf("imgload: %v", err)
		}
	}
	if *secret == "" {
		log.Fatal("imgload: -secret is required")
	}
	target := *proxy + mediaproxy.URL("", []byte(*secret), *image)
	if *printURL {
		fmt.Println(target)
		return
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true},
	}
	if _, err := get(client, target); err != nil { // the miss that fills the cache
		log.Fatalf("imgload: priming request: %v", err)
	}

	var count atomic.Int64
	var failed atomic.Int64
	lat := make([][]time.Duration, *conns)
	deadline := time.Now().Add(*dur)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range *conns {
		wg.Go(func() {
			for time.Now().Before(deadline) && count.Add(1) <= *maxReq {
				t := time.Now()
				if _, err := get(client, target); err != nil {
					if failed.Add(1) == 1 {
						log.Printf("imgload: %v", err)
					}
					continue
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		log.Fatal("imgload: no request succeeded")
	}
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(float64(len(all))*p))].Microseconds()) / 1000
	}
	fmt.Printf("requests=%d failed=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		len(all), failed.Load(), elapsed.Seconds(), float64(len(all))/elapsed.Seconds(), pct(0.50), pct(0.99), pct(1))
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func get(c *http.Client, u string) (int64, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return n, nil
}

// loopback refuses any target that is not on this machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil && u.Hostname() == "localhost" {
		return nil
	}
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address: this load generator only targets this machine", u.Host)
	}
	return nil
}
