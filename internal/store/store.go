// Package store keeps feedpost's state: sources (conditional-GET validators,
// last status, failures, leases) and items (everything the writers need, so
// `build` works from the store alone), and it is the only place where the
// parts of feedpost coordinate: which process fetches a source (leases),
// how many requests go to one host (host slots), whether the same story
// came through another source (dedupe, checked inside the commit), and
// what the outputs lag behind (the generation counter the builder follows).
//
// Two backends share the schema, the migrations and every query: an
// embedded SQLite file through modernc.org/sqlite (the default: one process
// at a time, guarded by a lock file) and PostgreSQL through pgx (any number
// of processes on any machines). All SQL of feedpost lives in this package;
// the dialect type holds the few things that differ.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned (wrapped) by calls that must find a live item.
var ErrNotFound = errors.New("item not found")

// Options tune Open; the zero value is fine.
type Options struct {
	// Exclusive makes Open fail with an *InUseError when another process
	// holds a SQLite store exclusively, and hold it until Close. Commands
	// that fetch or write outputs (run, serve, build, prune) ask for it;
	// `check` does not. PostgreSQL stores ignore it: their processes
	// coordinate through leases.
	Exclusive bool
	// Conns bounds the PostgreSQL connections of this process (default
	// DefaultPostgresConns).
	Conns int
}

// Store is the state database. Its methods are safe for concurrent use.
//
// On SQLite it holds two pools on the same file: w, with a single
// connection, through which every write goes (so writers queue in Go
// instead of failing with SQLITE_BUSY), and r for reads, which in WAL mode
// never wait for the writer. On PostgreSQL both are the same pool.
type Store struct {
	name   string // what messages call the store: its path, or its URL without the password
	d      *dialect
	w, r   *sql.DB
	lock   *lockFile // SQLite with Options.Exclusive
	schema string    // PostgreSQL: current_schema(), which scopes locks and channels

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared read statements, by query (SQLite)

	changeMu sync.Mutex
	changes  chan struct{} // see Changes
	builder  *BuilderLock  // see BuilderLock

	stored, analyzeAt atomic.Int64 // see grew
}

// maxInList bounds the number of values bound in one `IN (...)` list; larger
// id lists are processed in batches of this size.
const maxInList = 500

// Open opens the store named by target — a PostgreSQL URL
// (postgres://user:pass@host:port/db?sslmode=…, or postgresql://) or the
// path of a SQLite file, created with its folder when missing — and brings
// its schema up to date. Its errors name the store (a URL without its
// password): a file that is not a SQLite database or cannot be written, a
// server that cannot be reached, a database made by a newer feedpost.
func Open(ctx context.Context, target string, opt Options) (*Store, error) {
	return open(ctx, target, opt, migrations)
}

// open is Open with the schema steps to apply (tests build old databases
// with a prefix of migrations, or a newer one with a step more).
func open(ctx context.Context, target string, opt Options, steps [][]string) (*Store, error) {
	if target == "" {
		return nil, errors.New("open store: empty path")
	}
	s := &Store{name: Redact(target)}
	var err error
	if IsURL(target) {
		s.d = pgDialect
		err = openPostgres(ctx, s, target, opt.Conns, steps)
	} else {
		s.d = sqliteDialect
		if opt.Exclusive {
			if s.lock, err = lock(target); err != nil {
				return nil, err
			}
		}
		err = openSQLite(ctx, s, target, steps)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Name is what messages call the store: the SQLite file's path, or the
// PostgreSQL URL without its password.
func (s *Store) Name() string { return s.name }

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Shared reports whether several processes may use the store at once
// (PostgreSQL): only then do roles other than `all` make sense.
func (s *Store) Shared() bool { return s.d == pgDialect }

// Close closes the pools and releases the lock file. SQLite checkpoints the
// WAL when the last connection closes.
func (s *Store) Close() error {
	var errs []error
	s.changeMu.Lock()
	if b := s.builder; b != nil {
		s.changeMu.Unlock()
		errs = append(errs, b.Release())
	} else {
		s.changeMu.Unlock()
	}
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.release())
	}
	return errors.Join(errs...)
}

// q is d.bind.
func (s *Store) q(query string) string { return s.d.bind(query) }

// read prepares query on the read pool once and returns the statement.
// Preparing is a large part of a small query's cost with SQLite (parsing
// and planning the SQL), and a cycle runs the same few lookups thousands of
// times. Only fixed query texts go through here, so the cache stays small.
// (pgx keeps a statement cache of its own per connection.)
func (s *Store) read(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st := s.stmts[query]; st != nil {
		return st, nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	st, err := s.r.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// queryRow is QueryRow through a prepared read statement on SQLite.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.d == sqliteDialect {
		if st, err := s.read(ctx, query); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
		// Prepare errors surface at Scan through the plain QueryRow.
	}
	return s.r.QueryRowContext(ctx, s.q(query), args...)
}

// Ping checks that the database answers (for health checks).
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// IntegrityCheck verifies the database: SQLite's own check of the whole
// file; on PostgreSQL, that the database answers with a feedpost schema.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if err := s.d.integrityCheck(ctx, s.r); err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	return nil
}

// inTx runs fn in a write transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ---- value conversions ----

// timeValue converts t to its stored form: nil (NULL) for the zero time.
func timeValue(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %s out of the storable range (years 0–9999)", t)
	}
	return t.Format(timeLayout), nil
}

func parseTime(v sql.NullString) (time.Time, error) {
	if !v.Valid || v.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, v.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", v.String, err)
	}
	return t.UTC(), nil
}

// encodeJSON stores v as JSON text, or "" when empty (read back as nil).
func encodeJSON(v any, empty bool) (string, error) {
	if empty {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func decodeJSON(s string, dst any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), dst)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func appendArgs(args []any, ids []string) []any {
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

type scanner interface{ Scan(dest ...any) error }

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
