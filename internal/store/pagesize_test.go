package store

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// A new store gets pageSize-byte pages and WAL mode; a store made with
// SQLite's default 4 KB pages (by an older feedpost) keeps them and keeps
// working.
func TestPageSize(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "new.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var size int
	var mode string
	if err := s.r.QueryRow("PRAGMA page_size").Scan(&size); err != nil || size != pageSize {
		t.Errorf("new store: page_size %d (%v), want %d", size, err, pageSize)
	}
	if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("new store: journal_mode %q (%v), want wal", mode, err)
	}
	s.Close()

	old := filepath.Join(dir, "old.db")
	db, err := sql.Open(sqliteDriver, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = Open(ctx, old, Options{})
	if err != nil {
		t.Fatalf("open a 4 KB-page store: %v", err)
	}
	defer s.Close()
	if err := s.r.QueryRow("PRAGMA page_size").Scan(&size); err != nil || size != 4096 {
		t.Errorf("old store: page_size %d (%v), want 4096 kept", size, err)
	}
	if err := s.PutItems(ctx, []Item{{ID: "a", SourceKey: "s", Content: "<p>正文</p>"}}); err != nil {
		t.Errorf("old store: put: %v", err)
	}
	if _, found, err := s.Item(ctx, "a"); !found || err != nil {
		t.Errorf("old store: item back: %v %v", found, err)
	}
}
