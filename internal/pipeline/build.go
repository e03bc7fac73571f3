package pipeline

import (
	"bytes"
	"context"

	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/store"
)

// Build rewrites every output from the store alone, under the current config:
// each stored item is rendered again and written where it differs. Nothing is
// fetched.
func (r *Runner) Build(ctx context.Context) (*Summary, error) {
	start := r.now()
	if err := r.FinishPending(); err != nil {
		return nil, err
	}
	sum := &Summary{Sources: []SourceResult{}} // nothing fetched
	// The new renderings go back to the store (in batches), so the site,
	// built from the store, follows a config change too.
	var batch []store.Item
	flush := func() error {
		err := r.st.PutItems(batch)
		batch = batch[:0]
		return err
	}
	err := r.st.EachItem(func(it store.Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := r.Render(&it)
		sum.PostsTotal++
		n, err := r.writePost(p)
		sum.PostsWritten += n
		if err != nil {
			return err
		}
		rendered, body := encodePost(&p)
		if bytes.Equal(rendered, it.Rendered) && body == it.Body {
			return nil // the store has this rendering already: no write
		}
		it.Rendered, it.Body = rendered, body
		if batch = append(batch, it); len(batch) >= 200 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		var st site.Stats
		st, err = r.BuildSite(ctx)
		sum.PagesWritten = st.Written
	}
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, err
}
