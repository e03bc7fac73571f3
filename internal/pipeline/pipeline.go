// Package pipeline runs feedpost's stages in order for every source —
// fetch → parse → content → store — and then the builder's — store →
// outputs — and reports what happened. The CLI and the daemon both drive
// it; it knows nothing of either.
//
// The two halves meet only in the store. A fetch ends with one commit of
// the source's new state and its new and changed items, rendered and
// marked pending; the builder writes the post files of pending items,
// prunes, and rebuilds the site when the store's generation moved. So a
// `run` is a fetch of every source followed by one build, a `serve` runs
// fetches and builds on goroutines of their own, and with a PostgreSQL
// store the halves may run in different processes on different machines.
package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/mirror"
	"github.com/feedpost/feedpost/internal/netguard"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/parse"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/schedule"
	"github.com/feedpost/feedpost/internal/store"
)

// Statuses of a source in a summary (docs/cli.md).
const (
	StatusOK        = "ok"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
)

// SourceResult is one line of the run summary.
type SourceResult struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Status     string `json:"status"`
	New        int    `json:"new"`
	Updated    int    `json:"updated"`
	Unchanged  int    `json:"unchanged"`
	Duplicates int    `json:"duplicates"`
	Error      string `json:"error"`
	Note       string `json:"note,omitempty"` // e.g. repaired encoding, fulltext fallbacks
	// BackedOffUntil is, for a source skipped after repeated failures, when
	// it is fetched again (`run --force` fetches it now).
	BackedOffUntil time.Time     `json:"backed_off_until,omitzero"`
	Duration       time.Duration `json:"-"`
}

// Summary is the result of a cycle or a build.
type Summary struct {
	Sources      []SourceResult `json:"sources"`
	PostsWritten int            `json:"posts_written"`
	PostsTotal   int            `json:"posts_total"`
	PagesWritten int            `json:"pages_written"` // built-in site files written
	Pruned       int            `json:"pruned"`        // posts removed by retention
	// Images counts what mirroring did (images.proxy: mirror); zero
	// otherwise.
	Images     ImageCounts `json:"images"`
	Note       string      `json:"note,omitempty"`
	DurationMS int64       `json:"duration_ms"`
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

	holder   string        // this process's name on leases and host slots
	leaseTTL time.Duration // how long a claim on a source lasts without renewal
	slotSeq  sequence

	render renderSettings // what every rendering depends on (fingerprint)

	sources map[string]*config.Source // by key: Render looks one up per item
	auto    autoCategories            // resolved `category: auto` paths

	mirror    *mirror.Mirror // images.proxy: mirror; nil otherwise
	mirrorErr error          // why the mirror could not be made (reported by the builder)

	buildMu    sync.Mutex // one build at a time in this process
	reconciled bool       // the stored renderings were checked against this config
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
	r := &Runner{cfg: cfg, st: st, client: opt.Client, now: opt.Now, progress: opt.Progress,
		ignoreBackoff: opt.IgnoreBackoff, holder: holderName(), leaseTTL: cfg.Fetch.Lease}
	if r.leaseTTL <= 0 {
		r.leaseTTL = config.DefaultLease
	}
	r.sources = make(map[string]*config.Source, len(cfg.Sources))
	for i := range cfg.Sources {
		r.sources[cfg.Sources[i].Key] = &cfg.Sources[i]
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.client == nil {
		fo := fetch.Options{
			Timeout:   cfg.Fetch.Timeout,
			Retries:   cfg.Fetch.Retries,
			MaxBytes:  cfg.Fetch.MaxBytes,
			UserAgent: cfg.Fetch.UserAgent,
			PerHost:   cfg.Fetch.PerHost,
		}
		if st != nil && st.Shared() && cfg.Fetch.PerHost > 0 {
			// fetch.per_host holds across every process of the store.
			fo.AcquireHost = r.acquireHostSlot
		}
		r.client = fetch.New(fo)
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
	r.hexo = hexoOptions(cfg.Hexo)
	r.hugo = hugo.NewOptions(cfg.Hugo.Dir) // braces escaped: Hugo fails a whole build on {{< in a body
	r.render = newRenderSettings(cfg, proxy)
	r.mirror, r.mirrorErr = newMirror(cfg)
	return r
}

// Holder is this Runner's name on leases and host slots: host, pid and a
// random part, so that two processes never share one.
func (r *Runner) Holder() string { return r.holder }

func holderName() string {
	host, _ := os.Hostname()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Run is one whole cycle in this process: every enabled source fetched
// once (fetch.concurrency at a time), then one build of the outputs. It
// returns the summary; sources that fail are in it, and the error return is
// for the run as a whole (store unusable, context cancelled).
//
// Sources are leased like the daemon's fetch workers lease them: two runs
// started at once on one PostgreSQL store share the work (a source one of
// them fetched since the other started is not fetched again), and a run
// beside a `serve --role fetch` never fetches a source the daemon holds.
func (r *Runner) Run(ctx context.Context) (*Summary, error) {
	start := r.now()
	if err := r.register(ctx); err != nil {
		return nil, err
	}
	began, err := r.st.Clock(ctx) // commits after this are this run's, or another's during it
	if err != nil {
		return nil, err
	}
	// Items an earlier run stored but could not write (a full disk, a
	// folder in the way): this run's build writes them, and says so.
	leftover, err := r.st.HasPending(ctx)
	if err != nil {
		return nil, err
	}
	srcs := r.cfg.Sources
	if r.progress != nil {
		r.progress.Start(len(srcs))
	}
	results := make([]SourceResult, len(srcs))
	var mu sync.Mutex
	done := func(i int, res SourceResult) {
		mu.Lock()
		results[i] = res
		mu.Unlock()
		if r.progress != nil {
			r.progress.SourceDone(res)
		}
	}
	// Sources another process holds are tried again after the others.
	todo := make([]int, len(srcs))
	for i := range todo {
		todo[i] = i
	}
	for len(todo) > 0 && ctx.Err() == nil {
		var busy []int
		var busyMu sync.Mutex
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range min(max(r.cfg.Fetch.Concurrency, 1), len(todo)) {
			wg.Go(func() {
				for i := range jobs {
					res, again := r.runOne(ctx, &srcs[i], began)
					if again {
						busyMu.Lock()
						busy = append(busy, i)
						busyMu.Unlock()
						continue
					}
					done(i, res)
				}
			})
		}
	feed:
		for _, i := range todo {
			select {
			case jobs <- i:
			case <-ctx.Done():
				break feed
			}
		}
		close(jobs)
		wg.Wait()
		todo = busy
		if len(todo) > 0 {
			sort.Ints(todo)
			if err := schedule.Sleep(ctx, time.Second); err != nil {
				break
			}
		}
	}
	sum := &Summary{Sources: []SourceResult{}}
	for _, res := range results {
		if res.Status != "" { // else never started: the run was interrupted
			sum.Sources = append(sum.Sources, res)
		}
	}
	if ctx.Err() == nil {
		b, err := r.BuildOutputs(ctx, BuildOptions{})
		sum.PostsWritten, sum.PagesWritten, sum.Pruned, sum.Note = b.PostsWritten, b.PagesWritten, b.Pruned, b.Note
		sum.Images = b.Images
		if leftover && b.PostsWritten > 0 {
			sum.Note = joinNote(sum.Note, "wrote the post files an earlier run left unwritten")
		}
		if err != nil {
			return sum, err
		}
	}
	total, err := r.st.CountItems(ctx, "")
	if err != nil && ctx.Err() == nil {
		return sum, err
	}
	sum.PostsTotal = total
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, ctx.Err()
}

// register tells the store which sources the config lists.
func (r *Runner) register(ctx context.Context) error {
	enabled := make(map[string]bool, len(r.cfg.Sources))
	for _, s := range r.cfg.Sources {
		enabled[s.Key] = s.Enabled
	}
	return r.st.RegisterSources(ctx, enabled)
}

// Register tells the store which sources the config lists, so that fetch
// workers lease only those (serve calls it once at start).
func (r *Runner) Register(ctx context.Context) error { return r.register(ctx) }

// runOne is one source of a Run: leased when nobody holds it and it was
// not fetched since the run started. again is true when another process
// holds it right now (the run tries it again later).
func (r *Runner) runOne(ctx context.Context, src *config.Source, runStart time.Time) (res SourceResult, again bool) {
	res = SourceResult{Name: src.Key, URL: fetch.Redact(src.FetchURL)}
	if !src.Enabled {
		res.Status, res.Note = StatusSkipped, "disabled"
		return res, false
	}
	taken, err := r.st.LeaseSource(ctx, src.Key, r.holder, r.leaseTTL, runStart)
	if err != nil {
		res.Status, res.Error = StatusFailed, err.Error()
		return res, false
	}
	if taken {
		return r.FetchLeased(ctx, src), false
	}
	holder, live, err := r.st.LeaseHolder(ctx, src.Key)
	if err == nil && holder != "" && live {
		return res, true
	}
	// Fetched by another process since this run started.
	state, _, err := r.st.Source(ctx, src.Key)
	if err != nil {
		res.Status, res.Error = StatusFailed, err.Error()
		return res, false
	}
	res.Status, res.Error = state.LastStatus, ""
	if res.Status == StatusFailed {
		res.Error = state.LastError
	}
	res.Note = "fetched by another process during this run"
	return res, false
}

// FetchLeased fetches src under the lease this Runner holds on it (from
// store.LeaseDue or LeaseSource): it renews the lease while the fetch
// runs, and the fetch's commit gives it back. If the lease is lost (this
// process stalled longer than fetch.lease and another took the source
// over), the fetch is stopped and nothing of it is stored.
func (r *Runner) FetchLeased(ctx context.Context, src *config.Source) SourceResult {
	start := r.now()
	res := SourceResult{Name: src.Key, URL: fetch.Redact(src.FetchURL)}
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := r.heartbeat(fctx, cancel, src.Key)
	err := r.fetchSource(fctx, src, &res)
	stop()
	// A fetch that failed because its lease was lost says so. (One whose
	// commit went through owned its lease at the commit, which checks it:
	// the heartbeat may see the lease released by that very commit before
	// it is stopped, which is no failure.)
	if cause := context.Cause(fctx); err != nil && errors.Is(cause, store.ErrLeaseLost) && ctx.Err() == nil {
		err = cause
	}
	if err != nil {
		res.Status = StatusFailed
		res.Error = err.Error()
		// A fetch that ended without its commit (stopped, lost lease,
		// store down) gives its lease back, if it is still its own.
		_ = r.st.ReleaseLease(context.WithoutCancel(ctx), src.Key, r.holder)
	}
	res.Duration = r.now().Sub(start)
	return res
}

// heartbeat renews the lease on key every third of its life until stop is
// called; when the lease turns out lost it cancels ctx with ErrLeaseLost.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, key string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(max(r.leaseTTL/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				held, err := r.st.RenewLease(ctx, key, r.holder, r.leaseTTL)
				if err == nil && !held {
					cancel(store.ErrLeaseLost)
					return
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// storeError marks an error of the store (or of the machine) in a fetch:
// it fails the fetch but is not the feed's fault, so it does not count
// towards the source's backoff.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// fetchSource fetches, parses and prepares one source and commits the
// result: the source's new state and its new and changed items together,
// or, on failure, the failure (with the validators it had before).
func (r *Runner) fetchSource(ctx context.Context, src *config.Source, res *SourceResult) error {
	state, _, err := r.st.Source(ctx, src.Key)
	if err != nil {
		return err
	}
	state.Key = src.Key
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	// A source whose URL was changed in the config starts afresh: the
	// failures of the old URL say nothing about the new one. (Validators
	// already apply only to the URL they came from: see get.)
	if prev := state.Meta[metaConfigURL]; prev != "" && prev != src.URL {
		state.Failures = 0
		state.NextFetch = time.Time{}
	}
	state.Meta[metaConfigURL] = src.URL
	if r.backedOff(state, res) {
		return r.commitState(ctx, state)
	}
	// next is the state the fetch leaves when it succeeds; state keeps the
	// one before, which a failure records (its validators included).
	next := state
	next.Meta = cloneMeta(state.Meta)
	resp, fetched, err := r.get(ctx, src, &state)
	if err != nil {
		return r.fail(ctx, src, state, err)
	}
	next.URL = fetched
	r.resolveCategory(ctx, src, &next, fetched)
	next.LastFetch = r.now()
	next.Failures = 0
	next.LastError = ""
	if resp.NotModified {
		res.Status = StatusUnchanged
		res.Unchanged = lastItems(next)
		next.LastStatus = StatusUnchanged
		next.NextFetch = schedule.Next(next.LastFetch, src.Interval, storedTTL(next), resp.MaxAge, 0, src.Key)
		return r.commitState(ctx, next)
	}
	feed, err := parse.Parse(resp.Body, resp.ContentType, resp.URL, parse.Options{Location: src.Location, LocalBase: localBase(src)})
	if err != nil {
		return r.fail(ctx, src, state, err)
	}
	for _, n := range feed.Notes { // repaired charset, recovered XML, coerced JSON fields
		res.Note = joinNote(res.Note, n)
	}
	next.ETag, next.LastModified = resp.ETag, resp.LastModified
	next.FeedTitle, next.FeedLink = feed.Title, feed.Link
	setTTL(&next, feed.TTL)
	setFeedIcon(&next, feed.Icon)
	next.NextFetch = schedule.Next(next.LastFetch, src.Interval, feed.TTL, resp.MaxAge, 0, src.Key)
	if len(feed.Items) == 0 { // else it would read as a plain "unchanged"
		res.Note = joinNote(res.Note, "the feed has no items")
	}
	items, dups := r.selectItems(feed.Items, src)
	res.Duplicates = dups
	next.Meta["last_items"] = fmt.Sprint(len(items))
	changed, err := r.prepare(ctx, src, feed.Title, items, res)
	if err != nil {
		return r.fail(ctx, src, state, err)
	}
	if res.New+res.Updated == 0 {
		res.Status = StatusUnchanged
	} else {
		res.Status = StatusOK
	}
	next.LastStatus = res.Status
	committed, err := r.st.CommitFetch(ctx, store.Fetch{Holder: r.holder, Source: next, Items: changed,
		Dedupe: store.Dedupe{Off: r.cfg.Dedupe == "off", SameStory: r.sameStory()}})
	if err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return err
		}
		return r.fail(ctx, src, state, &storeError{err})
	}
	res.New -= len(committed.Duplicates)
	res.Duplicates += len(committed.Duplicates)
	if res.New+res.Updated == 0 && res.Status == StatusOK {
		res.Status = StatusUnchanged
	}
	return nil
}

// commitState commits a fetch that stored no items (304, backoff skip).
func (r *Runner) commitState(ctx context.Context, state store.Source) error {
	_, err := r.st.CommitFetch(ctx, store.Fetch{Holder: r.holder, Source: state})
	return err
}

// fail records a failed fetch on the state the source had before it (so
// its validators stay those of the items last stored) and returns err. A
// failure of the feed counts towards the source's backoff; a failure of
// the store or a stopped run does not.
func (r *Runner) fail(ctx context.Context, src *config.Source, state store.Source, err error) error {
	if ctx.Err() != nil {
		// The run was stopped (SIGINT, serve shutting down): not the
		// source's fault, nothing to record.
		return err
	}
	state.LastStatus = StatusFailed
	state.LastError = err.Error()
	state.LastFetch = r.now()
	var se *storeError
	if errors.As(err, &se) {
		state.NextFetch = schedule.Next(state.LastFetch, src.Interval, 0, 0, 0, src.Key)
	} else {
		state.Failures++
		state.NextFetch = schedule.Next(state.LastFetch, src.Interval, 0, 0, state.Failures, src.Key)
	}
	if serr := r.commitState(ctx, state); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

func cloneMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
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
			if d := feedDate(&it); !d.IsZero() && now.Sub(d) > src.MaxAge {
				continue
			}
		}
		out = append(out, it)
	}
	if src.Limit > 0 && len(out) > src.Limit {
		// Newest first by date; undated items keep their feed position
		// relative to each other (a stable sort with zero dates last would
		// drop them first, which is what "newest N" means for them too).
		sort.SliceStable(out, func(i, j int) bool { return feedDate(&out[i]).After(feedDate(&out[j])) })
		out = out[:src.Limit]
	}
	return out, dups
}

// feedDate is the date the feed gives an item (post.SortDate without a
// first-seen time, which an item being selected does not have yet).
func feedDate(it *parse.Item) time.Time {
	return post.SortDate(it.Published, it.Updated, time.Time{})
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

// prepare classifies the fetched items against the store (new, updated,
// unchanged), and turns the new and changed ones into store items:
// extracted (fulltext), rendered under this Runner's settings and marked
// pending. Nothing is written here; the caller commits them.
func (r *Runner) prepare(ctx context.Context, src *config.Source, feedTitle string, items []parse.Item, res *SourceResult) ([]store.Item, error) {
	if len(items) == 0 {
		return nil, nil
	}
	ids := make([]string, len(items))
	for i := range items {
		it := &items[i]
		ids[i] = post.ID(src.Key, it.GUID, it.Link, it.Title, it.Content)
	}
	states, err := r.st.ItemStates(ctx, src.Key, ids)
	if err != nil {
		return nil, &storeError{err}
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
		case exists && prev.Hash == h:
			// Unchanged. If its files are not written yet (pending), the
			// builder writes them; if its rendering is stale, the builder
			// renders it again.
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
		} else if t, ok := r.writtenDate(id, it); ok {
			firstSeen = t // the store was lost, the post was not
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
		return nil, nil
	}
	if src.Fulltext {
		note, err := r.addFulltext(ctx, src, changed, states)
		if err != nil {
			return nil, err
		}
		res.Note = joinNote(res.Note, note)
	}
	r.renderAll(changed)
	return changed, nil
}

// hashItem digests the item's raw fields as the feed gave them, and the
// source settings that change what is stored for it (fulltext). Equal
// hashes mean the stored item needs no update. Rendering settings are not
// in it: they are the rendering's fingerprint, checked by the builder.
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
	w(hashVersion, feedTitle)
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

// hashVersion changes when what hashItem digests changes.
const hashVersion = "raw-2"

func writeTime(h hash.Hash, t time.Time) {
	var n [8]byte
	if !t.IsZero() {
		binary.LittleEndian.PutUint64(n[:], uint64(t.UnixNano()))
	}
	h.Write(n[:])
}

// Render turns a stored item into a post under the current config. In
// mirror mode its images are shown as not mirrored yet (images.fallback):
// the builder renders it again with its images (mirrorBatch).
func (r *Runner) Render(it *store.Item) post.Post {
	if r.mirror != nil {
		return r.renderPost(it, r.provisional())
	}
	return r.renderPost(it, nil)
}

// renderPost is Render with the images mapped through m (mirror mode), or
// through the configured proxy when m is nil.
func (r *Runner) renderPost(it *store.Item, m *imageMap) post.Post {
	src := r.sources[it.SourceKey]
	raw := it.Content
	if it.Fulltext != "" {
		raw = it.Fulltext
	} else if it.IsText {
		raw = content.TextToHTML(raw)
	}
	copt := r.copt
	copt.LocalBase = localBase(src)
	if m != nil {
		copt = r.mirrorOptions(copt, m)
	}
	body, first := content.Clean(raw, it.Base, copt)
	p := post.Post{
		ID:        it.ID,
		SourceKey: it.SourceKey,
		Title:     content.Title(it.Title),
		Link:      content.SafeURL(it.Link),
		Body:      body,
	}
	if p.Title == "" {
		p.Title = content.TitleFromText(raw, 60)
	}
	// Names become inert labels and categories path-safe here, wherever
	// they came from (config, feed title, OPML, RSSHub): themes print them raw.
	p.Author = content.Label(it.FeedTitle)
	if src != nil {
		if src.Author != "" {
			p.Author = content.Label(src.Author)
		}
		p.Categories = content.CategoryPath(r.categoriesOf(src))
	}
	if len(p.Categories) == 0 {
		p.Categories = []string{firstNonEmpty(content.Category(it.FeedTitle), content.Category(it.SourceKey))}
	}
	if p.Author == "" {
		p.Author = firstNonEmpty(content.Label(it.FeedTitle), content.Label(it.SourceKey))
	}
	// Readers know a source by its author or feed title, not by its key
	// (often a URL).
	p.SourceName = p.Author
	cover := content.Cover(it.Images, first, r.cfg.Images.DefaultCover, it.ID)
	if m != nil {
		c, thumb := m.cover(cover)
		p.Cover, p.Thumbnail = content.SafeURL(c), content.SafeURL(thumb)
	} else {
		p.Cover = content.SafeURL(content.ProxyImage(cover, copt))
	}
	loc := r.cfg.Site.Location
	p.Date = it.SortDate().In(loc)
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

// sequence numbers things of this process (host slot holders).
type sequence struct {
	mu sync.Mutex
	n  uint64
}

func (s *sequence) next() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n
}

// joinNote appends b to the note a, "; "-separated.
func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
