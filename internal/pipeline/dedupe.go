package pipeline

import (
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/dedupe"
	"github.com/feedpost/feedpost/internal/parse"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

// dedupeKey is the cross-source identity of an item under `dedupe:`: its
// normalised link, or its normalised title; "" when dedupe is off or the
// item has none.
func (r *Runner) dedupeKey(it *parse.Item) string {
	switch r.cfg.Dedupe {
	case "link":
		return dedupe.LinkKey(it.Link)
	case "title":
		if k := dedupe.TitleKey(content.Title(it.Title)); k != "" {
			return "title:" + k
		}
	}
	return ""
}

// dropDuplicates removes from items (and their posts) the new ones another
// source already brought: same dedupe key; for titles, within 48 hours. They
// count as duplicates, not as new. The caller holds r.dedupeMu until the kept
// items are stored.
func (r *Runner) dropDuplicates(sourceKey string, items []store.Item, posts []post.Post, states map[string]store.ItemState, res *SourceResult) ([]store.Item, []post.Post, error) {
	if r.cfg.Dedupe == "off" {
		return items, posts, nil
	}
	// Only new items are checked (an item already kept stays), all in one
	// query.
	var keys []string
	for i := range items {
		if _, exists := states[items[i].ID]; !exists && items[i].DedupeKey != "" {
			keys = append(keys, items[i].DedupeKey)
		}
	}
	if len(keys) == 0 {
		return items, posts, nil
	}
	hits, err := r.st.FindByDedupeKeys(keys)
	if err != nil {
		return nil, nil, err
	}
	keptItems, keptPosts := items[:0], posts[:0]
	for i := range items {
		it := &items[i]
		if _, exists := states[it.ID]; !exists && it.DedupeKey != "" {
			dup, err := r.isDuplicate(sourceKey, it, hits[it.DedupeKey])
			if err != nil {
				return nil, nil, err
			}
			if dup {
				res.New--
				res.Duplicates++
				continue
			}
		}
		keptItems = append(keptItems, *it)
		keptPosts = append(keptPosts, posts[i])
	}
	return keptItems, keptPosts, nil
}

// isDuplicate reports whether it is the same story as other, the stored
// item its dedupe key found (zero when none).
func (r *Runner) isDuplicate(sourceKey string, it *store.Item, other store.DedupeHit) (bool, error) {
	if other.ID == "" || other.ID == it.ID || other.SourceKey == sourceKey {
		return false, nil
	}
	if r.cfg.Dedupe != "title" {
		return true, nil
	}
	stored, ok, err := r.st.Item(other.ID)
	if err != nil || !ok {
		return false, err
	}
	return dedupe.SameStory(itemSortDate(it), itemSortDate(&stored)), nil
}
