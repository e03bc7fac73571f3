package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL backend: any number of feedpost processes, on any
// machines, share one database and coordinate through it (leases on
// sources and host slots, an advisory lock for the one active builder,
// LISTEN/NOTIFY to wake it). pgx's database/sql adapter keeps the rest of
// the package engine-neutral.

// DefaultPostgresConns bounds the connections one process opens: fetch
// workers, the builder and its lock, the listener and the web handlers
// share them. PostgreSQL's default max_connections is 100, so ten
// processes fit with room for the operator's own tools.
const DefaultPostgresConns = 8

var pgDialect = &dialect{
	name: "postgres",
	bind: numberedBind,
	timeExpr: func(offset time.Duration) string {
		// A scalar subquery, so that PostgreSQL evaluates it once per
		// statement (an InitPlan), not once per row a WHERE looks at.
		return fmt.Sprintf(`(SELECT to_char((clock_timestamp() + interval '%d seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"000Z"'))`, seconds(offset))
	},
	skipLocked: ` FOR UPDATE SKIP LOCKED`,
	lockKeys: func(ctx context.Context, tx *sql.Tx, scope string, keys []string) error {
		// One lock per key, in one statement, taken in key order (the
		// subquery sorts; the volatile lock function runs on its rows in
		// that order), so that two transactions locking overlapping keys
		// wait for each other instead of deadlocking.
		keys = slices.Clone(keys)
		for i, k := range keys {
			keys[i] = scope + "|" + k
		}
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
			FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS sorted`, keys)
		return err
	},
	notify: func(ctx context.Context, tx *sql.Tx, channel string) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, channel)
		return err
	},
	migrationLock: `SELECT pg_advisory_xact_lock(hashtextextended('feedpost.migrate.' || current_schema(), 0))`,
	integrityCheck: func(ctx context.Context, db *sql.DB) error {
		// PostgreSQL checks its own pages (and amcheck is an extension a
		// managed database may not offer): what is left to check is that
		// the database answers and holds a feedpost schema.
		var v int
		if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		return nil
	},
}

// IsURL reports whether target names a PostgreSQL database rather than a
// SQLite file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Redact returns a PostgreSQL URL without its password (in the user info
// or as a parameter), for messages and logs; other targets are returned
// as they are.
func Redact(target string) string {
	if !IsURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// openPostgres connects to the database at target and migrates it. Its
// errors are one line naming the host and the database, never the
// password.
func openPostgres(ctx context.Context, s *Store, target string, conns int, steps [][]string) error {
	if _, err := url.Parse(target); err != nil {
		return fmt.Errorf("open store %s: not a valid PostgreSQL URL (want postgres://user:password@host:port/database?sslmode=...)", Redact(target))
	}
	cc, err := pgx.ParseConfig(target)
	if err != nil {
		return fmt.Errorf("open store %s: %s", Redact(target), pgMessage(err))
	}
	// Commits do not wait for the WAL to reach the disk (unless the URL
	// says otherwise): a crash of the server may lose the last commits,
	// never corrupt the database — the same trade as the SQLite backend's
	// synchronous=NORMAL, and safe for feedpost, because a fetch's items
	// and the validators that would skip them are one commit: a lost
	// commit is fetched again. It saves a disk flush on every lease, host
	// slot and commit, which is most of a fetch's time in the database.
	if _, set := cc.RuntimeParams["synchronous_commit"]; !set {
		cc.RuntimeParams["synchronous_commit"] = "off"
	}
	// Plan every statement with its values. pgx prepares each statement
	// once per connection; a generic plan made while a table was new and
	// small (a fresh store filling up in its first cycle) kept scanning it
	// whole as it grew: 8 ms per commit instead of a few index lookups.
	if _, set := cc.RuntimeParams["plan_cache_mode"]; !set {
		cc.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	// Large values (articles, bodies) are compressed with lz4 where the
	// server has it: pglz, the default, cost a fetch's commit more CPU than
	// everything else in it. A server without lz4 keeps pglz.
	db := stdlib.OpenDB(*cc, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		_, _ = c.Exec(ctx, `SET default_toast_compression = lz4`)
		return nil
	}))
	if conns <= 0 {
		conns = DefaultPostgresConns
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return fmt.Errorf("open store %s: cannot connect: %s", Redact(target), pgMessage(err))
	}
	if err := migrateTo(ctx, db, pgDialect, steps); err != nil {
		return fmt.Errorf("open store %s: %s", Redact(target), pgMessage(err))
	}
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&s.schema); err != nil {
		return fmt.Errorf("open store %s: %s", Redact(target), pgMessage(err))
	}
	return nil
}

// pgMessage flattens a driver error to one line: pgx may put the server's
// detail and hint on lines of their own.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	msg := err.Error()
	if errors.As(err, &pe) {
		msg = err.Error()
		if pe.Detail != "" {
			msg += " (" + pe.Detail + ")"
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}
