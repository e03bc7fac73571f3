package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// A dialect is what differs between the two backends. Everything else in
// the package — the schema, the queries, the transactions — is written once
// in the SQL both engines share: TEXT and INTEGER columns, ON CONFLICT
// upserts, COALESCE, CASE, window functions, `?` placeholders (bound to
// `$n` for PostgreSQL by bind).
type dialect struct {
	name string // "sqlite" or "postgres"

	// bind turns the package's `?` placeholders into the driver's spelling.
	bind func(query string) string

	// timeExpr is an SQL expression for the database's clock plus offset,
	// as stored text (timeLayout). Leases and host slots compare against
	// the database's clock, not the process's, so that machines whose
	// clocks disagree still agree on when a lease ran out.
	timeExpr func(offset time.Duration) string

	// skipLocked ends a SELECT that claims rows, so that concurrent
	// claimers skip each other's rows instead of waiting on them
	// (PostgreSQL); SQLite has a single writer and needs nothing.
	skipLocked string

	// lockKeys serialises, until the end of tx, the transactions that
	// work on the same keys (cross-source dedupe): advisory transaction
	// locks on PostgreSQL; nothing on SQLite, whose write transactions
	// already run one at a time.
	lockKeys func(ctx context.Context, tx *sql.Tx, scope string, keys []string) error

	// notify tells listening processes that the generation moved, when tx
	// commits (PostgreSQL NOTIFY); nil on SQLite (one process).
	notify func(ctx context.Context, tx *sql.Tx, channel string) error

	// migrationLock is taken first in every migration transaction so that
	// two processes opening a new database at once apply each step once.
	migrationLock string

	integrityCheck func(ctx context.Context, db *sql.DB) error
}

// timeLayout is fixed-width UTC with nanoseconds, so stored times sort
// correctly as text (RFC3339Nano trims trailing zeros and would not) and
// come back exactly as saved. Years 0000–9999 fit. The dialects' timeExpr
// produce the same layout.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// seconds renders d as a whole number of seconds for an SQL literal.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// numberedBind turns `?` placeholders into `$1, $2, …`. The package's
// queries never hold a `?` inside a string literal, so a plain scan is
// enough.
func numberedBind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
