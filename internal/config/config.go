// Package config reads and validates feedpost.yaml (docs/config.md).
//
// Load is the only entry point: it decodes the YAML strictly (an unknown key is
// an error naming its line), applies defaults, resolves relative paths against
// the config file's folder, merges `defaults` into every source and compiles
// regexps, so the rest of the pipeline never sees an unchecked value.
package config

import (
	"regexp"
	"time"

	"github.com/feedpost/feedpost/internal/output/hexo"
)

// Config is a loaded, validated feedpost.yaml.
type Config struct {
	Path string // absolute path of the config file
	Dir  string // its folder; relative paths are resolved against it

	Site      Site
	RSSHub    []string // instances tried in order; `rsshub:` may be a string or a list
	RSSHubKey string   // `rsshub_key`, sent as ?key= to RSSHub
	Store     string   // absolute path of the SQLite file, or a postgres:// URL ($FEEDPOST_STORE overrides)
	Secret    string   // `secret`: HMAC key of the built-in image proxy (else FEEDPOST_SECRET, else generated)
	Fetch     Fetch
	Images    Images
	Content   Content
	Hexo      Hexo
	Hugo      Hugo
	Defaults  Defaults
	Dedupe    string // `dedupe`: link | title | off (default link)
	Keep      Keep
	Serve     Serve
	Sources   []Source
}

// Site is the `site:` block.
type Site struct {
	Title     string
	URL       string // absolute base URL, no trailing slash; "" when unset
	Timezone  string
	Location  *time.Location // loaded from Timezone (UTC by default)
	Language  string
	Dir       string // built-in site output folder (absolute); "" disables
	PerPage   int    // cards per page on the built-in site
	Templates string // folder overriding the embedded templates; "" uses the embedded ones
}

// Fetch is the `fetch:` block.
type Fetch struct {
	Concurrency int
	PerHost     int
	Timeout     time.Duration
	Retries     int
	MaxBytes    int64
	UserAgent   string
	Lease       time.Duration // how long a claim on a source lasts without renewal (fetch workers)
}

// Images is the `images:` block.
type Images struct {
	Proxy        string // prefix, "builtin", "mirror" or ""
	ProxyScope   string // http | all | none
	NoReferrer   bool
	DefaultCover string
	ProxyBase    string            // public base URL of `serve` for builtin proxy URLs (default site.url)
	Referers     map[string]string // host pattern (e.g. "*.sinaimg.cn") → Referer sent upstream by the builtin proxy
	AllowPrivate bool              // let the builtin proxy reach private/loopback addresses
	CacheDir     string            // disk cache of the builtin proxy (absolute)
	CacheSize    int64             // bytes

	// Mirror mode (Proxy "mirror"): the folders every mirrored image is
	// written to — images.mirror_dir, else one per output (Hexo's
	// source/images/feedpost, Hugo's static/images/feedpost) — plus
	// <site.dir>/images for the built-in site (SiteMirrorDir).
	MirrorDirs    []string
	SiteMirrorDir string // "" when the built-in site is off
	MirrorURL     string // URL prefix posts name mirrored images by, ending in "/"
	Fallback      string // what a post shows for an image not mirrored (yet): "original", "drop" or a proxy prefix URL
	// Thumbnail is the size of cover thumbnails (images.thumbnail); zero
	// when off.
	ThumbWidth, ThumbHeight int
}

// Mirror reports whether images are mirrored (images.proxy: mirror).
func (im *Images) Mirror() bool { return im.Proxy == ProxyMirror }

// ProxyMirror is images.proxy's value for mirroring.
const ProxyMirror = "mirror"

// Content is the `content:` block.
type Content struct {
	IframeHosts []string
}

// Hexo is the `hexo:` block, with the theme preset applied (hexo.go).
type Hexo struct {
	Dir              string // absolute; "" disables Hexo output
	CoverKeys        []string
	CardKey          string // the cover key that gets the thumbnail (the preset's, when CoverKeys has it)
	Comments         bool
	EscapeBraces     bool
	Theme            string     // `theme` as written: auto (default) or a preset name
	Preset           hexo.Theme // the preset in use; for auto, the blog's theme's (none when it has none)
	Blog             *hexo.Blog // the Hexo blog found above Dir; nil when none
	LinkKey          string     // front-matter key of the original article's link; "" writes LinkText's paragraph
	LinkStyle        hexo.LinkStyle
	AuthorKey        string // further key holding the author (Butterfly), from the preset
	SiteKey          string // further key holding the article's site (Butterfly), from the preset
	LinkText         string // text of the closing "阅读原文" paragraph; "" writes none
	NameSource       bool   // the paragraph names the source (the theme shows no author)
	FullwidthPercent bool   // % in titles written as ％ (the theme fails on %)
	AuthorsFile      string // absolute path of the theme's authors data file feedpost keeps; "" for none
}

// Hugo is the `hugo:` block.
type Hugo struct {
	Dir string // absolute; "" (default) disables Hugo output
}

// Defaults is the `defaults:` block; its values are merged into each source.
type Defaults struct {
	Limit    int
	Interval time.Duration
	MaxAge   time.Duration
}

// Serve is the `serve:` block: the limits of `feedpost serve`'s HTTP
// server, which faces the open internet.
type Serve struct {
	ReadHeaderTimeout time.Duration // a request's headers must arrive within this
	ReadTimeout       time.Duration // the whole request, headers and body
	WriteTimeout      time.Duration // sending one response (the image proxy adds its upstream fetch time)
	IdleTimeout       time.Duration // a keep-alive connection waiting for its next request
	MaxHeaderBytes    int64         // request line and headers
	MaxConns          int           // connections open at once, in total
	MaxConnsPerIP     int           // connections open at once from one address (IPv6: one /64); 0 = no limit
}

// Keep is the `keep:` retention block; zero values mean no limit.
type Keep struct {
	MaxAge    time.Duration
	MaxPosts  int
	PerSource int
}

// Filter holds the compiled regexps of an include or exclude rule. A nil field
// does not take part; an empty Filter matches nothing.
type Filter struct {
	Title    *regexp.Regexp
	Content  *regexp.Regexp
	Author   *regexp.Regexp
	Category *regexp.Regexp
}

// Empty reports whether the filter has no regexp at all.
func (f Filter) Empty() bool {
	return f.Title == nil && f.Content == nil && f.Author == nil && f.Category == nil
}

// Source is one entry of `sources:` with defaults merged in.
type Source struct {
	Key          string   // identity: `name`, else `url` or `route` exactly as written
	Name         string   // `name` as written ("" when absent)
	URL          string   // `url` as written
	Route        string   // `route` as written (normalised to start with "/")
	FetchURL     string   // resolved: absolute http(s)/file URL or absolute local path; for routes the first instance
	Category     []string // nil when CategoryAuto or when absent (the feed title is used then)
	CategoryAuto bool     // `category: auto`
	Author       string
	Include      Filter
	Exclude      Filter
	Fulltext     bool
	AllowPrivate bool // `allow_private`: links in this source's items may reach private addresses (full text)
	Headers      map[string]string
	Limit        int
	Interval     time.Duration
	MaxAge       time.Duration
	Enabled      bool
	Line         int            // line of the source in the config file, for messages
	Timezone     string         // `timezone`, else site.timezone: the zone of the feed's dates that carry none
	Location     *time.Location // loaded from Timezone
}

// IsRoute reports whether the source is an RSSHub route.
func (s *Source) IsRoute() bool { return s.Route != "" }
