package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/scraper"
	"github.com/feedpost/feedpost/internal/store"
)

// addFulltext fills Fulltext of items (new or changed items of a
// `fulltext: true` source) before they are rendered:
//
//   - an item whose extracted article is already stored gets it back from
//     the store: an article is extracted once per item, never refetched,
//     even when the feed's version of the item changes;
//   - the others are extracted now, in parallel. The pages go through the
//     Runner's guarded content client: an item link is written by whoever
//     controls the feed, so it may not reach loopback, private, link-local
//     (cloud metadata) or similar addresses, checked on the resolved
//     address at dial time, redirects included — else a feed could publish
//     an intranet page or a metadata answer as a post. A source with
//     `allow_private: true` (an intranet feed whose articles are on the
//     intranet too) uses a client with the guard open. All share the per-host
//     slots, so fetch.per_host bounds how many hit one site at once, and
//     timeouts and max_bytes apply as for feeds.
//
// An item whose extraction fails keeps the feed's own content; the returned
// note says how many failed and why (the first error), and the source stays
// "ok". The error return is for the store, or for a stopped run: items are
// then not stored, so the next run extracts them again.
func (r *Runner) addFulltext(ctx context.Context, src *config.Source, items []store.Item, states map[string]store.ItemState) (string, error) {
	client := r.content
	if src.AllowPrivate {
		client = r.private
	}
	var todo []int
	for i := range items {
		it := &items[i]
		if states[it.ID].HasFulltext {
			stored, ok, err := r.st.Item(ctx, it.ID)
			if err != nil {
				return "", err
			}
			if ok && stored.Fulltext != "" {
				it.Fulltext = stored.Fulltext
				continue
			}
		}
		todo = append(todo, i)
	}
	errs := make([]error, len(items))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(max(r.cfg.Fetch.Concurrency, 1), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				it := &items[i]
				if it.Link == "" {
					errs[i] = fmt.Errorf("item %q has no link", it.Title)
					continue
				}
				it.Fulltext, errs[i] = scraper.Extract(ctx, client, it.Link)
			}
		}()
	}
	for _, i := range todo {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	switch failed {
	case 0:
		return "", nil
	case 1:
		return fmt.Sprintf("fulltext failed for 1 item: %v", first), nil
	}
	return fmt.Sprintf("fulltext failed for %d items: %v", failed, first), nil
}
