package site

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// BenchmarkBuild builds the site of N synthetic posts the way the pipeline
// does (posts without bodies, each body served by Options.Body) into a
// fresh folder, and rebuilds 10,000 posts with nothing changed
// ("unchanged", the site "cold-each" made when it ran). "cold-each" hands the posts over one at a time
// (BuildEach, as from a store), so nothing holds them all; "cold-slice"
// passes them all at once (Build); "cold-html-template" renders every page
// with html/template instead of the code generated from the templates (as
// for overridden templates), which is what the generated code saves. The
// 40,000-post cases show whether memory stays flat as posts grow; they,
// "cold-slice" and "cold-html-template" run only with
// FEEDPOST_BENCH_LARGE=1, so that CI's `-benchtime 1x` run stays at a few
// seconds.
//
// Besides ns/op and allocations it reports:
//
//	posts/s       posts built per second of wall time
//	cpu-ms/op     user+system CPU of the process per build (the machine is shared: trust this over ns/op)
//	peak-heap-MB  most heap object bytes seen during a build (live and not yet swept; what drives RSS)
//	peak-live-MB  most live heap seen after a GC during a build (what the build retains)
//	input-MB      live heap before the build: the posts (without bodies) "cold-slice" passes
//
// The peak figures include the input. Files go to b.TempDir(): set
// TMPDIR=/dev/shm to see the code's own cost rather than the file
// system's (bench/README.md).
func BenchmarkBuild(b *testing.B) {
	type bench struct {
		name        string
		n           int
		slice       bool
		noGenerated bool
	}
	cases := []bench{{"cold-each", 10000, false, false}}
	if os.Getenv("FEEDPOST_BENCH_LARGE") == "1" {
		cases = append(cases, bench{"cold-html-template", 10000, false, true}, bench{"cold-each", 40000, false, false},
			bench{"cold-slice", 10000, true, false}, bench{"cold-slice", 40000, true, false})
	}
	// One folder for all: "unchanged" rebuilds a site "cold-each" made,
	// which saves CI a build.
	root := b.TempDir()
	built := ""
	for _, c := range cases {
		b.Run(c.name+"/posts="+strconv.Itoa(c.n), func(b *testing.B) {
			in := benchInput(c.n)
			var posts []post.Post
			if c.slice {
				posts = in.all()
			}
			input := liveHeap()
			var peak heapPeak
			var cpu time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				// A new folder per build, none removed until the end:
				// removing a large tree slows the creation of files that
				// follows on some file systems (bench/README.md).
				dir, err := os.MkdirTemp(root, "site-")
				if err != nil {
					b.Fatal(err)
				}
				opt := in.opt
				opt.Dir = dir
				opt.noGenerated = c.noGenerated
				runtime.GC()
				stop := peak.watch()
				c0 := cpuTime()
				b.StartTimer()
				var st Stats
				if c.slice {
					st, err = Build(posts, opt)
				} else {
					st, err = BuildEach(in.each, opt)
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if st.Written != st.Pages || st.Pages < c.n {
					b.Fatalf("a cold build wrote %d of %d files for %d posts", st.Written, st.Pages, c.n)
				}
				if c.n == 10000 && !c.slice && !c.noGenerated {
					built = dir
				}
				b.StartTimer()
			}
			benchReport(b, c.n, cpu, &peak)
			b.ReportMetric(float64(input)/(1<<20), "input-MB")
		})
	}
	b.Run("unchanged/posts=10000", func(b *testing.B) {
		in := benchInput(10000)
		opt := in.opt
		if opt.Dir = built; built == "" {
			opt.Dir = filepath.Join(root, "unchanged")
			if _, err := BuildEach(in.each, opt); err != nil {
				b.Fatal(err)
			}
		}
		var peak heapPeak
		var cpu time.Duration
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			runtime.GC()
			stop := peak.watch()
			c0 := cpuTime()
			b.StartTimer()
			st, err := BuildEach(in.each, opt)
			b.StopTimer()
			cpu += cpuTime() - c0
			stop()
			if err != nil || st.Written != 0 {
				b.Fatalf("an unchanged build: %+v, %v", st, err)
			}
			b.StartTimer()
		}
		benchReport(b, in.n, cpu, &peak)
	})
}

func benchReport(b *testing.B, n int, cpu time.Duration, peak *heapPeak) {
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "posts/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak.heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak.live)/(1<<20), "peak-live-MB")
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapPeak keeps the largest heap figures seen by watch's sampler.
type heapPeak struct {
	heap, live uint64
}

// watch samples the heap every millisecond until the returned function is
// called. runtime/metrics does not stop the world, unlike ReadMemStats.
func (h *heapPeak) watch() (stop func()) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(samples)
		for i, dst := range []*uint64{&h.heap, &h.live} {
			if samples[i].Value.Kind() == metrics.KindUint64 {
				*dst = max(*dst, samples[i].Value.Uint64())
			}
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		read()
	}
}

// benchData is n synthetic posts, made on demand by post, and options
// whose Body makes each post's ~8 KB body from its id, so that no body is
// held between calls, as with the pipeline's store.
type benchData struct {
	n    int
	post func(i int) post.Post
	opt  Options
}

// each hands every post to add, made as it goes (BuildEach).
func (d benchData) each(add func(post.Post)) error {
	for i := range d.n {
		add(d.post(i))
	}
	return nil
}

// all is every post at once (Build).
func (d benchData) all() []post.Post {
	posts := make([]post.Post, d.n)
	for i := range posts {
		posts[i] = d.post(i)
	}
	return posts
}

// benchInput makes n posts like the pipeline's (no bodies).
//
// Ids are 16 hex digits: the post's number times an odd constant, which
// the loader inverts. Posts have 20 sources, 3-level Chinese category
// paths from a small set, covers, and dates one every 17 minutes (months
// for 10,000 posts), given out of order.
func benchInput(n int) benchData {
	const mul = 0x9e3779b97f4a7c15 // odd: invertible modulo 2^64
	inv := uint64(mul)
	for range 6 { // Newton's iteration doubles the correct low bits
		inv *= 2 - mul*inv
	}
	para := "<p>" + strings.Repeat("武汉经济开发区支行2小时内搭建临时办公场所，迅速恢复办公。", 12) + "</p>\n"
	img := `<p><img src="https://img.example.com/x.jpg" referrerpolicy="no-referrer" loading="lazy"></p>` + "\n"
	body := strings.Repeat(para+img, 7) // ~8 KB
	tops := []string{"新媒体", "科技", "财经", "体育"}
	mids := []string{"趣头条", "澎湃新闻", "界面", "新浪", "网易"}
	leaves := []string{"科技", "要闻", "国际", "观察", "深度", "评论"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, cst)
	mk := func(i int) post.Post {
		src := i % 20
		k := (i * 7919) % n // dates out of input order, as a store gives them
		name := "来源" + strconv.Itoa(src)
		p := post.Post{
			ID:        fmt.Sprintf("%016x", uint64(i)*mul),
			SourceKey: "source-" + strconv.Itoa(src), SourceName: name,
			Title:      fmt.Sprintf("第 %d 篇：建行湖北省分行让党旗在抗疫和金融服务一线高高飘扬", i),
			Categories: []string{tops[src%4], mids[src%5], leaves[i%6]},
			Cover:      fmt.Sprintf("https://img.example.com/covers/%d.jpg", i), Author: name,
			Date: base.Add(time.Duration(k) * 17 * time.Minute), Link: fmt.Sprintf("https://example.com/a/%d.html", i),
		}
		if i%7 == 0 {
			p.Updated = p.Date.Add(time.Hour)
		}
		return p
	}
	opt := Options{URL: "https://news.example.com", Location: cst, Body: func(id string) (string, error) {
		x, err := strconv.ParseUint(id, 16, 64)
		if err != nil || x*inv >= uint64(n) {
			return "", fmt.Errorf("no post %q", id)
		}
		return "<p>第 " + strconv.FormatUint(x*inv, 10) + " 篇</p>\n" + body, nil
	}}
	return benchData{n: n, post: mk, opt: opt}
}
