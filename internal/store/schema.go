package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are the schema steps in order: migrations[0] brings an empty
// database to version 1, migrations[1] to version 2, and so on. A step is
// never edited once released; a change is a new step appended at the end.
// Each step runs in its own transaction together with the version bump, so a
// crash leaves the database at one version or the next, never in between.
//
// The same steps run on SQLite and PostgreSQL: column types are limited to
// TEXT and INTEGER and the statements to what both engines accept. Times are TEXT in a fixed-width UTC form (see formatTime), NULL
// for "none"; booleans are INTEGER 0/1; lists and maps are JSON text.
var migrations = [][]string{
	// 1: initial schema.
	{
		`CREATE TABLE sources (
			key           TEXT PRIMARY KEY,
			url           TEXT NOT NULL DEFAULT '',
			etag          TEXT NOT NULL DEFAULT '',
			last_modified TEXT NOT NULL DEFAULT '',
			feed_title    TEXT NOT NULL DEFAULT '',
			feed_link     TEXT NOT NULL DEFAULT '',
			last_status   TEXT NOT NULL DEFAULT '',
			last_error    TEXT NOT NULL DEFAULT '',
			failures      INTEGER NOT NULL DEFAULT 0,
			last_fetch    TEXT,
			next_fetch    TEXT,
			items_total   INTEGER NOT NULL DEFAULT 0,
			last_new      INTEGER NOT NULL DEFAULT 0,
			last_updated  INTEGER NOT NULL DEFAULT 0,
			meta          TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE items (
			id         TEXT PRIMARY KEY,
			source_key TEXT NOT NULL,
			guid       TEXT NOT NULL DEFAULT '',
			link       TEXT NOT NULL DEFAULT '',
			title      TEXT NOT NULL DEFAULT '',
			content    TEXT NOT NULL DEFAULT '',
			is_text    INTEGER NOT NULL DEFAULT 0,
			base       TEXT NOT NULL DEFAULT '',
			author     TEXT NOT NULL DEFAULT '',
			images     TEXT NOT NULL DEFAULT '',
			categories TEXT NOT NULL DEFAULT '',
			published  TEXT,
			updated    TEXT,
			first_seen TEXT NOT NULL,
			sort_date  TEXT NOT NULL,
			hash       TEXT NOT NULL DEFAULT '',
			fulltext   TEXT NOT NULL DEFAULT '',
			dedupe_key TEXT NOT NULL DEFAULT '',
			pending    INTEGER NOT NULL DEFAULT 0,
			pruned     INTEGER NOT NULL DEFAULT 0,
			feed_title TEXT NOT NULL DEFAULT '',
			rendered   TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX items_source_key ON items (source_key)`,
		`CREATE INDEX items_dedupe_key ON items (dedupe_key)`,
		// sort_date = COALESCE(published, updated, first_seen), kept as a
		// column so the newest-first listing is a plain index walk.
		`CREATE INDEX items_sort_date ON items (sort_date DESC, id)`,
	},
	// 2: the items table rebuilt for how a cycle reads it. SQLite reads a
	// row's columns in order, following the chain of overflow pages of
	// anything large before them: with the article (content) in the middle
	// of the row, reading the hash, the pruned flag or the rendered post
	// after it meant reading the whole article from disk. Now:
	//   - items keeps the small columns first and content, fulltext last;
	//   - the rendered post (metadata JSON) and its body move to posts,
	//     so that the site lists every post reading a few hundred bytes
	//     each, and reads a body without the article before it; rows
	//     stored before keep the body inside rendered (readers fall back);
	//   - the pending flag moves to pending: flipping it in the items row
	//     rewrote the whole row (20 KB and more) for every post written;
	//   - the newest-first listing index leads with pruned and the source
	//     index gains it, so listing live posts and counting a source's
	//     live items read indexes alone.
	{
		`CREATE TABLE items_v2 (
			id         TEXT PRIMARY KEY,
			source_key TEXT NOT NULL,
			guid       TEXT NOT NULL DEFAULT '',
			link       TEXT NOT NULL DEFAULT '',
			title      TEXT NOT NULL DEFAULT '',
			is_text    INTEGER NOT NULL DEFAULT 0,
			base       TEXT NOT NULL DEFAULT '',
			author     TEXT NOT NULL DEFAULT '',
			images     TEXT NOT NULL DEFAULT '',
			categories TEXT NOT NULL DEFAULT '',
			published  TEXT,
			updated    TEXT,
			first_seen TEXT NOT NULL,
			sort_date  TEXT NOT NULL,
			hash       TEXT NOT NULL DEFAULT '',
			dedupe_key TEXT NOT NULL DEFAULT '',
			pruned     INTEGER NOT NULL DEFAULT 0,
			feed_title TEXT NOT NULL DEFAULT '',
			content    TEXT NOT NULL DEFAULT '',
			fulltext   TEXT NOT NULL DEFAULT ''
		)`,
		`INSERT INTO items_v2 (id, source_key, guid, link, title, is_text, base, author, images, categories,
			published, updated, first_seen, sort_date, hash, dedupe_key, pruned, feed_title, content, fulltext)
		SELECT id, source_key, guid, link, title, is_text, base, author, images, categories,
			published, updated, first_seen, sort_date, hash, dedupe_key, pruned, feed_title, content, fulltext
		FROM items`,
		`CREATE TABLE posts (
			id       TEXT PRIMARY KEY,
			rendered TEXT NOT NULL DEFAULT '',
			body     TEXT NOT NULL DEFAULT ''
		)`,
		`INSERT INTO posts (id, rendered) SELECT id, rendered FROM items WHERE rendered <> '' AND pruned = 0`,
		`CREATE TABLE pending (id TEXT PRIMARY KEY)`,
		`INSERT INTO pending (id) SELECT id FROM items WHERE pending = 1 AND pruned = 0`,
		`DROP TABLE items`,
		`ALTER TABLE items_v2 RENAME TO items`,
		`CREATE INDEX items_source_pruned ON items (source_key, pruned)`,
		`CREATE INDEX items_dedupe_key ON items (dedupe_key)`,
		`CREATE INDEX items_live ON items (pruned, sort_date DESC, id)`,
	},
	// 3: coordination through the store (several processes on PostgreSQL).
	//   - sources: the per-fetch counters nobody read go; `enabled` says
	//     whether the config still lists a source (only those are leased);
	//     a lease (holder, until) makes one process at a time fetch it;
	//     committed_at is when its last fetch was committed, by the
	//     database's clock (a run skips what another run fetched since it
	//     began);
	//   - posts: the fingerprint of the settings the post was rendered
	//     under, so a builder re-renders exactly the posts a config change
	//     made stale;
	//   - counters: the store generation, bumped by every change of what
	//     the outputs show, which the builder follows;
	//   - kv: small named values (the builder's last built state, the
	//     image proxy's shared secret);
	//   - host_slots: per-host request slots leased across processes, so
	//     fetch.per_host holds for all workers together.
	{
		`ALTER TABLE sources DROP COLUMN items_total`,
		`ALTER TABLE sources DROP COLUMN last_new`,
		`ALTER TABLE sources DROP COLUMN last_updated`,
		`ALTER TABLE sources ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1`,
		`ALTER TABLE sources ADD COLUMN lease_holder TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE sources ADD COLUMN lease_until TEXT`,
		`ALTER TABLE sources ADD COLUMN committed_at TEXT`,
		`CREATE INDEX sources_due ON sources (enabled, next_fetch)`,
		`ALTER TABLE posts ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)`,
		`INSERT INTO counters (name, value) VALUES ('generation', 1)`,
		`CREATE TABLE kv (name TEXT PRIMARY KEY, value TEXT NOT NULL DEFAULT '')`,
		`CREATE TABLE host_slots (
			host   TEXT NOT NULL,
			slot   INTEGER NOT NULL,
			holder TEXT NOT NULL DEFAULT '',
			until  TEXT NOT NULL,
			PRIMARY KEY (host, slot)
		)`,
	},
	// 4: mirrored images (images.proxy: mirror).
	//   - images: one row per image URL a post named: the content-addressed
	//     file it was mirrored to (name = hex SHA-256 + extension, '' until
	//     it is), its thumbnail and the images.thumbnail it was made for,
	//     and for an image that could not be fetched its failures and when
	//     to try again;
	//   - post_images: which posts use which image (and whether as their
	//     cover), so that an image arriving on a later try makes its posts
	//     pending again, and retention removes the files no live post uses.
	{
		`CREATE TABLE images (
			url        TEXT PRIMARY KEY,
			name       TEXT NOT NULL DEFAULT '',
			size       INTEGER NOT NULL DEFAULT 0,
			width      INTEGER NOT NULL DEFAULT 0,
			height     INTEGER NOT NULL DEFAULT 0,
			thumb      TEXT NOT NULL DEFAULT '',
			thumb_spec TEXT NOT NULL DEFAULT '',
			failures   INTEGER NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			next_try   TEXT
		)`,
		`CREATE INDEX images_next_try ON images (next_try)`,
		`CREATE TABLE post_images (
			post_id TEXT NOT NULL,
			url     TEXT NOT NULL,
			cover   INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (post_id, url)
		)`,
		`CREATE INDEX post_images_url ON post_images (url)`,
	},
	// 5: the order LeaseDue takes due sources in, as an index, so that a
	// lease walks the first due rows instead of sorting every source (it
	// runs once per fetch: with 2,000 sources a sort took 1.7 ms of the
	// server's time per lease, growing with the number of sources). It
	// replaces sources_due, which only that query used.
	{
		`DROP INDEX sources_due`,
		`CREATE INDEX sources_lease_order ON sources (COALESCE(next_fetch, ''), key)`,
	},
}

// schemaVersion is the version this binary writes and understands.
func schemaVersion() int { return len(migrations) }

// migrate brings the database up to schemaVersion, one step per transaction.
// The version is re-read inside every transaction (which holds the write
// lock from its start on SQLite, the dialect's migration lock on
// PostgreSQL), so two processes opening the same new database at once
// apply each step exactly once.
func migrate(ctx context.Context, db *sql.DB, d *dialect) error {
	return migrateTo(ctx, db, d, migrations)
}

// migrateTo applies steps (a prefix of migrations in tests that build an
// old database).
func migrateTo(ctx context.Context, db *sql.DB, d *dialect, steps [][]string) error {
	for {
		done, err := migrateStep(ctx, db, d, steps)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next pending migration, or reports done when there
// is none. A database newer than this binary is an error: writing to it with
// an older schema in mind could lose data.
func migrateStep(ctx context.Context, db *sql.DB, d *dialect, steps [][]string) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	// After a Commit this Rollback is a no-op; after an error the error
	// returned is the one that matters.
	defer func() { _ = tx.Rollback() }()
	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return false, fmt.Errorf("lock for migration: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return false, fmt.Errorf("create schema_version table: %w", err)
	}
	var v int
	hasRow := true
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		hasRow = false
	case err != nil:
		return false, fmt.Errorf("read schema version: %w", err)
	}
	want := len(steps)
	if v > want {
		return false, fmt.Errorf("database schema version %d is newer than this feedpost supports (%d): upgrade feedpost", v, want)
	}
	if v == want {
		// A no-op write: SQLite silently opens a file it may not write as
		// read-only, and this makes Open report it instead of the first save.
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = version`); err != nil {
			return false, fmt.Errorf("write to the database: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return false, fmt.Errorf("commit schema check: %w", err)
		}
		return true, nil
	}
	for _, stmt := range steps[v] {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	if hasRow {
		_, err = tx.ExecContext(ctx, d.bind(`UPDATE schema_version SET version = ?`), v+1)
	} else {
		_, err = tx.ExecContext(ctx, d.bind(`INSERT INTO schema_version (version) VALUES (?)`), v+1)
	}
	if err != nil {
		return false, fmt.Errorf("record schema version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration to version %d: %w", v+1, err)
	}
	return false, nil
}
