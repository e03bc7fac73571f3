package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// The builder: the only part of feedpost that writes outputs. It follows
// the store, not the fetches: whatever process stored an item, the builder
// finds it pending and writes its post files; whenever the store's
// generation moved, it rebuilds the site. It keeps no state of its own but
// the build state it records in the store, so any process can take over.

// BuildOptions tune BuildOutputs.
type BuildOptions struct {
	// Full renders every stored item again under the current config and
	// writes every output (`feedpost build`). Without it only what the
	// store says changed is done.
	Full bool
}

// BuildResult is what one BuildOutputs did.
type BuildResult struct {
	Built        bool  // false when another process is the active builder
	PostsWritten int   // post files written (new or changed bytes)
	PagesWritten int   // site files written
	Pruned       int   // posts removed by retention
	Generation   int64 // the store generation the outputs now show
	Note         string
	Images       ImageCounts // mirror mode: images mirrored, reused, failed
}

// postBatch is how many posts the builder writes (and makes durable) at
// once before marking them written.
const postBatch = 256

// BuildOutputs brings the outputs up to date with the store, as the one
// active builder (a process that cannot take the builder lock returns with
// Built false: the active builder will do it):
//
//  1. the first time in this process, or when the output settings changed
//     since the last build (config, binary, machine), every post file is
//     written again from the stored renderings; renderings made under other
//     settings (their fingerprint differs) are rendered again first;
//  2. the post files of pending items are written, in batches made durable
//     together, and the items marked written;
//  3. `keep:` is applied;
//  4. the site is rebuilt when the generation moved since the last build
//     (or the site folder does not hold a current build), and the build
//     state is recorded.
//
// Each step is idempotent: a build killed anywhere is completed by the next.
func (r *Runner) BuildOutputs(ctx context.Context, opt BuildOptions) (BuildResult, error) {
	r.buildMu.Lock()
	defer r.buildMu.Unlock()
	var res BuildResult
	lock := r.builderLock()
	held, err := lock.TryAcquire(ctx)
	if err != nil {
		return res, err
	}
	if !held || !lock.Held(ctx) {
		res.Note = "another process is the active builder: it writes the outputs"
		return res, nil
	}
	res.Built = true
	if r.mirrorErr != nil {
		return res, r.mirrorErr
	}
	state, err := r.st.BuildState(ctx)
	if err != nil {
		return res, err
	}
	outputs := r.outputsFingerprint()
	full := opt.Full || state.Outputs != outputs
	if !r.reconciled {
		r.removeTemp()
	}
	if r.mirror != nil && (full || !r.reconciled) {
		// Mirror mode renders only with the posts' images at hand, which
		// writePending has: stale posts (every post for `build`) go there.
		if err := r.markStale(ctx, opt.Full); err != nil {
			return res, err
		}
	}
	switch {
	case full:
		// Every post file again, but the pending ones: writePending, next,
		// writes those once (and marks them written).
		n, err := r.rewrite(ctx, func(ctx context.Context, fn func(store.Item) error) error {
			return r.st.EachItem(ctx, func(it store.Item) error {
				if it.Pending {
					return nil
				}
				return fn(it)
			})
		}, opt.Full && r.mirror == nil, true)
		res.PostsWritten += n
		if err != nil {
			return res, err
		}
	case !r.reconciled && r.mirror == nil:
		n, err := r.rewriteStale(ctx)
		res.PostsWritten += n
		if err != nil {
			return res, err
		}
	}
	r.reconciled = true
	if r.mirror != nil {
		c, err := r.retryImages(ctx)
		res.Images.add(c)
		if err != nil {
			return res, err
		}
	}
	n, err := r.writePending(ctx, &res.Images)
	res.PostsWritten += n
	if err != nil {
		return res, err
	}
	res.Note = joinNote(res.Note, r.writeAuthors(ctx))
	pruned, err := r.Prune(ctx, false)
	res.Pruned = len(pruned)
	if err != nil {
		return res, err
	}
	gen, err := r.st.Generation(ctx)
	if err != nil {
		return res, err
	}
	res.Generation = gen
	if full || gen != state.Generation || (r.cfg.Site.Dir != "" && !site.Current(r.siteOptions())) {
		st, err := r.BuildSite(ctx)
		res.PagesWritten = st.Written
		if err != nil {
			return res, err
		}
	}
	return res, r.st.SetBuildState(ctx, store.BuildState{Generation: gen, Outputs: outputs})
}

// builderLock is the store's builder lock (the process's).
func (r *Runner) builderLock() *store.BuilderLock { return r.st.BuilderLock() }

// IsBuilder reports whether this Runner holds the builder lock.
func (r *Runner) IsBuilder(ctx context.Context) bool { return r.builderLock().Held(ctx) }

// TakeBuilder tries to become the active builder; held reports whether
// this Runner is it now.
func (r *Runner) TakeBuilder(ctx context.Context) (held bool, err error) {
	return r.builderLock().TryAcquire(ctx)
}

// Close gives up what the Runner holds in the store: the builder lock and
// the leases of fetches that did not finish.
func (r *Runner) Close() error {
	err := r.builderLock().Release()
	return errors.Join(err, r.st.ReleaseLeases(context.Background(), r.holder))
}

// Build rewrites every output from the store alone, under the current
// config: each stored item is rendered again and written where it
// differs, then the site is built. Nothing is fetched.
func (r *Runner) Build(ctx context.Context) (*Summary, error) {
	start := r.now()
	b, err := r.BuildOutputs(ctx, BuildOptions{Full: true})
	sum := &Summary{Sources: []SourceResult{}, PostsWritten: b.PostsWritten, PagesWritten: b.PagesWritten,
		Pruned: b.Pruned, Note: b.Note, Images: b.Images}
	if err == nil {
		sum.PostsTotal, err = r.st.CountItems(ctx, "")
	}
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, err
}

// writePending writes the post files of the pending items, a batch at a
// time: the batch's files are written and made durable together, then its
// items are marked written. A rendering made under other settings than the
// builder's is rendered again first (and stored). It returns how many
// files changed.
func (r *Runner) writePending(ctx context.Context, images *ImageCounts) (int, error) {
	written := 0
	after := ""
	for {
		items, err := r.st.PendingItems(ctx, after, postBatch)
		if err != nil || len(items) == 0 {
			return written, err
		}
		after = items[len(items)-1].ID
		if r.mirror != nil {
			n, err := r.writeMirrored(ctx, items, images)
			written += n
			if err != nil {
				return written, err
			}
			continue
		}
		var files []output.File
		var renderings []store.Rendering
		ids := make([]string, 0, len(items))
		for i := range items {
			it := &items[i]
			p, re, err := r.postOf(ctx, it, false)
			if err != nil {
				return written, err
			}
			if re != nil {
				renderings = append(renderings, *re)
			}
			if files, err = r.postFiles(files, &p); err != nil {
				return written, err
			}
			ids = append(ids, it.ID)
		}
		n, err := writeFiles(files)
		written += n
		if err != nil {
			return written, err // the items stay pending: the next build finishes them
		}
		if err := r.st.SaveRenderings(ctx, renderings); err != nil {
			return written, err
		}
		if err := r.st.MarkWritten(ctx, ids); err != nil {
			return written, err
		}
	}
}

// writeMirrored is writePending's batch in mirror mode: the posts are
// rendered with their images mirrored (durable first), written, and their
// renderings stored with the images they use.
func (r *Runner) writeMirrored(ctx context.Context, items []store.Item, images *ImageCounts) (int, error) {
	posts, rs, uses, counts, err := r.mirrorBatch(ctx, items)
	images.add(counts)
	if err != nil {
		return 0, err
	}
	var files []output.File
	ids := make([]string, len(items))
	for i := range posts {
		if files, err = r.postFiles(files, &posts[i]); err != nil {
			return 0, err
		}
		ids[i] = items[i].ID
	}
	n, err := writeFiles(files)
	if err != nil {
		return n, err // the items stay pending: the next build finishes them
	}
	if err := r.st.SaveMirrored(ctx, rs, uses); err != nil {
		return n, err
	}
	return n, r.st.MarkWritten(ctx, ids)
}

// postOf returns the post of a stored item: its stored rendering when it
// was made under this Runner's settings, else a new one, which it also
// returns for the store. rerender renders it again anyway.
func (r *Runner) postOf(ctx context.Context, it *store.Item, rerender bool) (post.Post, *store.Rendering, error) {
	fp := r.fingerprint(it.SourceKey)
	if !rerender && it.Fingerprint == fp && len(it.Rendered) > 0 {
		var p post.Post
		if err := json.Unmarshal(it.Rendered, &p); err == nil {
			p.Body = it.Body
			if p.Body == "" { // stored before bodies had a column of their own
				p2, err := r.storedPost(ctx, it.ID, it.Rendered)
				if err != nil {
					return p, nil, err
				}
				p.Body = p2.Body
			}
			return p, nil, nil
		}
	}
	p := r.Render(it)
	meta, body := encodePost(&p)
	return p, &store.Rendering{ID: it.ID, Rendered: meta, Body: body, Fingerprint: fp}, nil
}

// rewriteStale renders again, stores and writes the posts whose stored
// rendering was made under other settings than this Runner's (a config
// change since they were rendered). Finding them reads a few bytes per
// post (store.EachFingerprint); only the stale ones are loaded.
func (r *Runner) rewriteStale(ctx context.Context) (int, error) {
	stale, err := r.staleIDs(ctx)
	if err != nil || len(stale) == 0 {
		return 0, err
	}
	return r.rewrite(ctx, func(ctx context.Context, fn func(store.Item) error) error {
		for _, id := range stale {
			it, found, err := r.st.Item(ctx, id)
			if err != nil {
				return err
			}
			if found && !it.Pruned {
				if err := fn(it); err != nil {
					return err
				}
			}
		}
		return nil
	}, false, true)
}

// staleIDs lists the posts whose stored rendering was made under other
// settings than this Runner's.
func (r *Runner) staleIDs(ctx context.Context) ([]string, error) {
	var stale []string
	err := r.st.EachFingerprint(ctx, func(id, sourceKey, fp string) error {
		if fp != r.fingerprint(sourceKey) {
			stale = append(stale, id)
		}
		return nil
	})
	return stale, err
}

// rewrite takes the items each gives and, on every core, renders each
// again when its rendering is stale (or always, with rerender), writing
// its post files when writeAll or when it was rendered again. The new
// renderings go back to the store in batches; the files are written in
// batches made durable together. It returns how many files changed.
func (r *Runner) rewrite(ctx context.Context, each func(context.Context, func(store.Item) error) error, rerender, writeAll bool) (int, error) {
	type rendered struct {
		files []output.File
		re    *store.Rendering
		err   error
	}
	todo := make(chan store.Item, 64)
	done := make(chan rendered, 64)
	var failed errOnce // the first error stops reading more items
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			for it := range todo {
				if r.mirror != nil && it.Pending {
					// Mirror mode: writePending renders it with its images.
					done <- rendered{}
					continue
				}
				p, re, err := r.postOf(ctx, &it, rerender)
				var files []output.File
				if err == nil && (writeAll || re != nil) {
					files, err = r.postFiles(nil, &p)
				}
				// A rendering equal to the stored one need not be stored.
				if re != nil && string(re.Rendered) == string(it.Rendered) && re.Body == it.Body && re.Fingerprint == it.Fingerprint {
					re = nil
				}
				done <- rendered{files: files, re: re, err: err}
			}
		})
	}
	written := 0
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		var files []output.File
		var renderings []store.Rendering
		flush := func() {
			if failed.get() == nil {
				n, err := writeFiles(files)
				written += n
				if err != nil {
					failed.set(err)
				} else if err := r.st.SaveRenderings(ctx, renderings); err != nil {
					failed.set(err)
				}
			}
			files, renderings = files[:0], renderings[:0]
		}
		for res := range done {
			if res.err != nil {
				failed.set(res.err)
			}
			files = append(files, res.files...)
			if res.re != nil {
				renderings = append(renderings, *res.re)
			}
			if len(files) >= postBatch || len(renderings) >= postBatch {
				flush()
			}
		}
		flush()
	}()
	err := each(ctx, func(it store.Item) error {
		if err := failed.get(); err != nil {
			return err
		}
		select {
		case todo <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(todo)
	workers.Wait()
	close(done)
	<-stored
	if ferr := failed.get(); ferr != nil && (err == nil || errors.Is(err, ferr)) {
		err = ferr
	}
	if err != nil {
		return written, fmt.Errorf("rewrite outputs: %w", err)
	}
	return written, nil
}

// errOnce keeps the first error set, for goroutines to share.
type errOnce struct {
	mu  sync.Mutex
	err error
}

func (e *errOnce) set(err error) {
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

func (e *errOnce) get() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
