// Command imgload measures the image proxy of `feedpost serve`.
//
// With -feedpost it runs the whole comparison by itself (issue 14):
//
//	go run ./bench/imgload -feedpost ./feedpost -c 64 -d 10s -runs 3
//
// It writes -images JPEG files of about -size bytes, serves them from a
// loopback upstream (in this process), starts `feedpost serve` with the
// builtin proxy and two separate processes running Go's http.FileServer on
// the same files — one bare, one behind the same http.Server timeouts as
// feedpost serve — then, with the same client:
//
//   - hits: -runs rounds, each -d of each FileServer and -d of the proxy's
//     cached hits (every image fetched once before; which goes first
//     rotates from round to round), 64 keep-alive
//     connections cycling over the images; it prints requests/s and p99 of
//     each and the ratios proxy ÷ FileServer (bare, and with the same
//     limits) and proxy ÷ the daemon's own site handler on the same files,
//     the median of the rounds' ratios, and each server process's CPU
//     time per request (from /proc), which other jobs on a shared machine
//     move much less than requests/s;
//   - misses: -runs rounds of -d in which every request names a new URL,
//     so every one is a cache miss fetched from the upstream, which answers
//     after -latency (20 ms); it prints misses/s and p99.
//
// Without -feedpost it only loads an already running proxy with cache hits
// of one image (bench/run.sh figure 5):
//
//	go run ./bench/imgload -proxy http://127.0.0.1:8080 -secret s3cret \
//	    -image http://127.0.0.1:8081/img/a.jpg -c 64 -d 10s
//
// It only talks to loopback addresses and stops by itself after -d (and at
// most -n requests) per round.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/mediaproxy"
)

func main() {
	proxy := flag.String("proxy", "", "base URL of feedpost serve (loopback)")
	secret := flag.String("secret", "", "the proxy's signing secret (config `secret:`)")
	image := flag.String("image", "", "upstream image URL (loopback)")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "how long each round runs")
	maxReq := flag.Int64("n", 5_000_000, "stop a round after this many requests")
	printURL := flag.Bool("print-url", false, "print the signed proxy URL and exit (for wrk)")
	feedpost := flag.String("feedpost", "", "feedpost binary: run the self-contained comparison (hits vs http.FileServer, misses)")
	runs := flag.Int("runs", 3, "rounds of each measurement (with -feedpost)")
	images := flag.Int("images", 16, "number of image files (with -feedpost)")
	size := flag.Int("size", 100_000, "approximate size of each image in bytes (with -feedpost)")
	latency := flag.Duration("latency", 20*time.Millisecond, "upstream latency for misses (with -feedpost)")
	mode := flag.String("mode", "hits,misses", "what to measure (with -feedpost): hits, misses or both")
	serveFiles := flag.String("serve-files", "", "internal: run http.FileServer on this folder and print its address")
	limits := flag.Bool("limits", false, "internal, with -serve-files: use the http.Server limits of feedpost serve")
	flag.Parse()

	if *serveFiles != "" {
		runFileServer(*serveFiles, *limits)
		return
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true},
	}
	if *feedpost != "" {
		compare(client, *feedpost, *conns, *dur, *maxReq, *runs, *images, *size, *latency, *mode)
		return
	}

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
	if _, err := get(client, target); err != nil { // the miss that fills the cache
		log.Fatalf("imgload: priming request: %v", err)
	}
	r := load(client, *conns, *dur, *maxReq, func(int64) string { return target })
	fmt.Println(r)
	if r.failed > 0 {
		os.Exit(1)
	}
}

// result is one round of load.
type result struct {
	clientCPU        float64 // this process's CPU µs per request (set by measured)
	requests, failed int64
	elapsed          time.Duration
	lat              []time.Duration // sorted
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return float64(r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))].Microseconds()) / 1000
}

func (r result) String() string {
	return fmt.Sprintf("requests=%d failed=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f",
		r.requests, r.failed, r.elapsed.Seconds(), r.rps(), r.pct(0.50), r.pct(0.99), r.pct(1))
}

// load keeps conns connections busy for dur (at most maxReq requests), the
// i-th request going to target(i).
func load(client *http.Client, conns int, dur time.Duration, maxReq int64, target func(i int64) string) result {
	var count, failed atomic.Int64
	lat := make([][]time.Duration, conns)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := count.Add(1)
				if i > maxReq {
					return
				}
				t := time.Now()
				if _, err := get(client, target(i)); err != nil {
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
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		log.Fatal("imgload: no request succeeded")
	}
	return result{requests: int64(len(all)), failed: failed.Load(), elapsed: time.Since(start), lat: all}
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

// compare is the self-contained comparison described in the package doc.
func compare(client *http.Client, bin string, conns int, dur time.Duration, maxReq int64, runs, nImages, size int, latency time.Duration, mode string) {
	dir, err := os.MkdirTemp("", "imgload-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		log.Fatal(err)
	}
	names := make([]string, nImages)
	var total int
	for i := range nImages {
		names[i] = fmt.Sprintf("img-%02d.jpg", i)
		b := makeJPEG(i, size)
		total += len(b)
		if err := os.WriteFile(filepath.Join(files, names[i]), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("images: %d JPEG files, %d bytes on average; %d connections, rounds of %v\n", nImages, total/nImages, conns, dur)

	// The upstream: /img/<name> at once (hits are primed from it), and
	// /miss/<n>/<name> after the latency, a new URL for every miss.
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/miss/"); ok {
			time.Sleep(latency)
			_, name, _ := strings.Cut(rest, "/")
			http.ServeFile(w, r, filepath.Join(files, filepath.Base(name)))
			return
		}
		http.ServeFile(w, r, filepath.Join(files, filepath.Base(r.URL.Path)))
	})}
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go up.Serve(upLn)
	defer up.Close()
	upstream := "http://" + upLn.Addr().String()

	fsAddr, fsPID, stopFS := startChild(exec.Command(os.Args[0], "-serve-files", files), "listening ")
	defer stopFS()
	flAddr, flPID, stopFL := startChild(exec.Command(os.Args[0], "-serve-files", files, "-limits"), "listening ")
	defer stopFL()

	const secret = "imgload-bench-secret"
	os.WriteFile(filepath.Join(dir, "feed.xml"), []byte(`<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>t</title><description>x</description></item></channel></rss>`), 0o644)
	// site.dir is the image folder too, so that the daemon's own static
	// file handler can be loaded on the same files (its build adds a few
	// pages there, which nothing here asks for).
	cfg := fmt.Sprintf("secret: %s\nsite: {dir: files}\nhexo: {dir: ''}\nimages: {proxy: builtin, allow_private: true, cache_dir: cache, cache_size: 8GB}\n"+
		"sources:\n  - url: feed.xml\n", secret)
	os.WriteFile(filepath.Join(dir, "feedpost.yaml"), []byte(cfg), 0o644)
	serveAddr, servePID, stopServe := startChild(exec.Command(bin, "serve", "-c", filepath.Join(dir, "feedpost.yaml"), "--addr", "127.0.0.1:0"), "addr=")
	defer stopServe()

	if strings.Contains(mode, "hits") {
		// Four servers of the same files: the proxy's cached hits, a bare
		// http.FileServer, http.FileServer behind the same timeouts as
		// feedpost serve (what a hardened server costs, apart from the
		// handler), and the daemon's own site handler (the same process and
		// stack as the proxy, serving the files as static files).
		servers := []struct {
			name string
			pid  int
			urls []string
		}{{"proxy hits", servePID, nil}, {"http.FileServer", fsPID, nil}, {"FileServer+limits", flPID, nil}, {"serve site files", servePID, nil}}
		for _, name := range names {
			servers[0].urls = append(servers[0].urls, "http://"+serveAddr+mediaproxy.URL("", []byte(secret), upstream+"/img/"+name))
			servers[1].urls = append(servers[1].urls, "http://"+fsAddr+"/"+name)
			servers[2].urls = append(servers[2].urls, "http://"+flAddr+"/"+name)
			servers[3].urls = append(servers[3].urls, "http://"+serveAddr+"/"+name)
		}
		for _, sv := range servers {
			for _, u := range sv.urls {
				if _, err := get(client, u); err != nil {
					log.Fatalf("imgload: priming %s: %v", u, err)
				}
			}
		}
		rps := make([][]float64, len(servers))
		p99 := make([][]float64, len(servers))
		cpu := make([][]float64, len(servers))
		var ratioBare, ratioLimits, ratioSite []float64
		for r := range runs {
			// Rotate which goes first, so that a drift in the machine's
			// load does not always favour the same one.
			var round [4]float64
			for k := range servers {
				i := (k + r) % len(servers)
				sv := servers[i]
				res, c := measured(sv.pid, func() result {
					return load(client, conns, dur, maxReq, func(n int64) string { return sv.urls[n%int64(nImages)] })
				})
				fmt.Printf("round %d: %-17s %v cpu_us_per_req=%.1f client_cpu_us_per_req=%.1f\n", r+1, sv.name, res, c, res.clientCPU)
				rps[i], p99[i], cpu[i] = append(rps[i], res.rps()), append(p99[i], res.pct(0.99)), append(cpu[i], c)
				round[i] = res.rps()
			}
			ratioBare, ratioLimits = append(ratioBare, round[0]/round[1]), append(ratioLimits, round[0]/round[2])
			ratioSite = append(ratioSite, round[0]/round[3])
		}
		fmt.Printf("hits: proxy_rps=%.0f proxy_p99_ms=%.2f proxy_cpu_us=%.1f fileserver_rps=%.0f fileserver_p99_ms=%.2f fileserver_cpu_us=%.1f "+
			"limits_rps=%.0f limits_p99_ms=%.2f limits_cpu_us=%.1f site_rps=%.0f site_p99_ms=%.2f site_cpu_us=%.1f "+
			"ratio=%.2f ratio_limits=%.2f ratio_site=%.2f (per round: %s / %s / %s)\n",
			median(rps[0]), median(p99[0]), median(cpu[0]), median(rps[1]), median(p99[1]), median(cpu[1]),
			median(rps[2]), median(p99[2]), median(cpu[2]), median(rps[3]), median(p99[3]), median(cpu[3]),
			median(ratioBare), median(ratioLimits), median(ratioSite), joinF(ratioBare), joinF(ratioLimits), joinF(ratioSite))
	}
	if strings.Contains(mode, "misses") {
		var rps, p99, cpu []float64
		var seq atomic.Int64
		for r := range runs {
			res, c := measured(servePID, func() result {
				return load(client, conns, dur, maxReq, func(int64) string {
					n := seq.Add(1)
					return "http://" + serveAddr + mediaproxy.URL("", []byte(secret), fmt.Sprintf("%s/miss/%d/%s", upstream, n, names[n%int64(nImages)]))
				})
			})
			fmt.Printf("round %d: proxy misses    %v cpu_us_per_req=%.1f\n", r+1, res, c)
			rps, p99, cpu = append(rps, res.rps()), append(p99, res.pct(0.99)), append(cpu, c)
		}
		fmt.Printf("misses: upstream_latency_ms=%d misses_per_s=%.0f p99_ms=%.2f cpu_us=%.1f (per round: %s)\n",
			latency.Milliseconds(), median(rps), median(p99), median(cpu), joinF(rps))
	}
}

// makeJPEG encodes a noisy picture (noise compresses badly, as photos do)
// of about size bytes, different for every seed.
func makeJPEG(seed, size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	w := 64
	for {
		img := image.NewRGBA(image.Rect(0, 0, w, w*3/4))
		for y := range w * 3 / 4 {
			for x := range w {
				v := uint8(rng.IntN(256))
				img.Set(x, y, color.RGBA{v, uint8(x + seed), uint8(y), 255})
			}
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		if buf.Len() >= size || w > 4096 {
			return buf.Bytes()
		}
		w = w * 5 / 4
	}
}

// runFileServer is the -serve-files child: Go's http.FileServer, bare or
// with the timeouts and header cap `feedpost serve` sets by default.
func runFileServer(dir string, limits bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	if limits {
		d := config.DefaultServe
		srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = d.ReadHeaderTimeout, d.ReadTimeout, d.WriteTimeout, d.IdleTimeout
		srv.MaxHeaderBytes = int(d.MaxHeaderBytes)
	}
	fmt.Fprintln(os.Stderr, "listening", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

// startChild starts cmd and waits for a line of its stderr holding marker
// followed by a loopback address, which it returns with a stop function.
func startChild(cmd *exec.Cmd, marker string) (string, int, func()) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatalf("imgload: start %s: %v", cmd.Path, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, marker); i >= 0 {
				addr, _, _ := strings.Cut(line[i+len(marker):], " ")
				select {
				case found <- addr:
				default:
				}
			}
		}
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case addr := <-found:
		if err := loopback("http://" + addr); err != nil {
			stop()
			log.Fatalf("imgload: %v", err)
		}
		return addr, cmd.Process.Pid, stop
	case <-ctx.Done():
		stop()
		log.Fatalf("imgload: %s printed no %q line", cmd.Path, marker)
	}
	return "", 0, nil
}

// cpuTime is the CPU time (user + system) process pid has used, from
// /proc; ok is false where there is no /proc.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	const ticks = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(ut+st) * time.Second / ticks, true
}

// measured is a round of load with the server process's CPU time per
// request: a figure that, unlike requests/s, other jobs on the machine
// barely move.
func measured(pid int, run func() result) (result, float64) {
	before, ok := cpuTime(pid)
	self, _ := cpuTime(os.Getpid())
	r := run()
	after, ok2 := cpuTime(pid)
	selfAfter, _ := cpuTime(os.Getpid())
	if !ok || !ok2 || r.requests == 0 {
		return r, 0
	}
	r.clientCPU = float64((selfAfter - self).Microseconds()) / float64(r.requests)
	return r, float64((after - before).Microseconds()) / float64(r.requests)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func joinF(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	if len(v) > 0 && v[0] > 10 {
		for i, x := range v {
			parts[i] = fmt.Sprintf("%.0f", x)
		}
	}
	return strings.Join(parts, " ")
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
