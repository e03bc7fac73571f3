//go:build unix

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedpost/feedpost/bench/workload"
	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/parse"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// benchSources × benchItems items go through the pipeline per benchmark op:
// one cycle of 8 sources (fetch.concurrency's default, so every worker of
// Run has a source) of 20 ~8 KB items each.
const (
	benchSources = 8
	benchItems   = 20
	benchSeed    = 1
)

// BenchmarkPipeline measures feed bytes in → post files out: Runner.Run over
// local feed files (so no HTTP: fetching is a file read), each op one cycle
// in which every item is new (the files are regenerated between ops, timer
// stopped), through parse → content → store → Hexo write, fsync included.
// The site and Hugo outputs are off: they are measured by bench/run.sh.
//
// Besides ns/op and MB/s (of feed bytes) it reports items/s, cpu-µs/item,
// the process CPU time (user+sys) per item, and sys-µs/item, the kernel's
// part of it (creating, writing, syncing and renaming files; SQLite's I/O):
// on a machine shared with other work, or a disk with slow fsync, wall-clock
// figures wander more than CPU per item, and the split shows how much of
// the cost is feedpost's own code.
func BenchmarkPipeline(b *testing.B) {
	dir := benchDir(b)
	feeds := filepath.Join(dir, "feeds")
	if err := os.MkdirAll(feeds, 0o755); err != nil {
		b.Fatal(err)
	}
	path := func(i int) string { return filepath.Join(feeds, fmt.Sprintf("s%04d.xml", i)) }
	r, _ := benchRunner(b, dir, path)

	gen := 0
	writeFeeds := func() int64 {
		var n int64
		for i := 0; i < benchSources; i++ {
			data := workload.Feed(benchSeed, i, benchItems, gen)
			n += int64(len(data))
			if err := os.WriteFile(path(i), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		gen++
		return n
	}
	b.SetBytes(writeFeeds())
	b.ReportAllocs()
	b.ResetTimer()
	var user, sys time.Duration
	for i := 0; i < b.N; i++ {
		if i > 0 {
			b.StopTimer()
			writeFeeds()
			b.StartTimer()
		}
		u0, s0 := cpuTime()
		sum, err := r.Run(context.Background())
		u1, s1 := cpuTime()
		user, sys = user+u1-u0, sys+s1-s0
		if err != nil {
			b.Fatal(err)
		}
		if sum.PostsWritten != benchSources*benchItems || sum.Failed() {
			b.Fatalf("cycle %d wrote %d posts, want %d (every item is new): %+v", i, sum.PostsWritten, benchSources*benchItems, sum.Sources)
		}
	}
	b.StopTimer()
	items := float64(b.N * benchSources * benchItems)
	b.ReportMetric(items/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64((user+sys).Microseconds())/items, "cpu-µs/item")
	b.ReportMetric(float64(sys.Microseconds())/items, "sys-µs/item")
}

// BenchmarkStages is BenchmarkPipeline without the store: exactly the
// stages figure 1 of issue 7 names, feed bytes → parse → content (the same
// Runner.Render as a run) → Hexo files written (output.WriteFiles: temp
// file, fsync, rename), over the same feeds, on all cores (one goroutine per
// source, as Run's workers). What BenchmarkPipeline adds on top is the
// store: conditional-GET state, change detection, dedupe, and every item
// kept (article, rendered post, pending flag) so that a crash loses nothing
// and later builds need no fetch.
func BenchmarkStages(b *testing.B) {
	r, cfg := benchRunner(b, benchDir(b), func(i int) string { return fmt.Sprintf("http://127.0.0.1:1/%d.xml", i) })
	feeds := make([][]byte, benchSources)
	var n int64
	gen := 0
	makeFeeds := func() {
		for i := range feeds {
			feeds[i] = workload.Feed(benchSeed, i, benchItems, gen)
		}
		gen++
	}
	makeFeeds()
	for _, f := range feeds {
		n += int64(len(f))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	var user, sys time.Duration
	for i := 0; i < b.N; i++ {
		if i > 0 {
			b.StopTimer()
			makeFeeds() // new items, so that every file is new, as in BenchmarkPipeline
			b.StartTimer()
		}
		u0, s0 := cpuTime()
		var wg sync.WaitGroup
		errs := make([]error, len(feeds))
		for k, data := range feeds {
			src := &cfg.Sources[k]
			wg.Go(func() { errs[k] = r.writeStages(src, data) })
		}
		wg.Wait()
		u1, s1 := cpuTime()
		user, sys = user+u1-u0, sys+s1-s0
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	items := float64(b.N * benchSources * benchItems)
	b.ReportMetric(items/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64((user+sys).Microseconds())/items, "cpu-µs/item")
	b.ReportMetric(float64(sys.Microseconds())/items, "sys-µs/item")
}

// writeStages is one source's part of BenchmarkStages.
func (r *Runner) writeStages(src *config.Source, data []byte) error {
	feed, err := parse.Parse(data, "application/rss+xml; charset=utf-8", src.FetchURL, parse.Options{Location: src.Location})
	if err != nil {
		return err
	}
	files := make([]output.File, 0, len(feed.Items))
	for _, it := range feed.Items {
		item := store.Item{ID: post.ID(src.Key, it.GUID, it.Link, it.Title, it.Content), SourceKey: src.Key,
			GUID: it.GUID, Link: it.Link, Title: it.Title, Content: it.Content, IsText: it.IsText, Base: it.Base,
			Author: it.Author, Images: it.Images, Categories: it.Categories, Published: it.Published,
			Updated: it.Updated, FeedTitle: feed.Title}
		files = append(files, hexo.File(r.Render(&item), r.hexo))
	}
	if len(files) != benchItems {
		return fmt.Errorf("%s: %d items, want %d", src.Key, len(files), benchItems)
	}
	_, err = output.WriteFiles(files)
	return err
}

// BenchmarkTokenizer is the ceiling BenchmarkPipeline is compared with: the
// raw golang.org/x/net/html tokenizer over exactly the item bodies the
// pipeline cleans (one op = the bodies of one pipeline op), on all cores
// (RunParallel), doing nothing with the tokens. MB/s counts body bytes.
func BenchmarkTokenizer(b *testing.B) {
	var bodies []string
	var n int64
	for i := 0; i < benchSources; i++ {
		for _, s := range workload.Bodies(benchSeed, i, benchItems, 0) {
			bodies = append(bodies, s)
			n += int64(len(s))
		}
	}
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rd := strings.NewReader("")
		for pb.Next() {
			for _, s := range bodies {
				rd.Reset(s)
				z := html.NewTokenizer(rd)
				for z.Next() != html.ErrorToken {
				}
			}
		}
	})
	b.ReportMetric(float64(b.N*len(bodies))/b.Elapsed().Seconds(), "items/s")
}

// benchRunner writes the workload's config for benchSources sources (source
// i at urlFor(i); Hexo posts and the store under dir), opens its store
// (closed when the benchmark ends) and returns a Runner on them.
func benchRunner(b *testing.B, dir string, urlFor func(i int) string) (*Runner, *config.Config) {
	yml := workload.Config(benchSources, urlFor, workload.Outputs{Store: filepath.Join(dir, "feedpost.db"), Hexo: filepath.Join(dir, "posts")})
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return New(cfg, st, Options{}), cfg
}

// benchDir is the benchmark's work folder: b.TempDir(), or, when
// FEEDPOST_BENCH_DIR is set (bench/run.sh sets it), a new folder under it
// that is left in place. On ext4 without a journal (the VM the figures were
// taken on), deleting thousands of files makes every file created in the
// next minutes slower, so a run must not delete its posts before the next
// run measures; the script removes its work folder at the end.
func benchDir(b *testing.B) string {
	root := os.Getenv("FEEDPOST_BENCH_DIR")
	if root == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(root, "pipeline-")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
