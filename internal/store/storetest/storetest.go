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
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
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
