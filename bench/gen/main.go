// Command gen writes a benchmark workload: a feedpost.yaml whose sources are
// the feeds of bench/feedserver (or local feed files it writes itself), with
// the outputs chosen by flags.
//
//	go run ./bench/gen -dir /tmp/w -sources 500 -server http://127.0.0.1:8081 -hexo hexo/source/_posts -site public
//	go run ./bench/gen -dir /tmp/w -sources 8 -files      # feeds as local files under /tmp/w/feeds
//
// Output folders are relative to -dir; "" disables an output. The feeds are
// bench/workload's: ~8 KB Chinese HTML items with three images each,
// deterministic for a given -seed.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/feedpost/feedpost/bench/workload"
)

func main() {
	dir := flag.String("dir", "", "workload folder (required)")
	sources := flag.Int("sources", 500, "number of sources")
	items := flag.Int("items", 20, "items per feed (with -files)")
	seed := flag.Uint64("seed", 1, "generator seed (with -files)")
	gen := flag.Int("gen", 0, "generation (with -files): a different one changes every item")
	server := flag.String("server", "", "feed server base URL (bench/feedserver); sources are <server>/feed/<n>.xml")
	files := flag.Bool("files", false, "write the feeds as local files under <dir>/feeds instead of using a server")
	store := flag.String("store", "feedpost.db", "store file, relative to -dir")
	hexo := flag.String("hexo", "hexo/source/_posts", "Hexo posts folder, relative to -dir (\"\" disables)")
	hugo := flag.String("hugo", "", "Hugo posts folder, relative to -dir (\"\" disables)")
	site := flag.String("site", "public", "built-in site folder, relative to -dir (\"\" disables)")
	config := flag.String("config", "feedpost.yaml", "config file name, relative to -dir")
	secret := flag.String("secret", "", "images.proxy: builtin with this signing secret (the image proxy benchmark)")
	hosts := flag.Int("hosts", 1, "with -server from a feedserver -hosts N: spread the sources over its N addresses (127.0.1.1 …)")
	flag.Parse()
	if *dir == "" || (*server == "") == !*files {
		log.Fatal("gen: want -dir and exactly one of -server or -files")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	*dir = abs // the config holds absolute paths, wherever it is read from
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var urlFor func(int) string
	if *files {
		feeds := filepath.Join(*dir, "feeds")
		if err := os.MkdirAll(feeds, 0o755); err != nil {
			log.Fatal(err)
		}
		urlFor = func(i int) string { return filepath.Join(feeds, fmt.Sprintf("s%04d.xml", i)) }
		for i := 0; i < *sources; i++ {
			if err := os.WriteFile(urlFor(i), workload.Feed(*seed, i, *items, *gen), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	} else {
		urlFor = func(i int) string { return fmt.Sprintf("%s/feed/%d.xml", *server, i) }
		if *hosts > 1 {
			_, port, _ := strings.Cut(strings.TrimPrefix(*server, "http://"), ":")
			urlFor = func(i int) string { return fmt.Sprintf("http://127.0.1.%d:%s/feed/%d.xml", i%*hosts+1, port, i) }
		}
	}
	rel := func(s string) string {
		if s == "" || strings.Contains(s, "://") { // "" disables; a postgres:// store stays as it is
			return s
		}
		return filepath.Join(*dir, s)
	}
	out := workload.Outputs{Store: rel(*store), Hexo: rel(*hexo), Hugo: rel(*hugo), Site: rel(*site)}
	if *secret != "" {
		out.BuiltinProxy, out.Secret, out.CacheDir = true, *secret, rel("cache/images")
	}
	yml := workload.Config(*sources, urlFor, out)
	if err := os.WriteFile(filepath.Join(*dir, *config), []byte(yml), 0o644); err != nil {
		log.Fatal(err)
	}
}
