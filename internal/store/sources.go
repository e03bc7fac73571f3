package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Source is the stored state of one configured source, keyed by its config key.
type Source struct {
	Key          string
	URL          string // the URL last fetched
	ETag         string
	LastModified string
	FeedTitle    string
	FeedLink     string
	LastStatus   string // ok | unchanged | failed | skipped
	LastError    string
	Failures     int       // consecutive failures of the feed (not of the store)
	LastFetch    time.Time // zero when never fetched
	NextFetch    time.Time // earliest next fetch chosen by the scheduler (zero: any time)
	// Meta holds small cached values keyed by name (e.g. "category_auto"
	// → JSON), so later features need no schema change for a cache entry.
	Meta map[string]string
}

const sourceCols = `key, url, etag, last_modified, feed_title, feed_link, last_status, last_error,
	failures, last_fetch, next_fetch, meta`

// Source returns the stored state of the source with this key; found is
// false when it was never saved nor registered.
func (s *Store) Source(ctx context.Context, key string) (Source, bool, error) {
	src, err := scanSource(s.queryRow(ctx, `SELECT `+sourceCols+` FROM sources WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, false, nil
	}
	if err != nil {
		return Source{}, false, fmt.Errorf("read source %q: %w", key, err)
	}
	return src, true, nil
}

// Sources returns every stored source, ordered by key.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+sourceCols+` FROM sources ORDER BY key`))
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// SaveSource inserts the source or replaces every field of the stored one.
// Its lease and whether it is enabled are left as they are.
func (s *Store) SaveSource(ctx context.Context, src Source) error {
	return saveSource(ctx, s.w, s.d, src)
}

func saveSource(ctx context.Context, ex execer, d *dialect, src Source) error {
	if src.Key == "" {
		return errors.New("save source: empty key")
	}
	meta, err := encodeJSON(src.Meta, len(src.Meta) == 0)
	if err != nil {
		return fmt.Errorf("save source %q: meta: %w", src.Key, err)
	}
	lastFetch, err := timeValue(src.LastFetch)
	if err != nil {
		return fmt.Errorf("save source %q: last fetch: %w", src.Key, err)
	}
	nextFetch, err := timeValue(src.NextFetch)
	if err != nil {
		return fmt.Errorf("save source %q: next fetch: %w", src.Key, err)
	}
	_, err = ex.ExecContext(ctx, d.bind(`INSERT INTO sources (`+sourceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
			feed_title = excluded.feed_title, feed_link = excluded.feed_link,
			last_status = excluded.last_status, last_error = excluded.last_error,
			failures = excluded.failures, last_fetch = excluded.last_fetch,
			next_fetch = excluded.next_fetch, meta = excluded.meta`),
		src.Key, src.URL, src.ETag, src.LastModified, src.FeedTitle, src.FeedLink,
		src.LastStatus, src.LastError, src.Failures, lastFetch, nextFetch, meta)
	if err != nil {
		return fmt.Errorf("save source %q: %w", src.Key, err)
	}
	return nil
}

func scanSource(sc scanner) (Source, error) {
	var src Source
	var lastFetch, nextFetch sql.NullString
	var meta string
	err := sc.Scan(&src.Key, &src.URL, &src.ETag, &src.LastModified, &src.FeedTitle, &src.FeedLink,
		&src.LastStatus, &src.LastError, &src.Failures, &lastFetch, &nextFetch, &meta)
	if err != nil {
		return Source{}, err
	}
	if src.LastFetch, err = parseTime(lastFetch); err != nil {
		return Source{}, fmt.Errorf("source %q last fetch: %w", src.Key, err)
	}
	if src.NextFetch, err = parseTime(nextFetch); err != nil {
		return Source{}, fmt.Errorf("source %q next fetch: %w", src.Key, err)
	}
	if err := decodeJSON(meta, &src.Meta); err != nil {
		return Source{}, fmt.Errorf("source %q meta: %w", src.Key, err)
	}
	return src, nil
}

// ---- leases ----
//
// A source is fetched by the process that holds its lease: a holder name
// and an expiry on its row, set by a conditional UPDATE so that exactly one
// claimer wins. The holder renews it while the fetch runs and gives it
// back with the fetch's commit; a holder that dies leaves a lease that runs
// out, and the source is leased again. Expiry is compared with the
// database's clock (dialect.timeExpr).

// RegisterSources records which sources the config lists and which of them
// are enabled: only those are leased by LeaseDue. Sources stored before and
// no longer listed stay (their posts do), disabled.
func (s *Store) RegisterSources(ctx context.Context, enabled map[string]bool) error {
	keys := make([]string, 0, len(enabled))
	for k := range enabled {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET enabled = 0 WHERE enabled <> 0`); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sources (key, enabled) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET enabled = excluded.enabled`), k, boolInt(enabled[k])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("register sources: %w", err)
	}
	return nil
}

// Lease is a source claimed by LeaseDue.
type Lease struct {
	Key string
	// Expired is true when the source was taken over from a holder whose
	// lease had run out (a process that died or hung mid-fetch).
	Expired bool
}

// LeaseDue claims up to n enabled sources whose next fetch is due and
// which nobody holds, oldest due first, for holder until ttl from now.
// Concurrent callers (other processes) never claim the same source: on
// PostgreSQL they skip each other's rows (FOR UPDATE SKIP LOCKED).
func (s *Store) LeaseDue(ctx context.Context, holder string, n int, ttl time.Duration) ([]Lease, error) {
	if n <= 0 {
		return nil, nil
	}
	now := s.d.timeExpr(0)
	due := `SELECT key, lease_holder FROM sources
		WHERE enabled = 1 AND COALESCE(next_fetch, '') <= ` + now + `
			AND (lease_until IS NULL OR lease_until < ` + now + `)
		ORDER BY COALESCE(next_fetch, ''), key LIMIT ?` + s.d.skipLocked
	take := `UPDATE sources SET lease_holder = ?, lease_until = ` + s.d.timeExpr(ttl)
	var out []Lease
	scan := func(rows *sql.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var l Lease
			var old string
			if err := rows.Scan(&l.Key, &old); err != nil {
				return err
			}
			l.Expired = old != ""
			out = append(out, l)
		}
		return rows.Err()
	}
	var err error
	if s.d.skipLocked != "" {
		// Where rows lock (PostgreSQL), one statement claims and takes
		// them: a lease runs once per fetch, and its round trips were a
		// good part of a fetch worker's time in the store.
		var rows *sql.Rows
		rows, err = s.w.QueryContext(ctx, s.q(take+` FROM (`+due+`) AS due (due_key, old_holder)
			WHERE sources.key = due.due_key RETURNING sources.key, due.old_holder`), holder, n)
		if err == nil {
			err = scan(rows)
		}
	} else {
		// SQLite's RETURNING cannot name the old holder; its writes run
		// one at a time, so a select and updates in one transaction do.
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			out = out[:0]
			rows, err := tx.QueryContext(ctx, s.q(due), n)
			if err != nil {
				return err
			}
			if err := scan(rows); err != nil {
				return err
			}
			for _, l := range out {
				if _, err := tx.ExecContext(ctx, s.q(take+` WHERE key = ?`), holder, l.Key); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("lease due sources: %w", err)
	}
	return out, nil
}

// Clock returns the database's time (the clock leases and commits are
// stamped with).
func (s *Store) Clock(ctx context.Context) (time.Time, error) {
	var v sql.NullString
	if err := s.r.QueryRowContext(ctx, `SELECT `+s.d.timeExpr(0)).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return parseTime(v)
}

// LeaseSource claims the source key for holder until ttl from now when
// nobody holds it and no fetch of it was committed since `since` (by the
// database's clock, see Clock; zero: any time). A `run` leases every
// source this way: two runs started at once share the work instead of
// fetching each source twice. taken is false when another process holds
// it, or committed a fetch of it after since.
func (s *Store) LeaseSource(ctx context.Context, key, holder string, ttl time.Duration, since time.Time) (taken bool, err error) {
	sinceV, err := timeValue(since)
	if err != nil {
		return false, err
	}
	if sinceV == nil {
		sinceV = "~" // after every stored time: any last commit will do
	}
	now := s.d.timeExpr(0)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sources (key) VALUES (?) ON CONFLICT (key) DO NOTHING`), key); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE sources SET lease_holder = ?, lease_until = `+s.d.timeExpr(ttl)+`
			WHERE key = ? AND (lease_until IS NULL OR lease_until < `+now+`)
				AND (committed_at IS NULL OR committed_at < ?)`), holder, key, sinceV)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lease source %q: %w", key, err)
	}
	return taken, nil
}

// LeaseHolder returns who holds the source's lease and whether it is still
// running (not expired); "" when nobody does.
func (s *Store) LeaseHolder(ctx context.Context, key string) (holder string, live bool, err error) {
	err = s.r.QueryRowContext(ctx, s.q(`SELECT lease_holder, CASE WHEN lease_until IS NOT NULL AND lease_until >= `+
		s.d.timeExpr(0)+` THEN 1 ELSE 0 END FROM sources WHERE key = ?`), key).Scan(&holder, &live)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read lease of %q: %w", key, err)
	}
	return holder, live, nil
}

// RenewLease extends holder's lease of key to ttl from now. held is false
// when the lease is no longer holder's (it ran out and another process took
// the source): the caller must stop and not commit.
func (s *Store) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) (held bool, err error) {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE sources SET lease_until = `+s.d.timeExpr(ttl)+`
		WHERE key = ? AND lease_holder = ?`), key, holder)
	if err != nil {
		return false, fmt.Errorf("renew lease of %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives holder's lease of key back (a fetch that ended
// without a commit, e.g. when the process stops).
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE sources SET lease_holder = '', lease_until = NULL
		WHERE key = ? AND lease_holder = ?`), key, holder)
	if err != nil {
		return fmt.Errorf("release lease of %q: %w", key, err)
	}
	return nil
}

// ReleaseLeases gives back every lease of holder (a process stopping).
func (s *Store) ReleaseLeases(ctx context.Context, holder string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE sources SET lease_holder = '', lease_until = NULL WHERE lease_holder = ?`), holder)
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// ErrLeaseLost is returned (wrapped) by CommitFetch when the caller's lease
// ran out and another process took the source: its results are dropped,
// since the other process fetches the source again.
var ErrLeaseLost = errors.New("lease lost: another process took the source over")
