// Package storetest gives tests a fresh store target on each backend: a
// SQLite file in a temp folder, and, when FEEDPOST_TEST_POSTGRES names a
// PostgreSQL server (as .ci/run sets it), a fresh schema in that database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// EnvPostgres names the variable holding the test server's URL.
const EnvPostgres = "FEEDPOST_TEST_POSTGRES"

// Backend is one store target a test runs against.
type Backend struct {
	Name   string // "sqlite" or "postgres"
	Target func(t testing.TB) string
}

// Backends returns SQLite and, when EnvPostgres is set, PostgreSQL.
// Without it a test that ranges over them logs that PostgreSQL is skipped
// (CI sets it, so there nothing is skipped).
func Backends(t testing.TB) []Backend {
	out := []Backend{{"sqlite", SQLite}}
	if os.Getenv(EnvPostgres) != "" {
		out = append(out, Backend{"postgres", Postgres})
	} else {
		t.Logf("PostgreSQL backend not tested: set %s to a server URL (bash .ci/run does)", EnvPostgres)
	}
	return out
}

// SQLite returns the path of a new SQLite store in a temp folder.
func SQLite(t testing.TB) string {
	return filepath.Join(t.TempDir(), "state", "feedpost.db")
}

// Postgres returns the URL of a fresh, empty schema of the test server,
// dropped when the test ends; it skips the test without EnvPostgres.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("no PostgreSQL server: set %s to a server URL (bash .ci/run does)", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// EnvBackend, set to "postgres", makes Target give PostgreSQL stores: a
// test suite written against Target (the pipeline's) then runs on the
// shared backend, as .ci/run does in a second pass.
const EnvBackend = "FEEDPOST_TEST_BACKEND"

// Target returns the store a test of the whole pipeline uses: path (a
// SQLite file) by default, a fresh PostgreSQL schema when EnvBackend says
// postgres.
func Target(t testing.TB, path string) string {
	if os.Getenv(EnvBackend) == "postgres" {
		return Postgres(t)
	}
	return path
}

// Exec runs a statement on the store at target with a connection of its
// own (tests that break the store on purpose: a trigger that fails every
// insert). sqliteQuery and pgQuery are the statement in each dialect.
func Exec(t testing.TB, target, sqliteQuery, pgQuery string) {
	t.Helper()
	driver, dsn, q := "sqlite", target, sqliteQuery
	if strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://") {
		driver, q = "pgx", pgQuery
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("exec on %s: %v", driver, err)
	}
}
