package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// The SQLite backend: an embedded file, one process at a time (see
// lockFile), through modernc.org/sqlite so that no cgo is needed to build.

const sqliteDriver = "sqlite"

// Pool sizes. SQLite allows one writer at a time; giving writes a pool of a
// single connection makes database/sql queue concurrent writers in Go instead
// of letting them collide inside SQLite with SQLITE_BUSY. Readers do not block
// the writer (nor each other) in WAL mode, so they get a few connections.
const (
	sqliteWriterConns = 1
	sqliteReaderConns = 4
)

var sqliteDialect = &dialect{
	name: "sqlite",
	bind: func(q string) string { return q },
	timeExpr: func(offset time.Duration) string {
		// One process uses a SQLite store, so the process's clock is the
		// database's; it has nanoseconds where SQLite's 'now' has
		// milliseconds (two commits in one millisecond must still order).
		return "'" + time.Now().Add(offset).UTC().Format(timeLayout) + "'"
	},
	lockKeys:       func(context.Context, *sql.Tx, string, []string) error { return nil },
	integrityCheck: sqliteIntegrityCheck,
}

// openSQLite opens the database file at path: the writer pool first (it
// sets up the file and migrates it), then the readers.
func openSQLite(ctx context.Context, s *Store, path string, steps [][]string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("open store %s: it is a folder; `store:` names the database file (e.g. %s)",
			path, filepath.Join(path, "feedpost.db"))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("open store %s: create folder: %w", path, err)
	}
	var err error
	if s.w, err = sqlitePool(ctx, path, false, sqliteWriterConns); err != nil {
		return err
	}
	if err := initFile(ctx, s.w); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrateTo(ctx, s.w, sqliteDialect, steps); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if s.r, err = sqlitePool(ctx, path, true, sqliteReaderConns); err != nil {
		return err
	}
	return nil
}

// sqlitePool opens one pool and checks a connection can be made, so that a
// file that is not a database is reported by Open, not by the first query.
func sqlitePool(ctx context.Context, path string, readOnly bool, conns int) (*sql.DB, error) {
	source, err := dsn(path, readOnly)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(sqliteDriver, source)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // keep them: each new connection re-runs the pragmas
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s (is it a feedpost SQLite database, and writable?): %w", path, err)
	}
	return db, nil
}

// dsn builds the connection string for the database file at path.
//
// The path is written as a file: URI so that characters such as '?' or '#'
// in a folder name cannot be mistaken for the start of the parameters.
// Every connection of the pool gets the same settings:
//   - busy_timeout 5s: another connection holding the write lock is waited
//     for instead of failing at once;
//   - WAL (set by initFile): readers and the writer do not block each other;
//   - synchronous NORMAL: safe with WAL (a power cut may lose the last
//     commits, never corrupt the file) and much faster than FULL;
//   - foreign keys on;
//   - _txlock=immediate: a transaction takes the write lock when it begins,
//     so it never fails half-way when upgrading a read lock to a write lock
//     (which busy_timeout cannot help with);
//   - query_only on the read pool, so a mistake cannot write through it.
func dsn(path string, readOnly bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve store path %s: %w", path, err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") { // Windows: C:/x → /C:/x, as SQLite URIs want
		p = "/" + p
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", readerCacheKiB))
	}
	// journal_mode=WAL is not set here but by initFile: the driver runs the
	// _pragma list sorted by name, and page_size must come before it.
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String(), nil
}

// pageSize is the page size of a new database file. Items are large (the
// raw HTML and the rendered post of an 8 KB article make a row of 20 KB or
// more): with SQLite's default 4 KB pages each row is a chain of six or more
// overflow pages, read and written one system call per page. 16 KB pages cut
// the page reads and writes of a cycle by about 3.5× (measured with strace on
// bench/); 64 KB pages save little more and rewrite 64 KB for every small
// update. An existing file keeps the page size it was made with (changing it
// would need a VACUUM, which WAL mode does not allow).
const pageSize = 16384

// readerCacheKiB is the page cache of each read connection, in KiB (as a
// negative cache_size). Reads are mostly one pass over many rows: the
// rendered posts listed for the site, each body loaded once for its page,
// a source's item states. A page they read is seldom read again through
// the same connection, and when it is the operating system's file cache
// has it. SQLite's default of 2 MB a connection held 8 MB of the process's
// memory for four readers, growing with the store (about 15 % of a
// 40,000-post run's peak); the writer, whose B-tree pages are hot, keeps
// the default.
const readerCacheKiB = -512

// initFile sets up the file through the writer's connection before anything
// else: the page size (effective only while the file is still empty), then
// WAL mode, which is stored in the file, so readers opened later get it
// too (a read-only connection could not set it).
func initFile(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return fmt.Errorf("set page size: %w", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("set WAL mode: the database stays in %q mode", mode)
	}
	return nil
}

// sqliteIntegrityCheck runs SQLite's own consistency check of the whole file.
func sqliteIntegrityCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return errors.New("integrity check failed: " + strings.Join(problems, "; "))
}
