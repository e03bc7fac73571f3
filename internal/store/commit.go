package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Fetch is the outcome of one fetch of a source, committed by CommitFetch.
type Fetch struct {
	// Holder is the lease under which the source was fetched; the commit
	// fails with ErrLeaseLost when the source's lease is no longer its,
	// and releases it otherwise. "" commits without a lease.
	Holder string
	// Source is the source's new state (validators, status, schedule).
	Source Source
	// Items are the new and changed items, stored pending.
	Items []Item
	// Dedupe drops the new items whose DedupeKey another source already
	// brought.
	Dedupe Dedupe
}

// Dedupe is the cross-source dedupe rule CommitFetch applies.
type Dedupe struct {
	Off bool
	// SameStory, when set, tells whether two items with the same key,
	// dated a and b (post.SortDate), are the same story; nil: always (the
	// same link is the same story; the same title days apart may not be).
	SameStory func(a, b time.Time) bool
}

// Committed is what CommitFetch stored.
type Committed struct {
	Stored     []string // ids of the items stored
	Duplicates []string // ids of the new items dropped as another source's story
}

// CommitFetch stores a fetch in one transaction: the source's new state and
// its items together, so that a failure stores neither (the validators of
// a feed whose items were not stored are never saved, and the next fetch
// gets the items again instead of a 304).
//
// Cross-source dedupe happens inside the same transaction: the new items'
// keys are locked (PostgreSQL advisory transaction locks; SQLite write
// transactions run one at a time), then looked up, so two sources bringing
// the same story at the same moment, in one process or in two, keep it
// once. The preferred stored item for a key is a live one, then the first
// seen; pruned items count too (a pruned story must not come back through
// another source).
//
// When items were stored the generation moves on and, on PostgreSQL,
// listening builders are notified when the transaction commits.
func (s *Store) CommitFetch(ctx context.Context, f Fetch) (Committed, error) {
	var out Committed
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = Committed{}
		if f.Holder != "" {
			var holder string
			err := tx.QueryRowContext(ctx, s.q(`SELECT lease_holder FROM sources WHERE key = ?`+forUpdate(s.d)), f.Source.Key).Scan(&holder)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if holder != f.Holder {
				return ErrLeaseLost
			}
		}
		items := f.Items
		if !f.Dedupe.Off {
			var err error
			if items, out.Duplicates, err = s.dropDuplicates(ctx, tx, f.Source.Key, items, f.Dedupe.SameStory); err != nil {
				return fmt.Errorf("dedupe: %w", err)
			}
		}
		if len(items) > 0 {
			if err := s.putItems(ctx, tx, items); err != nil {
				return err
			}
		}
		for _, it := range items {
			out.Stored = append(out.Stored, it.ID)
		}
		if err := saveSource(ctx, tx, s.d, f.Source); err != nil {
			return err
		}
		release := ``
		if f.Holder != "" {
			release = `, lease_holder = '', lease_until = NULL`
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE sources SET committed_at = `+s.d.timeExpr(0)+release+` WHERE key = ?`), f.Source.Key); err != nil {
			return fmt.Errorf("release lease: %w", err)
		}
		if len(items) > 0 {
			// Last, so that the one row every commit updates is locked only
			// for the commit itself: taken earlier, it made concurrent
			// fetch workers queue for each other's remaining statements.
			if err := s.bump(ctx, tx, f.Source.Key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Committed{}, fmt.Errorf("commit fetch of %q: %w", f.Source.Key, err)
	}
	if len(out.Stored) > 0 {
		s.signal()
		s.grew(len(out.Stored))
	}
	return out, nil
}

// forUpdate locks the selected row until the end of the transaction where
// the engine has row locks (PostgreSQL).
func forUpdate(d *dialect) string {
	if d.skipLocked != "" {
		return ` FOR UPDATE`
	}
	return ""
}

// dropDuplicates removes from items the new ones (not stored yet under
// their id) whose dedupe key another source's stored item has.
func (s *Store) dropDuplicates(ctx context.Context, tx *sql.Tx, sourceKey string, items []Item, same func(a, b time.Time) bool) (kept []Item, dups []string, err error) {
	var ids, keys []string
	for i := range items {
		if items[i].DedupeKey != "" {
			ids = append(ids, items[i].ID)
			keys = append(keys, items[i].DedupeKey)
		}
	}
	if len(keys) == 0 {
		return items, nil, nil
	}
	if err := s.d.lockKeys(ctx, tx, "feedpost.dedupe."+s.schema, keys); err != nil {
		return nil, nil, err
	}
	existing := map[string]bool{}
	for batch := range slices.Chunk(ids, maxInList) {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM items WHERE id IN (`+placeholders(len(batch))+`)`), appendArgs(nil, batch)...)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, err
			}
			existing[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	type hit struct {
		source string
		date   time.Time
	}
	hits := map[string]hit{}
	for batch := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(keys))), maxInList) {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT dedupe_key, source_key, sort_date FROM items
			WHERE dedupe_key IN (`+placeholders(len(batch))+`)
			ORDER BY dedupe_key, pruned, first_seen, id`), appendArgs(nil, batch)...)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var key, src string
			var date sql.NullString
			if err := rows.Scan(&key, &src, &date); err != nil {
				rows.Close()
				return nil, nil, err
			}
			if _, seen := hits[key]; seen { // the first row of a key is the preferred one
				continue
			}
			d, err := parseTime(date)
			if err != nil {
				rows.Close()
				return nil, nil, err
			}
			hits[key] = hit{src, d}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	kept = items[:0:0]
	for _, it := range items {
		h, found := hits[it.DedupeKey]
		dup := it.DedupeKey != "" && !existing[it.ID] && found && h.source != sourceKey
		if dup && same != nil {
			dup = same(it.SortDate(), h.date)
		}
		if dup {
			dups = append(dups, it.ID)
			continue
		}
		kept = append(kept, it)
	}
	return kept, dups, nil
}
