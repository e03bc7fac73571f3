package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store/storetest"
)

var ctx = context.Background()

// openTest opens a new SQLite store (for the tests about the file itself).
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := storetest.SQLite(t)
	return openTarget(t, path), path
}

func openTarget(t testing.TB, target string) *Store {
	t.Helper()
	s, err := Open(ctx, target, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// eachBackend runs fn on a new store of every backend: the store's
// behaviour is the same on SQLite and PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, openTarget(t, b.Target(t))) })
	}
}

var (
	t0    = time.Date(2021, 8, 17, 6, 56, 6, 123456789, time.UTC)
	cst   = time.FixedZone("CST", 8*3600)
	hours = func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
)

func item(id string, published time.Time) Item {
	return Item{
		ID: id, SourceKey: "src", GUID: "guid-" + id, Link: "https://example.com/" + id,
		Title: "title " + id, Content: "<p>content " + id + "</p>", Base: "https://example.com/",
		Author: "author", Images: []string{"https://img.example.com/" + id + ".jpg"},
		Categories: []string{"新闻", "tech"}, Published: published, FirstSeen: t0,
		Hash: "h1-" + id, DedupeKey: "example.com/" + id, Pending: true,
	}
}

func mustPut(t testing.TB, s *Store, items ...Item) {
	t.Helper()
	if err := s.PutItems(ctx, items); err != nil {
		t.Fatalf("PutItems: %v", err)
	}
}

func mustItem(t *testing.T, s *Store, id string) Item {
	t.Helper()
	it, ok, err := s.Item(ctx, id)
	if err != nil || !ok {
		t.Fatalf("Item(%s) = found %v, err %v", id, ok, err)
	}
	return it
}

func TestOpenCreatesFolderAndReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "feedpost.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Key: "k", URL: "https://example.com/feed", ETag: `"x"`}
	want := item("1", t0)
	if err := s.SaveSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, ok, err := s.Source(ctx, "k"); err != nil || !ok || !reflect.DeepEqual(got, src) {
		t.Errorf("Source after reopen = %+v, %v, %v; want %+v", got, ok, err, src)
	}
	if got := mustItem(t, s, "1"); !reflect.DeepEqual(got, want) {
		t.Errorf("Item after reopen =\n%+v\nwant\n%+v", got, want)
	}
	var mode string
	if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	// '?' and '#' would start the parameters or fragment of an unescaped URI.
	path := filepath.Join(t.TempDir(), "my feeds?#%20", "feedpost.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveSource(ctx, Source{Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s, path := openTest(t)
	mustPut(t, s, item("1", t0))
	for range 3 {
		if err := migrate(ctx, s.w, sqliteDialect); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	s2, err := Open(ctx, path, Options{}) // a second Open of the same file (another process, say)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s2.Close()
	var rows, v int
	if err := s.r.QueryRow("SELECT COUNT(*), MAX(version) FROM schema_version").Scan(&rows, &v); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || v != schemaVersion() {
		t.Errorf("schema_version has %d rows, version %d; want 1 row, version %d", rows, v, schemaVersion())
	}
	if n, err := s2.CountItems(ctx, ""); err != nil || n != 1 {
		t.Errorf("CountItems after re-migration = %d, %v; want 1", n, err)
	}
}

func TestMigrationUpgradesOldDatabase(t *testing.T) {
	s, path := openTest(t)
	mustPut(t, s, item("1", t0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A later release appends a step; an existing file must take it on Open.
	saved := migrations
	steps := append(slices.Clone(saved), []string{`ALTER TABLE items ADD COLUMN later TEXT NOT NULL DEFAULT 'x'`})

	s2, err := open(ctx, path, Options{}, steps)
	if err != nil {
		t.Fatalf("Open with a new migration: %v", err)
	}
	defer s2.Close()
	var v int
	var later string
	if err := s2.r.QueryRow("SELECT version FROM schema_version").Scan(&v); err != nil || v != len(saved)+1 {
		t.Errorf("version after upgrade = %d, %v; want %d", v, err, len(saved)+1)
	}
	if err := s2.r.QueryRow("SELECT later FROM items WHERE id = '1'").Scan(&later); err != nil || later != "x" {
		t.Errorf("new column = %q, %v", later, err)
	}
}

func TestNewerSchemaRejected(t *testing.T) {
	s, path := openTest(t)
	if _, err := s.w.Exec("UPDATE schema_version SET version = ?", schemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path, Options{})
	if err == nil {
		t.Fatal("Open of a newer schema succeeded")
	}
	for _, want := range []string{path, "newer", fmt.Sprint(schemaVersion() + 1)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("this is not a database\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	isDir := filepath.Join(dir, "a-folder")
	if err := os.Mkdir(isDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path string }{
		{"not a database", garbage},
		{"parent is a file", filepath.Join(notDir, "feedpost.db")},
		{"path is a folder", isDir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
		})
	}
	// The garbage must be left alone, not overwritten by a fresh database.
	if b, _ := os.ReadFile(garbage); !strings.HasPrefix(string(b), "this is not") {
		t.Error("Open modified the non-database file")
	}
}

func TestOpenUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "feedpost.db")
	s, err := Open(ctx, path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open in a read-only folder succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestMigrateReportsReadOnlyFile(t *testing.T) {
	// Root ignores permissions, so the read-only case SQLite falls back to
	// for an unwritable file is forced with the URI's mode=ro.
	s, path := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	source, err := dsn(path, false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(sqliteDriver, source+"&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(ctx, db, sqliteDialect); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("migrate on a read-only file = %v, want a readonly error", err)
	}
}

func TestSourceRoundTrip(t *testing.T) { eachBackend(t, testSourceRoundTrip) }

func testSourceRoundTrip(t *testing.T, s *Store) {
	tests := []Source{
		{Key: "empty"},
		{
			Key: "full", URL: "https://rsshub.app/qutoutiao/category/1", ETag: `W/"abc"`,
			LastModified: "Tue, 17 Aug 2021 06:56:06 GMT", FeedTitle: "趣头条", FeedLink: "https://qutoutiao.net",
			LastStatus: "failed", LastError: "GET …: 503", Failures: 3,
			LastFetch: t0, NextFetch: t0.Add(30 * time.Minute),
			Meta: map[string]string{"category_auto": `["新媒体","趣头条"]`, "x": ""},
		},
	}
	for _, want := range tests {
		if err := s.SaveSource(ctx, want); err != nil {
			t.Fatalf("SaveSource(%s): %v", want.Key, err)
		}
		got, ok, err := s.Source(ctx, want.Key)
		if err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Source(%s) =\n%+v %v %v\nwant\n%+v", want.Key, got, ok, err, want)
		}
	}

	// Upsert replaces every field, including clearing them.
	replaced := Source{Key: "full", LastStatus: "ok"}
	if err := s.SaveSource(ctx, replaced); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Source(ctx, "full"); !reflect.DeepEqual(got, replaced) {
		t.Errorf("after upsert Source = %+v, want %+v", got, replaced)
	}
	if _, ok, err := s.Source(ctx, "missing"); ok || err != nil {
		t.Errorf("Source(missing) = found %v, err %v", ok, err)
	}
	all, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Source{tests[0], replaced}; !reflect.DeepEqual(all, want) {
		t.Errorf("Sources = %+v, want %+v", all, want)
	}
}

func TestTimeRoundTrip(t *testing.T) { eachBackend(t, testTimeRoundTrip) }

func testTimeRoundTrip(t *testing.T, s *Store) {
	tests := []struct {
		name string
		in   time.Time
	}{
		{"zero", time.Time{}},
		{"utc with nanoseconds", t0},
		{"offset zone", time.Date(2021, 8, 17, 14, 56, 6, 0, cst)},
		{"whole second", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"before unix epoch", time.Date(1900, 2, 3, 4, 5, 6, 7, time.UTC)},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{"with monotonic reading", time.Now()},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := item(fmt.Sprint(i), tc.in)
			it.Updated = tc.in
			mustPut(t, s, it)
			got := mustItem(t, s, it.ID)
			for _, g := range []time.Time{got.Published, got.Updated} {
				if !g.Equal(tc.in) || g.IsZero() != tc.in.IsZero() {
					t.Errorf("stored %v, read back %v", tc.in, g)
				}
				if g.Location() != time.UTC {
					t.Errorf("read back in %v, want UTC", g.Location())
				}
			}
		})
	}
	bad := item("bad", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := s.PutItems(ctx, []Item{bad}); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("PutItems with year 10000 = %v, want an error naming the item", err)
	}
}

func TestStoredTimesSortAsText(t *testing.T) {
	// EachItem's order relies on the text form sorting like the instants.
	times := []time.Time{
		time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2021, 1, 1, 0, 0, 0, 500_000_000, time.UTC),
		time.Date(2021, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2021, 1, 1, 8, 0, 2, 0, cst),
		time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	slices.SortFunc(times, time.Time.Compare)
	var texts []string
	for _, tm := range times {
		v, err := timeValue(tm)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, v.(string))
	}
	if !slices.IsSorted(texts) {
		t.Errorf("stored forms not sorted like the times: %q", texts)
	}
}

func TestPutItemsUpsert(t *testing.T) { eachBackend(t, testPutItemsUpsert) }

func testPutItemsUpsert(t *testing.T, s *Store) {
	first := item("1", t0)
	first.Fulltext = "<article>full</article>"
	mustPut(t, s, first)

	second := item("1", hours(1))
	second.FirstSeen = hours(5) // must be ignored
	second.Content, second.Hash, second.Title = "<p>new</p>", "h2", "new title"
	second.Images, second.Categories = nil, nil
	second.Fulltext = "" // a failed re-extraction keeps the old text
	mustPut(t, s, second)

	got := mustItem(t, s, "1")
	want := second
	want.FirstSeen = first.FirstSeen
	want.Fulltext = first.Fulltext
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after upsert\n%+v\nwant\n%+v", got, want)
	}

	third := second
	third.Fulltext = "<article>newer</article>"
	mustPut(t, s, third)
	if got := mustItem(t, s, "1"); got.Fulltext != third.Fulltext || !got.FirstSeen.Equal(t0) {
		t.Errorf("fulltext %q first seen %v; want %q, %v", got.Fulltext, got.FirstSeen, third.Fulltext, t0)
	}

	// A new item without FirstSeen gets one, and keeps it.
	fresh := item("2", time.Time{})
	fresh.FirstSeen = time.Time{}
	mustPut(t, s, fresh)
	seen := mustItem(t, s, "2").FirstSeen
	if seen.IsZero() {
		t.Fatal("new item without FirstSeen stored a zero FirstSeen")
	}
	mustPut(t, s, fresh)
	if again := mustItem(t, s, "2").FirstSeen; !again.Equal(seen) {
		t.Errorf("FirstSeen changed from %v to %v", seen, again)
	}

	// All or nothing: one bad item rolls the whole batch back.
	if err := s.PutItems(ctx, []Item{item("3", t0), {ID: "", SourceKey: "src"}}); err == nil {
		t.Error("PutItems accepted an item without id")
	}
	if _, ok, _ := s.Item(ctx, "3"); ok {
		t.Error("a failed PutItems left part of its batch behind")
	}
}

func TestPrunedNotResurrected(t *testing.T) { eachBackend(t, testPrunedNotResurrected) }

func testPrunedNotResurrected(t *testing.T, s *Store) {
	mustPut(t, s, item("1", t0), item("2", hours(1)))
	if err := s.Prune(ctx, []string{"1", "unknown"}); err != nil {
		t.Fatal(err)
	}
	again := item("1", hours(9))
	again.Content, again.Hash = "<p>changed</p>", "h2"
	mustPut(t, s, again)

	got := mustItem(t, s, "1")
	orig := item("1", t0)
	if !got.Pruned || got.Pending || got.Content != "" || got.Hash != orig.Hash || got.Images != nil {
		t.Errorf("pruned item after PutItems = %+v", got)
	}
	if got.GUID != orig.GUID || got.Link != orig.Link || got.DedupeKey != orig.DedupeKey || got.SourceKey != "src" {
		t.Errorf("prune lost the item's identity: %+v", got)
	}
	if n, _ := s.CountItems(ctx, ""); n != 1 {
		t.Errorf("CountItems = %d, want 1 (pruned not counted)", n)
	}
	st, _ := s.ItemStates(ctx, "src", []string{"1"})
	if !st["1"].Pruned {
		t.Errorf("ItemStates[1] = %+v, want Pruned", st["1"])
	}
	var ids []string
	_ = s.EachItem(ctx, func(it Item) error { ids = append(ids, it.ID); return nil })
	if !slices.Equal(ids, []string{"2"}) {
		t.Errorf("EachItem ids = %v, want [2]", ids)
	}
	dup := item("9", t0)
	dup.SourceKey, dup.DedupeKey = "other", orig.DedupeKey
	if got, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: "other"}, Items: []Item{dup}}); err != nil || len(got.Duplicates) != 1 {
		t.Errorf("a pruned item's story through another source = %+v, %v; want a duplicate", got, err)
	}
	if err := s.SetFulltext(ctx, "1", "<p>x</p>"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetFulltext on a pruned item = %v, want ErrNotFound", err)
	}
}

func TestItemStates(t *testing.T) { eachBackend(t, testItemStates) }

func testItemStates(t *testing.T, s *Store) {
	a := item("a", t0)
	b := item("b", t0)
	b.Pending, b.Fulltext = false, "<p>full</p>"
	other := item("o", t0)
	other.SourceKey = "other"
	mustPut(t, s, a, b, other)

	got, err := s.ItemStates(ctx, "src", []string{"a", "b", "o", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ItemState{
		"a": {Hash: a.Hash, FirstSeen: t0, Pending: true},
		"b": {Hash: b.Hash, FirstSeen: t0, HasFulltext: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ItemStates = %+v\nwant %+v", got, want)
	}
	if got, err := s.ItemStates(ctx, "src", nil); err != nil || len(got) != 0 {
		t.Errorf("ItemStates(nil) = %v, %v", got, err)
	}

	// More ids than one IN list holds: stored ones sit at the batch edges.
	var ids []string
	for i := range 2*maxInList + 100 {
		ids = append(ids, fmt.Sprintf("m%04d", i))
	}
	var stored []Item
	for _, i := range []int{0, maxInList - 1, maxInList, 2*maxInList - 1, 2 * maxInList, len(ids) - 1} {
		stored = append(stored, Item{ID: ids[i], SourceKey: "big", Hash: ids[i]})
	}
	mustPut(t, s, stored...)
	got, err = s.ItemStates(ctx, "big", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(stored) {
		t.Fatalf("ItemStates over batches found %d, want %d", len(got), len(stored))
	}
	for _, it := range stored {
		if got[it.ID].Hash != it.ID {
			t.Errorf("state of %s = %+v", it.ID, got[it.ID])
		}
	}
}

func TestEachItemOrderAndStop(t *testing.T) { eachBackend(t, testEachItemOrderAndStop) }

func testEachItemOrderAndStop(t *testing.T, s *Store) {
	onlyUpdated := item("u", time.Time{})
	onlyUpdated.Updated = hours(2)
	onlyFirstSeen := item("f", time.Time{})
	onlyFirstSeen.FirstSeen = hours(3)
	publishedBeatsUpdated := item("p", hours(1))
	publishedBeatsUpdated.Updated = hours(10)
	tieA, tieB := item("t-a", hours(4)), item("t-b", hours(4).In(cst))
	old := item("old", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC))
	mustPut(t, s, old, tieB, onlyUpdated, publishedBeatsUpdated, onlyFirstSeen, tieA)

	var ids []string
	if err := s.EachItem(ctx, func(it Item) error { ids = append(ids, it.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"t-a", "t-b", "f", "u", "p", "old"}; !slices.Equal(ids, want) {
		t.Errorf("EachItem order = %v, want %v", ids, want)
	}

	stop := errors.New("stop")
	calls := 0
	err := s.EachItem(ctx, func(Item) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("EachItem with a failing callback = %v after %d calls; want stop after 2", err, calls)
	}

	// The callback may write to the store while the walk is open.
	err = s.EachItem(ctx, func(it Item) error { return s.MarkWritten(ctx, []string{it.ID}) })
	if err != nil {
		t.Fatalf("write inside EachItem: %v", err)
	}
	if p, _ := s.PendingItems(ctx, "", 0); len(p) != 0 {
		t.Errorf("%d items still pending", len(p))
	}
}

func TestMarkWrittenAndPendingItems(t *testing.T) { eachBackend(t, testMarkWrittenAndPendingItems) }

func testMarkWrittenAndPendingItems(t *testing.T, s *Store) {
	done := item("done", hours(0))
	done.Pending = false
	mustPut(t, s, item("a", hours(1)), item("b", hours(2)), item("c", hours(3)), done)
	p, err := s.PendingItems(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := itemIDs(p); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("PendingItems = %v, want [a b c] (id order)", got)
	}
	if err := s.MarkWritten(ctx, []string{"a", "c", "nope"}); err != nil {
		t.Fatal(err)
	}
	p, _ = s.PendingItems(ctx, "", 0)
	if got := itemIDs(p); !slices.Equal(got, []string{"b"}) {
		t.Errorf("PendingItems after MarkWritten = %v, want [b]", got)
	}
	// An update makes an item pending again when the caller says so.
	mustPut(t, s, item("a", hours(1)))
	p, _ = s.PendingItems(ctx, "", 0)
	if got := itemIDs(p); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("PendingItems after update = %v, want [a b]", got)
	}
}

func itemIDs(items []Item) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestCountItems(t *testing.T) { eachBackend(t, testCountItems) }

func testCountItems(t *testing.T, s *Store) {
	y := item("y", t0)
	y.SourceKey = "other"
	mustPut(t, s, item("x", t0), y, item("z", t0))
	if err := s.Prune(ctx, []string{"y"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source string
		want   int
	}{{"", 2}, {"src", 2}, {"other", 0}, {"none", 0}}
	for _, tc := range tests {
		if n, err := s.CountItems(ctx, tc.source); err != nil || n != tc.want {
			t.Errorf("CountItems(%q) = %d, %v; want %d", tc.source, n, err, tc.want)
		}
	}
}

func TestSetFulltext(t *testing.T) { eachBackend(t, testSetFulltext) }

func testSetFulltext(t *testing.T, s *Store) {
	mustPut(t, s, item("1", t0))
	if err := s.SetFulltext(ctx, "1", "<article>x</article>"); err != nil {
		t.Fatal(err)
	}
	if got := mustItem(t, s, "1").Fulltext; got != "<article>x</article>" {
		t.Errorf("Fulltext = %q", got)
	}
	if st, _ := s.ItemStates(ctx, "src", []string{"1"}); !st["1"].HasFulltext {
		t.Error("ItemStates does not report the fulltext")
	}
	if err := s.SetFulltext(ctx, "missing", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetFulltext(missing) = %v, want ErrNotFound", err)
	}
}

func TestConcurrentWriters(t *testing.T) { eachBackend(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T, s *Store) {
	// Every goroutine writes (and some read) at once; none may see
	// SQLITE_BUSY or lose a write.
	const writers, calls, batch = 8, 50, 1
	var wg sync.WaitGroup
	errs := make(chan error, writers*calls*2)
	for w := range writers {
		wg.Go(func() {
			for c := range calls {
				var items []Item
				var ids []string
				for k := range batch {
					it := item(fmt.Sprintf("w%d-c%d-%d", w, c, k), hours(c))
					items = append(items, it)
					ids = append(ids, it.ID)
				}
				if err := s.PutItems(ctx, items); err != nil {
					errs <- err
				}
				if c%5 == 0 {
					if _, err := s.ItemStates(ctx, "src", ids); err != nil {
						errs <- err
					}
				}
				if c%10 == 0 {
					if err := s.MarkWritten(ctx, ids); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := s.CountItems(ctx, "src"); err != nil || n != writers*calls*batch {
		t.Errorf("CountItems = %d, %v; want %d", n, err, writers*calls*batch)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestIntegrityCheck(t *testing.T) {
	s, path := openTest(t)
	var items []Item
	for i := range 200 {
		it := item(fmt.Sprintf("%03d", i), hours(i))
		it.DedupeKey = fmt.Sprintf("dk-%03d-a", i)
		items = append(items, it)
	}
	mustPut(t, s, items...)
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatalf("IntegrityCheck on a sound store: %v", err)
	}
	if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}

	// Change one key inside a leaf page of the dedupe-key index (page type
	// 0x0A), keeping its length and sort position: the file stays readable,
	// but the index no longer matches its table, which only a full check sees.
	var pageSize int
	if err := s.r.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for off := pageSize; off+pageSize <= len(data); off += pageSize {
		page := data[off : off+pageSize]
		if i := bytes.Index(page, []byte("dk-007-a")); page[0] == 0x0A && i >= 0 {
			page[i+7] = 'b'
			changed = true
		}
	}
	if !changed {
		t.Fatal("dedupe index entry not found in the file")
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open of a file with a damaged index: %v", err)
	}
	defer s2.Close()
	if err := s2.IntegrityCheck(ctx); err == nil {
		t.Error("IntegrityCheck passed on a damaged file")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func BenchmarkPutItems(b *testing.B) {
	s, _ := openTest(b)
	content := strings.Repeat("<p>some article text</p>\n", 8192/25+1)[:8192]
	const batch = 20
	n := 0
	b.ResetTimer()
	for b.Loop() {
		items := make([]Item, batch)
		for i := range items {
			items[i] = item(fmt.Sprint(n), t0)
			items[i].Content = content
			n++
		}
		mustPut(b, s, items...)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}

// The same id twice in one PutItems: the last wins (a multi-row upsert may
// not touch a row twice on PostgreSQL).
func TestPutItemsSameIDTwice(t *testing.T) { eachBackend(t, testPutItemsSameIDTwice) }

func testPutItemsSameIDTwice(t *testing.T, s *Store) {
	a, b := item("1", t0), item("1", t0)
	b.Title = "second"
	mustPut(t, s, a, item("2", t0), b)
	if got := mustItem(t, s, "1"); got.Title != "second" {
		t.Errorf("title %q, want the last one", got.Title)
	}
}
