// Command sitebuild times the built-in site stage alone: it loads the
// rendered posts from a store (store.EachRendered; with -items whole items,
// as the pipeline's BuildSite does today), then runs site.Build into -out
// (which should be empty, for a full build) and prints how long each part
// took and the process's peak RSS.
//
//	go run ./bench/sitebuild -c /tmp/w/feedpost.yaml -out /tmp/w/site
//
// `feedpost build` does more (it re-renders every post for the per-post
// outputs first); this isolates "posts in, pages out".
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

func main() {
	cfgPath := flag.String("c", "feedpost.yaml", "config whose store holds the posts")
	out := flag.String("out", "", "site output folder (required)")
	items := flag.Bool("items", false, "load whole items (store.EachItem, as the pipeline's BuildSite does today) instead of the rendered posts alone (store.EachRendered)")
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

	t0 := time.Now()
	var posts []post.Post
	add := func(id string, rendered []byte) error {
		var p post.Post
		if err := json.Unmarshal(rendered, &p); err != nil {
			return fmt.Errorf("item %s has no rendered post (run feedpost first): %w", id, err)
		}
		posts = append(posts, p)
		return nil
	}
	if *items {
		err = st.EachItem(func(it store.Item) error { return add(it.ID, it.Rendered) })
	} else {
		err = st.EachRendered(add)
	}
	if err != nil {
		log.Fatal(err)
	}
	load := time.Since(t0)
	t1 := time.Now()
	c := cfg.Site
	stats, err := site.Build(posts, site.Options{Dir: *out, Title: c.Title, URL: c.URL, Language: c.Language,
		PerPage: c.PerPage, Templates: c.Templates, Location: c.Location})
	if err != nil {
		log.Fatal(err)
	}
	build := time.Since(t1)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("posts=%d pages=%d written=%d load_s=%.3f build_s=%.3f maxrss_mb=%.1f cpu_s=%.2f\n",
		len(posts), stats.Pages, stats.Written, load.Seconds(), build.Seconds(), float64(ru.Maxrss)/1024,
		time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Seconds())
}
