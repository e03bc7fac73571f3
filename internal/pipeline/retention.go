package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/store"
)

// Pruned is one post removed (or, in a dry run, to be removed) by retention.
type Pruned struct {
	ID     string    `json:"id"`
	Source string    `json:"source"`
	Title  string    `json:"title"`
	Date   time.Time `json:"date"`
}

// Prune applies `keep:` (max_age, max_posts, per_source): the posts beyond
// the limits (chosen by the store in one query, store.PruneCandidates) lose
// their files and are marked pruned in the store, which keeps their
// identity so a feed that still lists them never brings them back. With
// dryRun nothing changes; the list says what would go.
func (r *Runner) Prune(ctx context.Context, dryRun bool) ([]Pruned, error) {
	k := r.cfg.Keep
	cands, err := r.st.PruneCandidates(ctx, store.Limits{MaxAge: k.MaxAge, MaxPosts: k.MaxPosts, PerSource: k.PerSource}, r.now())
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	out := make([]Pruned, len(cands))
	ids := make([]string, len(cands))
	for i, c := range cands {
		out[i] = Pruned{ID: c.ID, Source: c.SourceKey, Title: content.Title(c.Title), Date: c.Date}
		ids[i] = c.ID
	}
	if dryRun {
		return out, nil
	}
	// Files first, then the store: a run killed in between leaves items
	// whose files are gone but which are still live; the next prune removes
	// them again (Remove of a missing file is fine).
	for _, id := range ids {
		if r.hexo.Dir != "" {
			if err := hexo.Remove(id, r.hexo); err != nil {
				return nil, fmt.Errorf("prune %s: %w", id, err)
			}
		}
		if r.hugo.Dir != "" {
			if err := hugo.Remove(id, r.hugo); err != nil {
				return nil, fmt.Errorf("prune %s: %w", id, err)
			}
		}
	}
	if err := r.st.Prune(ctx, ids); err != nil {
		return nil, err
	}
	// Mirror mode: the images only the pruned posts used go with them.
	if _, err := r.PruneImages(ctx, false); err != nil {
		return out, err
	}
	return out, nil
}
