// Command mirror measures image mirroring (images.proxy: mirror) with the
// feedpost binary: images mirrored per second from a loopback server on a
// cold store, the rerun with nothing new (which must download nothing),
// and the peak memory of the process while it mirrors N images of 2–5 MB.
// Thumbnails per second come from the Go benchmark beside the code:
// `go test -run '^$' -bench Thumbnail ./internal/mirror`.
//
//	go build -o bin/feedpost ./cmd/feedpost && go run ./bench/mirror -feedpost bin/feedpost
//
// The images are made on the fly and never held: a 1,200×900 noise JPEG
// (which does not compress) followed by seeded random bytes up to a size
// between 2 and 5 MB, different for each image (decoders ignore what
// follows a JPEG's end marker; the mirror hashes every byte).
package main

import (
	"bytes"
	"encoding/json"
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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("feedpost", "bin/feedpost", "the feedpost binary")
	n := flag.Int("images", 1000, "images to mirror")
	perItem := flag.Int("per-item", 20, "images per feed item")
	perHost := flag.Int("per-host", 8, "fetch.per_host (the images all come from one loopback host)")
	work := flag.String("work", "", "work folder (default: a temp folder, removed)")
	flag.Parse()

	base := noiseJPEG(1200, 900)
	var hits, sent atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, feed(addr, *n, *perItem))
			return
		}
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/img/"), ".jpg"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		size := imageSize(i)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(base)
		pad := rand.New(rand.NewPCG(uint64(i), 7))
		buf := make([]byte, 64<<10)
		for left := size - len(base); left > 0; left -= len(buf) {
			for j := range buf {
				buf[j] = byte(pad.Uint32())
			}
			m, _ := w.Write(buf[:min(left, len(buf))])
			sent.Add(int64(m))
		}
	}))

	dir := *work
	if dir == "" {
		if dir, err = os.MkdirTemp("", "feedpost-mirror-bench-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	cfg := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`site: {dir: ""}
hexo: {dir: blog/source/_posts}
fetch: {concurrency: 8, per_host: %d, timeout: 60s, max_bytes: 8MB}
images: {proxy: mirror, allow_private: true}
defaults: {limit: 100000}
sources: [{url: %s/feed.xml, name: bench}]
`, *perHost, addr)), 0o644)

	var total int64
	for i := range *n {
		total += int64(imageSize(i))
	}
	fmt.Printf("mirroring %d images of 2–5 MB (%.0f MB in all) from a loopback server, fetch.per_host %d, on %s\n",
		*n, float64(total)/(1<<20), *perHost, filepath.Dir(cfg))
	cold := run(*bin, cfg)
	coldHits := hits.Load()
	fmt.Printf("cold run:   %6.2f s, %d downloads, %.1f images/s, %.0f MB/s, peak RSS %d MB, summary images %v\n",
		cold.wall.Seconds(), coldHits, float64(coldHits)/cold.wall.Seconds(),
		float64(total)/(1<<20)/cold.wall.Seconds(), cold.rssMB, cold.images)
	again := run(*bin, cfg)
	fmt.Printf("rerun:      %6.2f s, %d downloads (nothing new), peak RSS %d MB, summary images %v\n",
		again.wall.Seconds(), hits.Load()-coldHits, again.rssMB, again.images)
}

// imageSize is image i's size: 2–5 MB, seeded.
func imageSize(i int) int {
	r := rand.New(rand.NewPCG(uint64(i), 3))
	return 2<<20 + r.IntN(3<<20)
}

func noiseJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes()
}

// feed is an RSS feed of n/perItem items naming perItem images each.
func feed(addr string, n, perItem int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>镜像基准</title><link>https://bench.example/</link>`)
	for it := 0; it*perItem < n; it++ {
		fmt.Fprintf(&b, `<item><guid>%d</guid><title>第 %d 条</title><link>https://bench.example/%d</link><description><![CDATA[<p>正文</p>`, it, it, it)
		for i := it * perItem; i < min(n, (it+1)*perItem); i++ {
			fmt.Fprintf(&b, `<p><img src="%s/img/%d.jpg"></p>`, addr, i)
		}
		b.WriteString(`]]></description></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

type result struct {
	wall   time.Duration
	rssMB  int64
	images map[string]int
}

func run(bin, cfg string) result {
	cmd := exec.Command(bin, "run", "-c", cfg, "--json")
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		log.Fatalf("feedpost run: %v", err)
	}
	var sum struct {
		Images map[string]int `json:"images"`
	}
	json.Unmarshal(out, &sum)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss / 1024 // KB on Linux
	}
	return result{wall: wall, rssMB: rss, images: sum.Images}
}
