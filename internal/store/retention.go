package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Limits are the `keep:` retention limits; a zero field means no limit.
type Limits struct {
	MaxAge    time.Duration // posts dated before now-MaxAge go
	MaxPosts  int           // at most this many posts overall (the newest)
	PerSource int           // at most this many posts per source (the newest)
}

// Candidate is a live post the limits remove.
type Candidate struct {
	ID        string
	SourceKey string
	Title     string // raw, as the feed gave it
	Date      time.Time
}

// PruneCandidates returns the live posts beyond lim at now, in id order.
// The limits apply in this order, each to what the previous one kept:
//  1. PerSource: in every source, the posts beyond its PerSource newest;
//  2. MaxPosts: of what is left, the posts beyond the MaxPosts newest;
//  3. MaxAge: of what is left, the posts dated strictly before now-MaxAge.
//
// Per-source comes first so that one busy source cannot use up the overall
// budget with posts it would lose anyway; age is independent of the order.
// "Newest" is by date (post.SortDate), ties by id (the smaller id counts as
// newer), so the choice never depends on the order rows are stored in.
//
// The whole choice is one query with window functions (both engines have
// them) over the live-items index: it reads a few columns of each live post,
// not the posts.
func (s *Store) PruneCandidates(ctx context.Context, lim Limits, now time.Time) ([]Candidate, error) {
	if lim.MaxAge <= 0 && lim.MaxPosts <= 0 && lim.PerSource <= 0 {
		return nil, nil
	}
	cutoff := ""
	if lim.MaxAge > 0 {
		v, err := timeValue(now.Add(-lim.MaxAge))
		if err != nil {
			return nil, err
		}
		cutoff = v.(string)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`
		WITH ranked AS (
			SELECT id, source_key, title, sort_date,
				ROW_NUMBER() OVER (PARTITION BY source_key ORDER BY sort_date DESC, id) AS in_source
			FROM items WHERE pruned = 0
		), kept AS (
			SELECT id, sort_date, ROW_NUMBER() OVER (ORDER BY sort_date DESC, id) AS overall
			FROM ranked WHERE ? = 0 OR in_source <= ?
		), gone AS (
			SELECT id FROM ranked WHERE ? > 0 AND in_source > ?
			UNION SELECT id FROM kept WHERE ? > 0 AND overall > ?
			UNION SELECT id FROM kept WHERE ? <> '' AND sort_date < ?
		)
		SELECT ranked.id, ranked.source_key, ranked.title, ranked.sort_date
		FROM ranked JOIN gone ON gone.id = ranked.id ORDER BY ranked.id`),
		lim.PerSource, lim.PerSource, lim.PerSource, lim.PerSource,
		lim.MaxPosts, lim.MaxPosts, cutoff, cutoff)
	if err != nil {
		return nil, fmt.Errorf("select posts to prune: %w", err)
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		var date sql.NullString
		if err := rows.Scan(&c.ID, &c.SourceKey, &c.Title, &date); err != nil {
			return nil, fmt.Errorf("select posts to prune: %w", err)
		}
		if c.Date, err = parseTime(date); err != nil {
			return nil, fmt.Errorf("select posts to prune: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select posts to prune: %w", err)
	}
	return out, nil
}
