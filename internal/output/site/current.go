package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// renderVersion changes whenever the builder's code changes what it writes
// for the same posts and options, so an upgraded feedpost never takes an
// older build for current.
const renderVersion = "2"

// Current reports whether opt.Dir holds a complete build made with these
// options (templates and assets included) by this version of the builder.
// A caller that knows the posts did not change since (a cycle in which no
// item was added, updated or pruned) can then skip Build, which would
// render every page only to find every file unchanged: for 10,000 posts
// that is seconds of work for nothing. Any doubt — no manifest, another
// version, other options, a missing home page — answers false.
func Current(opt Options) bool {
	if opt.Dir == "" {
		return false
	}
	fp, err := fingerprint(withDefaults(opt))
	if err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join(opt.Dir, manifestName))
	if err != nil {
		return false
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil || m.Options != fp || len(m.Files) == 0 {
		return false
	}
	_, err = os.Stat(filepath.Join(opt.Dir, "index.html"))
	return err == nil
}

// withDefaults fills the options Build defaults, so that Current and Build
// digest the same values.
func withDefaults(opt Options) Options {
	if opt.Title == "" {
		opt.Title = "新闻聚合"
	}
	if opt.Language == "" {
		opt.Language = "zh-CN"
	}
	if opt.PerPage <= 0 {
		opt.PerPage = 20
	}
	return opt
}

// fingerprint digests every input of a build except the posts: the options,
// the templates and assets in use
// (embedded or overridden) and renderVersion.
func fingerprint(opt Options) (string, error) {
	h := sha256.New()
	loc := ""
	if opt.Location != nil {
		loc = opt.Location.String()
	}
	fmt.Fprintf(h, "%s\x00%q\x00%q\x00%q\x00%d\x00%q\x00%q\x00", renderVersion,
		opt.Title, opt.URL, opt.Language, opt.PerPage, loc, opt.DefaultCover)
	for _, name := range templateFiles {
		b, err := readFile(opt.Templates, "templates/"+name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	for _, name := range assetFiles {
		b, err := readFile(opt.Templates, "assets/"+name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}
