// Package pipeline runs feedpost's stages in order for every source —
// fetch → parse → content → store → outputs — and reports what happened.
// The CLI and the daemon both drive it; it knows nothing of either.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/netguard"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/parse"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/schedule"
	"github.com/feedpost/feedpost/internal/store"
)

// Statuses of a source in a summary (SPEC §2).
const (
	StatusOK        = "ok"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
)

// SourceResult is one line of the run summary.
type SourceResult struct {
	Name       string        `json:"name"`
	URL        string        `json:"url"`
	Status     string        `json:"status"`
	New        int           `json:"new"`
	Updated    int           `json:"updated"`
	Unchanged  int           `json:"unchanged"`
	Duplicates int           `json:"duplicates"`
	Error      string        `json:"error"`
	Note       string        `json:"note,omitempty"` // e.g. repaired encoding, fulltext fallbacks
	Duration   time.Duration `json:"-"`
	Written    int           `json:"-"` // post files written for this source
}

// Summary is the result of a cycle or a build.
type Summary struct {
	Sources      []SourceResult `json:"sources"`
	PostsWritten int            `json:"posts_written"`
	PostsTotal   int            `json:"posts_total"`
	PagesWritten int            `json:"pages_written"` // built-in site files written
	Pruned       int            `json:"pruned"`        // posts removed by retention
	DurationMS   int64          `json:"duration_ms"`
}

// Failed reports whether any source failed.
func (s *Summary) Failed() bool {
	for _, r := range s.Sources {
		if r.Status == StatusFailed {
			return true
		}
	}
	return false
}

// Progress receives events while a cycle runs; the CLI draws them.
type Progress interface {
	Start(total int)
	SourceDone(r SourceResult)
}

// Runner holds what a cycle needs; one Runner may run many cycles (serve).
type Runner struct {
	cfg      *config.Config
	st       *store.Store
	client   *fetch.Client
	content  *fetch.Client // guarded: for URLs from feed content (fulltext.go)
	private  *fetch.Client // the same for sources with allow_private: true
	copt     content.Options
	hexo     hexo.Options
	hugo     hugo.Options
	now      func() time.Time
	progress Progress

	ignoreBackoff bool // fetch backed-off sources too (`run --force`)

	fingerprint string // of the settings that change a rendered post

	mu     sync.Mutex
	active map[string]bool // sources being fetched right now

	sources  map[string]*config.Source // by key: Render looks one up per item
	auto     autoCategories            // resolved `category: auto` paths
	dedupeMu sync.Mutex                // held from the cross-source dedupe check until the items are stored
}

// Options tune a Runner; the zero value is fine.
type Options struct {
	Progress Progress
	Now      func() time.Time    // clock (tests)
	Client   *fetch.Client       // nil: built from cfg.Fetch
	ProxyURL func(string) string // overrides the proxy built from cfg.Images (builtin proxy)
	// IgnoreBackoff fetches sources that are backed off after repeated
	// failures (for a `--force` flag); by default they are skipped until
	// their NextFetch.
	IgnoreBackoff bool
	// ContentGuard is the address guard of the client that fetches URLs
	// found in feed content (full-text article pages); nil: the default
	// guard. Tests map made-up host names with its Resolve.
	ContentGuard *netguard.Dialer
}

// New prepares a Runner for cfg on st.
func New(cfg *config.Config, st *store.Store, opt Options) *Runner {
	r := &Runner{cfg: cfg, st: st, client: opt.Client, now: opt.Now, progress: opt.Progress, active: map[string]bool{},
		ignoreBackoff: opt.IgnoreBackoff}
	r.sources = make(map[string]*config.Source, len(cfg.Sources))
	for i := range cfg.Sources {
		r.sources[cfg.Sources[i].Key] = &cfg.Sources[i]
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.client == nil {
		r.client = fetch.New(fetch.Options{
			Timeout:     cfg.Fetch.Timeout,
			Retries:     cfg.Fetch.Retries,
			MaxBytes:    cfg.Fetch.MaxBytes,
			UserAgent:   cfg.Fetch.UserAgent,
			PerHost:     cfg.Fetch.PerHost,
			Concurrency: cfg.Fetch.Concurrency,
		})
	}
	guard := opt.ContentGuard
	if guard == nil {
		guard = &netguard.Dialer{}
	}
	r.content = r.client.Guarded(guard)
	open := *guard
	open.AllowPrivate = true
	r.private = r.client.Guarded(&open)
	proxy := opt.ProxyURL
	if proxy == nil && cfg.Images.Proxy != "" && cfg.Images.Proxy != "builtin" {
		proxy = content.PrefixProxy(cfg.Images.Proxy)
	}
	r.copt = content.Options{
		ProxyURL:    proxy,
		ProxyScope:  cfg.Images.ProxyScope,
		NoReferrer:  cfg.Images.NoReferrer,
		IframeHosts: cfg.Content.IframeHosts,
	}
	r.hexo = hexo.Options{Dir: cfg.Hexo.Dir, CoverKeys: cfg.Hexo.CoverKeys, Comments: cfg.Hexo.Comments, EscapeBraces: cfg.Hexo.EscapeBraces}
	r.hugo = hugo.Options{Dir: cfg.Hugo.Dir, EscapeBraces: true} // Hugo fails a whole build on {{< in a body
	// The fingerprint makes a changed rendering setting count as a change of
	// every item, so the next run re-renders (and rewrites only what differs).
	probe := "http://example.invalid/x.jpg"
	if proxy != nil {
		probe = proxy(probe)
	}
	r.fingerprint = fmt.Sprint(probe, cfg.Images.ProxyScope, cfg.Images.NoReferrer, cfg.Images.DefaultCover,
		cfg.Content.IframeHosts, cfg.Site.Timezone, r.hexo, r.hugo, renderVersion)
	return r
}

// renderVersion changes when the rendering code changes what it writes.
const renderVersion = 1

// Run fetches every source once (fetch.concurrency at a time), writes posts
// and returns the summary. Sources that fail are in the summary; the error
// return is for the run as a whole (store unusable, context cancelled).
func (r *Runner) Run(ctx context.Context) (*Summary, error) {
	start := r.now()
	if err := r.FinishPending(); err != nil {
		return nil, err
	}
	srcs := r.cfg.Sources
	if r.progress != nil {
		r.progress.Start(len(srcs))
	}
	results := make([]SourceResult, len(srcs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(r.cfg.Fetch.Concurrency, len(srcs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = r.RunSource(ctx, &srcs[i])
				if r.progress != nil {
					r.progress.SourceDone(results[i])
				}
			}
		}()
	}
feed:
	for i := range srcs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	sum := &Summary{Sources: []SourceResult{}}
	for i, res := range results {
		if res.Status == "" { // never started: the run was interrupted
			continue
		}
		sum.Sources = append(sum.Sources, results[i])
		sum.PostsWritten += res.Written
	}
	if ctx.Err() == nil {
		pruned, err := r.Prune(ctx, false)
		if err != nil {
			return sum, err
		}
		sum.Pruned = len(pruned)
	}
	total, err := r.st.CountItems("")
	if err != nil {
		return sum, err
	}
	sum.PostsTotal = total
	changed := sum.Pruned > 0
	for _, res := range sum.Sources {
		changed = changed || res.New+res.Updated > 0
	}
	if ctx.Err() == nil && (changed || r.siteStale() || r.cfg.Site.Dir != "" && !site.Current(r.siteOptions())) {
		st, err := r.BuildSite(ctx)
		sum.PagesWritten = st.Written
		if err != nil {
			return sum, err
		}
	}
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, ctx.Err()
}

// RunSource fetches one source and writes its posts. It never runs twice at
// once for the same source: a second caller gets "skipped".
func (r *Runner) RunSource(ctx context.Context, src *config.Source) SourceResult {
	start := r.now()
	res := SourceResult{Name: src.Key, URL: fetch.Redact(src.FetchURL)}
	r.mu.Lock()
	busy := r.active[src.Key]
	r.active[src.Key] = true
	r.mu.Unlock()
	if busy {
		res.Status = StatusSkipped
		res.Error = "already being fetched"
		return res
	}
	defer func() {
		r.mu.Lock()
		delete(r.active, src.Key)
		r.mu.Unlock()
	}()
	err := r.runSource(ctx, src, &res)
	if err != nil {
		res.Status = StatusFailed
		res.Error = err.Error()
	}
	res.Duration = r.now().Sub(start)
	return res
}

func (r *Runner) runSource(ctx context.Context, src *config.Source, res *SourceResult) error {
	state, _, err := r.st.Source(src.Key)
	if err != nil {
		return err
	}
	state.Key = src.Key
	// A source whose URL was changed in the config starts afresh: the
	// failures of the old URL say nothing about the new one. (Validators
	// already apply only to the URL they came from: see get.)
	if prev := state.Meta[metaConfigURL]; prev != "" && prev != src.URL {
		state.Failures = 0
		state.NextFetch = time.Time{}
	}
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	state.Meta[metaConfigURL] = src.URL
	if !src.Enabled {
		res.Status = StatusSkipped
		res.Note = "disabled"
		return nil
	}
	if r.backedOff(state, res) {
		return nil
	}
	fail := func(err error) error {
		if ctx.Err() != nil {
			// The run was stopped (SIGINT, serve shutting down): not the
			// source's fault, so it does not count towards its backoff.
			return err
		}
		state.LastStatus = StatusFailed
		state.LastError = err.Error()
		state.Failures++
		state.LastFetch = r.now()
		state.NextFetch = schedule.Next(state.LastFetch, src.Interval, 0, 0, state.Failures, src.Key)
		if serr := r.st.SaveSource(state); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	resp, fetched, err := r.get(ctx, src, &state)
	if err != nil {
		return fail(err)
	}
	state.URL = fetched
	r.resolveCategory(ctx, src, &state, fetched)
	state.LastFetch = r.now()
	state.Failures = 0
	state.LastError = ""
	if resp.NotModified {
		res.Status = StatusUnchanged
		res.Unchanged = lastItems(state)
		state.LastStatus = StatusUnchanged
		state.NextFetch = schedule.Next(state.LastFetch, src.Interval, storedTTL(state), resp.MaxAge, 0, src.Key)
		return r.st.SaveSource(state)
	}
	feed, err := parse.Parse(resp.Body, resp.ContentType, resp.URL)
	if err != nil {
		return fail(err)
	}
	if feed.Repaired {
		res.Note = "invalid UTF-8 or control characters repaired"
	}
	state.ETag, state.LastModified = resp.ETag, resp.LastModified
	state.FeedTitle, state.FeedLink = feed.Title, feed.Link
	setTTL(&state, feed.TTL)
	state.NextFetch = schedule.Next(state.LastFetch, src.Interval, feed.TTL, resp.MaxAge, 0, src.Key)

	if len(feed.Items) == 0 { // else it would read as a plain "unchanged"
		res.Note = joinNote(res.Note, "the feed has no items")
	}
	items, dups := r.selectItems(feed.Items, src)
	res.Duplicates = dups
	if err := r.ingest(ctx, src, feed.Title, items, res); err != nil {
		return fail(err)
	}
	if res.New+res.Updated == 0 {
		res.Status = StatusUnchanged
	} else {
		res.Status = StatusOK
	}
	state.LastStatus = res.Status
	state.LastNew, state.LastUpdated = res.New, res.Updated
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	state.Meta["last_items"] = fmt.Sprint(len(items))
	if n, err := r.st.CountItems(src.Key); err == nil {
		state.ItemsTotal = n
	}
	return r.st.SaveSource(state)
}

func lastItems(s store.Source) int {
	var n int
	fmt.Sscan(s.Meta["last_items"], &n)
	return n
}

// selectItems applies, in order: one item per guid (the first in feed order
// wins), include/exclude, max_age and limit (the newest N).
func (r *Runner) selectItems(items []parse.Item, src *config.Source) ([]parse.Item, int) {
	seen := make(map[string]bool, len(items))
	out := make([]parse.Item, 0, len(items))
	dups := 0
	now := r.now()
	for _, it := range items {
		if it.GUID != "" {
			if seen[it.GUID] {
				dups++
				continue
			}
			seen[it.GUID] = true
		}
		if !src.Include.Empty() && !match(src.Include, &it) {
			continue
		}
		if !src.Exclude.Empty() && match(src.Exclude, &it) {
			continue
		}
		if src.MaxAge > 0 {
			if d := itemDate(&it); !d.IsZero() && now.Sub(d) > src.MaxAge {
				continue
			}
		}
		out = append(out, it)
	}
	if src.Limit > 0 && len(out) > src.Limit {
		// Newest first by date; undated items keep their feed position
		// relative to each other (a stable sort with zero dates last would
		// drop them first, which is what "newest N" means for them too).
		sort.SliceStable(out, func(i, j int) bool { return itemDate(&out[i]).After(itemDate(&out[j])) })
		out = out[:src.Limit]
	}
	return out, dups
}

func itemDate(it *parse.Item) time.Time {
	if !it.Published.IsZero() {
		return it.Published
	}
	return it.Updated
}

// match reports whether any regexp of f matches the item.
func match(f config.Filter, it *parse.Item) bool {
	if f.Title != nil && f.Title.MatchString(content.Title(it.Title)) {
		return true
	}
	if f.Content != nil && f.Content.MatchString(content.Text(it.Content)) {
		return true
	}
	if f.Author != nil && f.Author.MatchString(it.Author) {
		return true
	}
	if f.Category != nil {
		for _, c := range it.Categories {
			if f.Category.MatchString(c) {
				return true
			}
		}
	}
	return false
}

// ingest stores the new and changed items, then writes their posts. Items go
// into the store first, marked pending, and are marked written only after
// their files are in place: a run killed in between leaves them pending, and
// the next run (finishPending) writes them, so no post is ever lost.
func (r *Runner) ingest(ctx context.Context, src *config.Source, feedTitle string, items []parse.Item, res *SourceResult) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	for i := range items {
		it := &items[i]
		ids[i] = post.ID(src.Key, it.GUID, it.Link, it.Title, it.Content)
	}
	states, err := r.st.ItemStates(src.Key, ids)
	if err != nil {
		return err
	}
	now := r.now().UTC()
	var changed []store.Item
	done := make(map[string]bool, len(items))
	for i := range items {
		it := &items[i]
		id := ids[i]
		if done[id] { // same identity twice in one fetch (no guid, same link)
			res.Duplicates++
			continue
		}
		done[id] = true
		h := r.hashItem(src, feedTitle, it)
		prev, exists := states[id]
		switch {
		case exists && prev.Pruned:
			continue
		case exists && prev.Hash == h && !prev.Pending:
			res.Unchanged++
			continue
		case exists:
			res.Updated++
		default:
			res.New++
		}
		firstSeen := now
		if exists && !prev.FirstSeen.IsZero() {
			firstSeen = prev.FirstSeen
		}
		changed = append(changed, store.Item{
			ID: id, SourceKey: src.Key, GUID: it.GUID, Link: it.Link, Title: it.Title,
			Content: it.Content, IsText: it.IsText, Base: it.Base, Author: it.Author,
			Images: it.Images, Categories: it.Categories,
			Published: it.Published, Updated: it.Updated, FirstSeen: firstSeen,
			Hash: h, Pending: true, FeedTitle: feedTitle, DedupeKey: r.dedupeKey(it),
		})
	}
	if len(changed) == 0 {
		return nil
	}
	if src.Fulltext {
		note, err := r.addFulltext(ctx, src, changed, states)
		if err != nil {
			return err
		}
		res.Note = joinNote(res.Note, note)
	}
	posts := r.renderAll(changed)
	// The cross-source dedupe check and the store write happen under one
	// lock, so two sources fetched at once cannot both keep the same story.
	r.dedupeMu.Lock()
	changed, posts, err = r.dropDuplicates(src.Key, changed, posts, states, res)
	if err == nil && len(changed) > 0 {
		err = r.st.PutItems(changed)
	}
	r.dedupeMu.Unlock()
	if err != nil || len(changed) == 0 {
		return err
	}
	written, err := r.writePosts(changed, posts)
	res.Written += written
	return err
}

// FinishPending writes the posts a killed run stored but did not write.
func (r *Runner) FinishPending() error {
	r.removeTemp()
	items, err := r.st.PendingItems()
	if err != nil || len(items) == 0 {
		return err
	}
	posts := r.renderAll(items)
	if err := r.st.PutItems(items); err != nil {
		return err
	}
	_, err = r.writePosts(items, posts)
	return err
}

// Render turns a stored item into a post under the current config.
func (r *Runner) Render(it *store.Item) post.Post {
	src := r.sources[it.SourceKey]
	raw := it.Content
	if it.Fulltext != "" {
		raw = it.Fulltext
	} else if it.IsText {
		raw = content.TextToHTML(raw)
	}
	body, first := content.Clean(raw, it.Base, r.copt)
	p := post.Post{
		ID:        it.ID,
		SourceKey: it.SourceKey,
		Title:     content.Title(it.Title),
		Link:      it.Link,
		Body:      body,
	}
	if p.Title == "" {
		p.Title = content.TitleFromText(raw, 60)
	}
	p.Author = it.FeedTitle
	if src != nil {
		if src.Author != "" {
			p.Author = src.Author
		}
		p.Categories = r.categoriesOf(src)
	}
	if len(p.Categories) == 0 {
		p.Categories = []string{firstNonEmpty(it.FeedTitle, it.SourceKey)}
	}
	if p.Author == "" {
		p.Author = firstNonEmpty(it.FeedTitle, it.SourceKey)
	}
	// Readers know a source by its author or feed title, not by its key
	// (often a URL).
	p.SourceName = p.Author
	p.Cover = content.ProxyImage(content.Cover(it.Images, first, r.cfg.Images.DefaultCover, it.ID), r.copt)
	loc := r.cfg.Site.Location
	switch {
	case !it.Published.IsZero():
		p.Date = it.Published.In(loc)
	case !it.Updated.IsZero():
		p.Date = it.Updated.In(loc)
	default:
		p.Date = it.FirstSeen.In(loc)
	}
	if !it.Updated.IsZero() {
		p.Updated = it.Updated.In(loc)
	}
	return p
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// hashItem digests everything that goes into the item's post: its raw
// fields, the source settings that shape it and the rendering fingerprint.
func (r *Runner) hashItem(src *config.Source, feedTitle string, it *parse.Item) string {
	h := sha256.New()
	// Strings go through a fixed buffer: sha256's Write takes a []byte, and
	// converting an 8 KB article to one is an allocation per item.
	var buf [2048]byte
	w := func(parts ...string) {
		for _, s := range parts {
			binary.LittleEndian.PutUint64(buf[:8], uint64(len(s)))
			h.Write(buf[:8])
			for len(s) > 0 {
				n := copy(buf[:], s)
				h.Write(buf[:n])
				s = s[n:]
			}
		}
	}
	w(r.fingerprint, feedTitle, src.Author, strings.Join(r.categoriesOf(src), "\x00"))
	if src.Fulltext { // turning fulltext on re-processes the items (and extracts them)
		w("fulltext")
	}
	w(it.GUID, it.Link, it.Title, it.Content, fmt.Sprint(it.IsText), it.Base, it.Author)
	w(it.Images...)
	w(it.Categories...)
	writeTime(h, it.Published)
	writeTime(h, it.Updated)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

func writeTime(h hash.Hash, t time.Time) {
	var n [8]byte
	if !t.IsZero() {
		binary.LittleEndian.PutUint64(n[:], uint64(t.UnixNano()))
	}
	h.Write(n[:])
}
