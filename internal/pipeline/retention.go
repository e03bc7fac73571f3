package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
	"github.com/feedpost/feedpost/internal/retention"
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
// the limits lose their files and are marked pruned in the store, which keeps
// their identity so a feed that still lists them never brings them back. With
// dryRun nothing changes; the list says what would go.
func (r *Runner) Prune(ctx context.Context, dryRun bool) ([]Pruned, error) {
	k := r.cfg.Keep
	if k.MaxAge == 0 && k.MaxPosts == 0 && k.PerSource == 0 {
		return nil, nil
	}
	var entries []retention.Entry
	info := map[string]Pruned{}
	err := r.st.EachItem(func(it store.Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := itemSortDate(&it)
		entries = append(entries, retention.Entry{ID: it.ID, SourceKey: it.SourceKey, Date: d})
		info[it.ID] = Pruned{ID: it.ID, Source: it.SourceKey, Title: it.Title, Date: d}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := retention.Select(entries, retention.Limits{MaxAge: k.MaxAge, MaxPosts: k.MaxPosts, PerSource: k.PerSource}, r.now())
	out := make([]Pruned, 0, len(ids))
	for _, id := range ids {
		out = append(out, info[id])
	}
	if dryRun || len(ids) == 0 {
		return out, nil
	}
	if err := r.markSiteStale(); err != nil {
		return nil, err
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
	if err := r.st.Prune(ids); err != nil {
		return nil, err
	}
	return out, nil
}

// itemSortDate is the date a post is listed and kept by: published, else
// updated, else first seen.
func itemSortDate(it *store.Item) time.Time {
	switch {
	case !it.Published.IsZero():
		return it.Published
	case !it.Updated.IsZero():
		return it.Updated
	}
	return it.FirstSeen
}
