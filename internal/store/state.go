package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// The generation is a counter that every change of what the outputs show
// moves on (items stored, renderings replaced, posts pruned), in the same
// transaction as the change. A builder remembers the generation it last
// built; a larger one means there is work, whichever process made it.
//
// It is kept as the sum of a few rows of counters ('generation' and
// 'generation.0' … 'generation.15') rather than one: every fetch commit
// moves it, and with one row the commits of all fetch workers queued for
// that row's lock (PostgreSQL waits on it were among the largest in the
// scale-out bench). A commit moves the row its source hashes to; the sum
// still grows with every change, and one statement reads it consistently.
const generationShards = 16

// bump moves the generation on inside tx and notifies listeners (when tx
// commits) on PostgreSQL. Changes made for a source move that source's
// shard; others (key "") move the base row.
func (s *Store) bump(ctx context.Context, tx *sql.Tx, key string) error {
	name := "generation"
	if key != "" {
		h := fnv.New32a()
		h.Write([]byte(key))
		name = "generation." + strconv.Itoa(int(h.Sum32()%generationShards))
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1`), name)
	if err != nil {
		return fmt.Errorf("move the generation on: %w", err)
	}
	if s.d.notify != nil {
		if err := s.d.notify(ctx, tx, s.Channel()); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	return nil
}

// generationSQL reads the generation: the sum of its rows.
const generationSQL = `SELECT COALESCE(SUM(value), 0) FROM counters WHERE name = 'generation' OR name LIKE 'generation.%'`

// Generation returns the store's generation.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var gen int64
	if err := s.r.QueryRowContext(ctx, generationSQL).Scan(&gen); err != nil {
		return 0, fmt.Errorf("read the generation: %w", err)
	}
	return gen, nil
}

// Channel is the PostgreSQL notification channel on which a generation
// change is announced (one per schema, so stores sharing a database do
// not wake each other's builders).
func (s *Store) Channel() string { return "feedpost:" + s.schema }

// Value returns the named value of the store's key-value table; found is
// false when it was never set.
func (s *Store) Value(ctx context.Context, name string) (value string, found bool, err error) {
	err = s.queryRow(ctx, `SELECT value FROM kv WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", name, err)
	}
	return value, true, nil
}

// SetValue sets the named value.
func (s *Store) SetValue(ctx context.Context, name, value string) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO kv (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// Secret returns the image proxy's signing key kept in the store, making
// one (32 random bytes, hex) the first time. Every process sharing a
// PostgreSQL store gets the same key, so a URL signed by one verifies on
// all; concurrent first calls agree on one key.
func (s *Store) Secret(ctx context.Context) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO kv (name, value) VALUES ('proxy_secret', ?)
		ON CONFLICT (name) DO NOTHING`), hex.EncodeToString(b[:])); err != nil {
		return "", fmt.Errorf("save the proxy secret: %w", err)
	}
	v, _, err := s.Value(ctx, "proxy_secret")
	return v, err
}

// grew counts items this process stored and, on PostgreSQL, refreshes the
// planner's statistics of the item tables in the background each time the
// count doubles (from 1,000). A fresh store fills up faster than
// autovacuum analyzes it, and until then the planner takes the tables for
// small ones and scans them whole where an index lookup would do (the
// dedupe check of every commit).
func (s *Store) grew(n int) {
	if !s.Shared() {
		return
	}
	total := s.stored.Add(int64(n))
	at := s.analyzeAt.Load() // 0 before the first analyze: 1,000
	if total < max(at, 1000) || !s.analyzeAt.CompareAndSwap(at, 2*total) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// Only the columns that lookups and joins filter on: the rendered
		// bodies are never detoasted for statistics nobody plans with. When
		// another process sharing the store is analyzing already, this one
		// skips instead of queueing behind it (both grow at the same pace).
		_, _ = s.w.ExecContext(ctx, `ANALYZE (SKIP_LOCKED) items (id, source_key, dedupe_key, pruned, sort_date), posts (id), pending (id)`)
	}()
}
