// Package retention decides which posts the `keep:` limits remove.
//
// It only selects: the caller (the pipeline, `prune --dry-run`) removes the
// files, marks the store rows pruned and rebuilds the outputs. Keeping the
// choice a pure function of (entries, limits, now) makes "exactly the posts
// beyond each limit" easy to state and to test.
package retention

import (
	"cmp"
	"slices"
	"time"
)

// Limits mirrors config.Keep; a zero field means no limit.
type Limits struct {
	MaxAge    time.Duration // posts dated before now-MaxAge go
	MaxPosts  int           // at most this many posts overall (the newest)
	PerSource int           // at most this many posts per source (the newest)
}

// Entry is one live (not yet pruned) post.
type Entry struct {
	ID        string
	SourceKey string
	Date      time.Time // the post's date (published, else updated, else first seen)
}

// Select returns the ids of the entries to prune, sorted, each once.
//
// The limits apply in this order, each to what the previous one kept:
//  1. PerSource: in every source, the entries beyond its PerSource newest;
//  2. MaxPosts: of what is left, the entries beyond the MaxPosts newest;
//  3. MaxAge: of what is left, the entries dated strictly before now-MaxAge.
//
// Per-source comes first so that one busy source cannot use up the overall
// budget with posts it would lose anyway; age is independent of the order.
// "Newest" orders by Date, newest first, and ties by id (the smaller id
// counts as newer), so the choice never depends on the input's order.
func Select(entries []Entry, lim Limits, now time.Time) []string {
	live := make([]Entry, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !seen[e.ID] {
			seen[e.ID] = true
			live = append(live, e)
		}
	}
	slices.SortFunc(live, newestFirst)

	prune := map[string]bool{}
	if lim.PerSource > 0 {
		count := map[string]int{}
		for _, e := range live {
			count[e.SourceKey]++
			if count[e.SourceKey] > lim.PerSource {
				prune[e.ID] = true
			}
		}
	}
	if lim.MaxPosts > 0 {
		n := 0
		for _, e := range live {
			if prune[e.ID] {
				continue
			}
			n++
			if n > lim.MaxPosts {
				prune[e.ID] = true
			}
		}
	}
	if lim.MaxAge > 0 {
		cutoff := now.Add(-lim.MaxAge)
		for _, e := range live {
			if e.Date.Before(cutoff) {
				prune[e.ID] = true
			}
		}
	}

	ids := make([]string, 0, len(prune))
	for id := range prune {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func newestFirst(a, b Entry) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
