package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultMirrorPath is where mirrored images go inside a blog's published
// files, and so the default URL path they are named by.
const DefaultMirrorPath = "images/feedpost/"

// mirror reads images.mirror_dir, mirror_url, fallback and thumbnail, and
// fills the mirror folders in: the explicit images.mirror_dir, else one
// folder per blog output — <hexo source>/images/feedpost (the folder Hexo
// copies to public/ as is), Hugo's static/images/feedpost — plus, when the
// built-in site is on, <site.dir>/images, which its pages name relative to
// the site root. It runs after hexo and hugo are read (their folders and
// Hexo's root: decide the defaults).
func (p *parser) mirror(m map[string]*yaml.Node, c *Config) {
	im := &c.Images
	var dir string
	dirSet := p.str(m["mirror_dir"], "images.mirror_dir", &dir)
	var mirrorURL string
	p.str(m["mirror_url"], "images.mirror_url", &mirrorURL)
	im.Fallback = "original"
	var fallback string
	if p.str(m["fallback"], "images.fallback", &fallback) && fallback != "" {
		switch {
		case fallback == "original" || fallback == "drop":
		default:
			if err := httpURL(fallback); err != nil {
				p.fail(m["fallback"], "images.fallback", `expected "original", "drop" or an http(s) image-proxy prefix, got %q: %v`, fallback, err)
			}
		}
		im.Fallback = fallback
	}
	var thumb string
	if p.str(m["thumbnail"], "images.thumbnail", &thumb) && thumb != "" && thumb != "off" {
		w, h, ok := parseThumbSize(thumb)
		if !ok {
			p.fail(m["thumbnail"], "images.thumbnail", `expected a size like 480x270 (16–4096 pixels each side) or "off", got %q`, thumb)
		}
		im.ThumbWidth, im.ThumbHeight = w, h
	}
	if p.err != nil || !im.Mirror() {
		return
	}

	root := "/"
	if c.Hexo.Blog != nil && c.Hexo.Blog.URLRoot != "" {
		root = c.Hexo.Blog.URLRoot
	}
	im.MirrorURL = root + DefaultMirrorPath
	if mirrorURL != "" {
		if !strings.HasPrefix(mirrorURL, "/") || strings.HasPrefix(mirrorURL, "//") {
			if err := httpURL(mirrorURL); err != nil {
				p.fail(m["mirror_url"], "images.mirror_url", "expected a path like /images/feedpost/ or an absolute http(s) URL, got %q", mirrorURL)
				return
			}
		} else if _, err := url.Parse(mirrorURL); err != nil {
			p.fail(m["mirror_url"], "images.mirror_url", "invalid URL path %q: %v", mirrorURL, err)
			return
		}
		im.MirrorURL = strings.TrimRight(mirrorURL, "/") + "/"
	}

	switch {
	case dirSet && dir != "":
		im.MirrorDirs = []string{p.resolve(dir)}
	default:
		if c.Hexo.Dir != "" {
			im.MirrorDirs = append(im.MirrorDirs, filepath.Join(hexoSourceDir(c.Hexo), filepath.FromSlash(DefaultMirrorPath)))
		}
		if c.Hugo.Dir != "" {
			im.MirrorDirs = append(im.MirrorDirs, filepath.Join(hugoRoot(c.Hugo.Dir), "static", filepath.FromSlash(DefaultMirrorPath)))
		}
	}
	if c.Site.Dir != "" {
		im.SiteMirrorDir = filepath.Join(c.Site.Dir, "images")
		im.MirrorDirs = append(im.MirrorDirs, im.SiteMirrorDir)
	}
	im.MirrorDirs = slices.Compact(im.MirrorDirs)
	if len(im.MirrorDirs) == 0 {
		p.fail(m["mirror_dir"], "images.proxy", "mirror: no output is on (hexo.dir, hugo.dir and site.dir are all \"\"), so the images have nowhere to go: set images.mirror_dir")
	}
}

var thumbSizeRE = regexp.MustCompile(`^(\d{1,4})\s*[x×]\s*(\d{1,4})$`)

// parseThumbSize reads "480x270".
func parseThumbSize(s string) (w, h int, ok bool) {
	m := thumbSizeRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return 0, 0, false
	}
	w, _ = strconv.Atoi(m[1])
	h, _ = strconv.Atoi(m[2])
	return w, h, w >= 16 && h >= 16 && w <= 4096 && h <= 4096
}

// hexoSourceDir is the blog's source folder: the _config.yml's source_dir
// when the blog was found, else the parent of a posts folder named _posts,
// else hexo.dir's parent.
func hexoSourceDir(h Hexo) string {
	if h.Blog != nil {
		return h.Blog.SourceDir
	}
	return filepath.Dir(h.Dir)
}

// hugoRoot is the Hugo site hugo.dir belongs to: the parent of the nearest
// folder named content above it, else hugo.dir's parent.
func hugoRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if filepath.Base(d) == "content" {
			return filepath.Dir(d)
		}
		if filepath.Dir(d) == d {
			return filepath.Dir(dir)
		}
	}
}

// ThumbSpec is images.thumbnail as written in names: "480x270", "" when off.
func (im *Images) ThumbSpec() string {
	if im.ThumbWidth == 0 {
		return ""
	}
	return fmt.Sprintf("%dx%d", im.ThumbWidth, im.ThumbHeight)
}
