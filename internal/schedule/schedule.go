// Package schedule decides when a source is fetched next: on its interval,
// nudged by what the feed and the server say about freshness, spread out by
// jitter, and backed off exponentially while the source keeps failing.
//
// It is a pure function of its inputs (the jitter included), so `serve`, the
// pipeline and tests all agree on the same times.
package schedule

import (
	"hash/fnv"
	"time"
)

const (
	// Floor is the shortest wait between two fetches of a source that the
	// TTL, max-age and jitter can produce; only an explicit shorter
	// interval goes below it. (RSSHub's own
	// cache TTL is 5 minutes; fetching a route more often than that only
	// returns the cached copy, but costs the instance little.)
	Floor = time.Minute

	// BackoffAfter is how many consecutive failures put a source into
	// backoff (issue 3: "a source failing N times in a row is backed off").
	BackoffAfter = 3

	// MaxBackoff caps the backoff wait: a dead source is still retried once
	// a day, so it comes back by itself when it is fixed.
	MaxBackoff = 24 * time.Hour

	// jitter is the ± fraction applied to every wait, so that sources that
	// were added (or failed) together do not stay in lockstep.
	jitter = 0.10
)

// Next returns when a source should be fetched next.
//
//   - interval is the source's configured refresh interval: the base wait and
//     the ceiling for the freshness hints.
//   - ttl (RSS <ttl>, sy:updatePeriod; parse.Feed.TTL) and maxAge (HTTP
//     Cache-Control: max-age; fetch.Response.MaxAge) are "not sooner than"
//     hints: the next fetch is never before min(hint, interval). Because the
//     interval is also the ceiling, a hint only matters when it is longer
//     than the jittered interval; it can never push the fetch past the
//     interval the user asked for. (The ±10% jitter applies to the
//     interval itself, so a fetch may come up to 10% after it.)
//   - failures is the count of consecutive failures, the current one
//     included. From BackoffAfter on the wait is
//     interval × 2^(failures−BackoffAfter), capped at MaxBackoff (or at the
//     interval when that is longer), and hints are ignored.
//   - key (the source key) seeds the jitter together with now, so the result
//     is deterministic for tests and different for each source.
//
// The result is never sooner than now + min(Floor, interval).
func Next(now time.Time, interval, ttl, maxAge time.Duration, failures int, key string) time.Time {
	return now.Add(Wait(now, interval, ttl, maxAge, failures, key))
}

// Wait is Next as a duration from now.
func Wait(now time.Time, interval, ttl, maxAge time.Duration, failures int, key string) time.Duration {
	if interval <= 0 {
		interval = Floor
	}
	d := interval
	if failures >= BackoffAfter {
		d = backoff(interval, failures)
	}
	d = applyJitter(d, now, key)
	if failures < BackoffAfter {
		if hint := min(max(ttl, maxAge), interval); d < hint {
			d = hint
		}
	}
	// The floor guards against hints and jitter, not against the user: an
	// explicit interval shorter than Floor (tests, a local feed) is honoured.
	return max(d, min(Floor, interval))
}

// Backoff reports whether a source with this many consecutive failures is
// backed off (its next fetch waits for Next rather than the next run).
func Backoff(failures int) bool { return failures >= BackoffAfter }

// backoff is interval × 2^(failures−BackoffAfter), capped.
func backoff(interval time.Duration, failures int) time.Duration {
	limit := max(MaxBackoff, interval)
	d := interval
	for i := BackoffAfter; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// applyJitter scales d by a factor in [1−jitter, 1+jitter] derived from key
// and now (FNV-1a), so the same inputs always give the same wait.
func applyJitter(d time.Duration, now time.Time, key string) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(key))
	var b [8]byte
	n := uint64(now.UnixNano())
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	// 53 bits give a uniform float in [0, 1).
	f := float64(h.Sum64()>>11) / (1 << 53)
	return time.Duration(float64(d) * (1 - jitter + 2*jitter*f))
}
