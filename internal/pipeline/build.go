package pipeline

import (
	"context"
	"fmt"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/store"
)

// Build rewrites every output from the store alone, under the current config:
// each stored item is rendered again and written where it differs. Nothing is
// fetched.
func (r *Runner) Build(ctx context.Context) (*Summary, error) {
	start := r.now()
	if err := r.finishPending(); err != nil {
		return nil, err
	}
	sum := &Summary{}
	err := r.st.EachItem(func(it store.Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := r.Render(&it)
		sum.PostsTotal++
		if r.hexo.Dir != "" {
			ok, err := hexo.Write(p, r.hexo)
			if err != nil {
				return fmt.Errorf("post %s: %w", p.ID, err)
			}
			if ok {
				sum.PostsWritten++
			}
		}
		return nil
	})
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, err
}
