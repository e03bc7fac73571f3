// Command sitebuild times the built-in site stage alone: the pipeline's
// BuildSite (the posts' rendered metadata listed from the store, each body
// loaded from the store when its page is written, site.Build) into -out,
// which should be empty for a full build. It prints how long it took, the
// process's CPU time and peak RSS.
//
//	go run ./bench/sitebuild -c /tmp/w/feedpost.yaml -out /tmp/w/site
//
// `feedpost build` does more (it re-renders every post for the per-post
// outputs first); this isolates "store in, pages out".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

func main() {
	cfgPath := flag.String("c", "feedpost.yaml", "config whose store holds the posts")
	out := flag.String("out", "", "site output folder (required)")
	flag.Parse()
	if *out == "" {
		log.Fatal("sitebuild: -out is required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.Open(cfg.Store)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountItems("")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Site.Dir = *out
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
