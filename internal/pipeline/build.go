package pipeline

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/store"
)

// Build rewrites every output from the store alone, under the current config:
// each stored item is rendered again and written where it differs. Nothing is
// fetched.
//
// Items are rendered on every core (rendering, mostly cleaning the HTML, is
// most of the work); the store is read by one goroutine and written by
// another, in batches.
func (r *Runner) Build(ctx context.Context) (*Summary, error) {
	start := r.now()
	if err := r.FinishPending(); err != nil {
		return nil, err
	}
	sum := &Summary{Sources: []SourceResult{}} // nothing fetched

	type rendered struct {
		it      store.Item
		written int  // post files changed
		changed bool // the rendering differs from the stored one
		err     error
	}
	// The post files go through one durable Writer, made durable a batch
	// at a time (syncBatch results) rather than one fsync per file.
	w := output.NewWriter(output.WriterOptions{Durable: true})
	todo := make(chan store.Item, 64)
	done := make(chan rendered, 64)
	var failed errOnce // the first error stops reading more items
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			for it := range todo {
				p := r.Render(&it)
				n, err := r.writePost(w, p)
				meta, body := encodePost(&p)
				changed := !bytes.Equal(meta, it.Rendered) || body != it.Body
				it.Rendered, it.Body = meta, body
				done <- rendered{it: it, written: n, changed: changed, err: err}
			}
		})
	}
	// The new renderings go back to the store (in batches), so the site,
	// built from the store, follows a config change too. Renderings the
	// store has already are not written again.
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		var batch []store.Item
		flush := func() {
			if err := r.st.PutItems(batch); err != nil {
				failed.set(err)
			}
			batch = batch[:0]
		}
		for res := range done {
			if sum.PostsTotal++; sum.PostsTotal%syncBatch == 0 {
				if err := w.Sync(); err != nil {
					failed.set(err)
				}
			}
			sum.PostsWritten += res.written
			if res.err != nil {
				failed.set(res.err)
			}
			if res.changed && failed.get() == nil {
				if batch = append(batch, res.it); len(batch) >= 200 {
					flush()
				}
			}
		}
		if len(batch) > 0 && failed.get() == nil {
			flush()
		}
	}()
	err := r.st.EachItem(func(it store.Item) error {
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
	if serr := w.Sync(); serr != nil {
		failed.set(serr)
	}
	if ferr := failed.get(); ferr != nil && (err == nil || errors.Is(err, ferr)) {
		err = ferr
	}
	if err == nil {
		var st site.Stats
		st, err = r.BuildSite(ctx)
		sum.PagesWritten = st.Written
	}
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, err
}

// syncBatch is how many posts Build renders between two syncs of their
// files.
const syncBatch = 256

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
