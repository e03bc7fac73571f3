//go:build unix

// Command sitebuild times the built-in site stage alone: the pipeline's
// BuildSite (the posts' rendered metadata listed from the store, each body
// loaded from the store when its page is written, site.Build) into -out,
// which should be empty for a full build. It prints how long it took, the
// process's CPU time and peak RSS.
//
//	go run ./bench/sitebuild -c /tmp/w/feedpost.yaml -out /tmp/w/site
//
// It reports CPU time and peak RSS from getrusage, hence unix only, like
// bench/run.sh that runs it.
//
// `feedpost build` does more (it re-renders every post for the per-post
// outputs first); this isolates "store in, pages out".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// profilePeaks samples the live heap every 20 ms (runtime/metrics: no
// stop-the-world) and writes a heap profile to path whenever it is 5 % above
// the highest seen, so that the file left describes the peak. The returned
// function stops the sampler.
func profilePeaks(path string) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak+peak/20 {
				peak = live
				f, err := os.Create(path)
				if err != nil {
					log.Fatal(err)
				}
				if err := pprof.WriteHeapProfile(f); err != nil {
					log.Fatal(err)
				}
				f.Close()
			}
		}
	}()
	return func() { close(done); <-finished }
}

func main() {
	cfgPath := flag.String("c", "feedpost.yaml", "config whose store holds the posts")
	out := flag.String("out", "", "site output folder (required)")
	memprofile := flag.String("memprofile", "", "write a heap profile to this file each time the live heap reaches a new high (the last one written is the peak)")
	flag.Parse()
	if *out == "" {
		log.Fatal("sitebuild: -out is required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountItems(context.Background(), "")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Site.Dir = *out
	if *memprofile != "" {
		stop := profilePeaks(*memprofile)
		defer stop()
	}
	r := pipeline.New(cfg, st, pipeline.Options{})
	t0 := time.Now()
	stats, err := r.BuildSite(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	build := time.Since(t0)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("posts=%d pages=%d written=%d build_s=%.3f maxrss_mb=%.1f cpu_s=%.2f\n",
		n, stats.Pages, stats.Written, build.Seconds(), float64(ru.Maxrss)/1024,
		time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Seconds())
}
