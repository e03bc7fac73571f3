package pipeline

import (
	"context"

	"github.com/feedpost/feedpost/internal/output/site"
	"github.com/feedpost/feedpost/internal/post"
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
	withSite := r.cfg.Site.Dir != ""
	var posts []post.Post
	err := r.st.EachItem(func(it store.Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := r.Render(&it)
		sum.PostsTotal++
		n, err := r.writePost(p)
		sum.PostsWritten += n
		if withSite {
			posts = append(posts, p)
		}
		return err
	})
	if err == nil && withSite {
		var st site.Stats
		st, err = site.Build(posts, r.siteOptions())
		sum.PagesWritten = st.Written
	}
	sum.DurationMS = r.now().Sub(start).Milliseconds()
	return sum, err
}
