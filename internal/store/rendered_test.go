package store

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// EachRendered gives what EachItem gives, id and rendered post only, in the
// same order, without pruned items.
func TestEachRendered(t *testing.T) { eachBackend(t, testEachRendered) }

func testEachRendered(t *testing.T, s *Store) {
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var items []Item
	for i, id := range []string{"a", "b", "c", "d"} {
		it := item(id, base.Add(time.Duration(i)*time.Hour))
		it.Rendered = []byte(`{"ID":"` + id + `","Body":"<p>正文 ` + id + `</p>"}`)
		items = append(items, it)
	}
	items[2].Rendered = nil // stored before rendered posts were kept
	mustPut(t, s, items...)
	if err := s.Prune(ctx, []string{"b"}); err != nil {
		t.Fatal(err)
	}

	var ids, bodies []string
	err := s.EachRendered(ctx, func(id string, rendered []byte) error {
		ids = append(ids, id)
		bodies = append(bodies, string(rendered))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := s.EachItem(ctx, func(it Item) error { want = append(want, it.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, want) || !slices.Equal(ids, []string{"d", "c", "a"}) {
		t.Errorf("EachRendered ids %v, EachItem %v; want [d c a]", ids, want)
	}
	if bodies[0] != string(items[3].Rendered) || bodies[1] != "" || bodies[2] != string(items[0].Rendered) {
		t.Errorf("rendered posts %q", bodies)
	}

	stop := errors.New("stop")
	calls := 0
	if err := s.EachRendered(ctx, func(string, []byte) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("a failing callback: %v after %d calls; want stop after 1", err, calls)
	}
}

// A post's body has its own column: PostBody returns it with the rendered
// metadata; EachRendered does not carry it; Prune clears it.
func TestPostBody(t *testing.T) { eachBackend(t, testPostBody) }

func testPostBody(t *testing.T, s *Store) {
	it := item("a", t0)
	it.Rendered = []byte(`{"ID":"a","Body":""}`)
	it.Body = "<p>正文</p>"
	legacy := item("b", t0)
	legacy.Rendered = []byte(`{"ID":"b","Body":"<p>旧</p>"}`) // stored before the body column
	mustPut(t, s, it, legacy)

	body, rendered, err := s.PostBody(ctx, "a")
	if err != nil || body != it.Body || string(rendered) != string(it.Rendered) {
		t.Errorf("PostBody(a) = %q, %q, %v", body, rendered, err)
	}
	if got := mustItem(t, s, "a").Body; got != it.Body {
		t.Errorf("Item(a).Body = %q", got)
	}
	body, rendered, err = s.PostBody(ctx, "b")
	if err != nil || body != "" || string(rendered) != string(legacy.Rendered) {
		t.Errorf("PostBody(b) = %q, %q, %v; want the legacy rendered post and no body", body, rendered, err)
	}
	if _, _, err := s.PostBody(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("PostBody(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Prune(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if body, _, err := s.PostBody(ctx, "a"); err != nil || body != "" {
		t.Errorf("PostBody of a pruned item = %q, %v; want it cleared", body, err)
	}
}

// CommitFetch drops a new item whose dedupe key another source's stored
// item has: a live one before a pruned one, then the first seen. An item
// of the same source, or one already stored under its id, is kept; with a
// window, only a story dated within it is the same story.
func TestCommitFetchDedupe(t *testing.T) { eachBackend(t, testCommitFetchDedupe) }

func testCommitFetchDedupe(t *testing.T, s *Store) {
	var items []Item
	for i, tc := range []struct{ id, source, key string }{
		{"1", "s1", "k1"}, {"2", "s2", "k2"}, {"3", "s3", "k3"},
	} {
		it := item(tc.id, t0)
		it.SourceKey, it.DedupeKey = tc.source, tc.key
		it.FirstSeen = hours(-10 + i)
		items = append(items, it)
	}
	mustPut(t, s, items...)
	if err := s.Prune(ctx, []string{"3"}); err != nil { // a pruned story must not come back either
		t.Fatal(err)
	}
	again := item("2", hours(1)) // already stored under its id: an update, never a duplicate
	again.SourceKey, again.DedupeKey = "s2", "k2"
	var fetch []Item
	for _, tc := range []struct{ id, key string }{{"a", "k1"}, {"b", "k3"}, {"c", "k4"}, {"d", ""}} {
		it := item(tc.id, t0)
		it.SourceKey, it.DedupeKey = "s9", tc.key
		fetch = append(fetch, it)
	}
	same := item("e", t0) // the same source's own story
	same.SourceKey, same.DedupeKey = "s1", "k1"
	got, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: "s9", LastStatus: "ok"}, Items: fetch})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Duplicates, []string{"a", "b"}) || !slices.Equal(got.Stored, []string{"c", "d"}) {
		t.Errorf("CommitFetch = stored %v, duplicates %v; want [c d], [a b]", got.Stored, got.Duplicates)
	}
	got, err = s.CommitFetch(ctx, Fetch{Source: Source{Key: "s1"}, Items: []Item{same}})
	if err != nil || len(got.Duplicates) != 0 {
		t.Errorf("the same source's item: %+v, %v; want it kept", got, err)
	}
	got, err = s.CommitFetch(ctx, Fetch{Source: Source{Key: "s2"}, Items: []Item{again}})
	if err != nil || len(got.Duplicates) != 0 {
		t.Errorf("an update: %+v, %v; want it kept", got, err)
	}
	if _, found, _ := s.Item(ctx, "a"); found {
		t.Error("a duplicate was stored")
	}
	if st, found, err := s.Source(ctx, "s9"); err != nil || !found || st.LastStatus != "ok" {
		t.Errorf("source state after the commit = %+v, %v, %v", st, found, err)
	}

	// With a SameStory rule: the same key 3 days later is another story.
	within48h := func(a, b time.Time) bool { d := a.Sub(b); return d <= 48*time.Hour && d >= -48*time.Hour }
	late := item("f", t0.Add(72*time.Hour))
	late.SourceKey, late.DedupeKey = "s8", "k1"
	near := item("g", t0.Add(time.Hour))
	near.SourceKey, near.DedupeKey = "s7", "k1"
	for _, tc := range []struct {
		it  Item
		dup bool
	}{{late, false}, {near, true}} {
		got, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: tc.it.SourceKey}, Items: []Item{tc.it}, Dedupe: Dedupe{SameStory: within48h}})
		if err != nil || (len(got.Duplicates) == 1) != tc.dup {
			t.Errorf("%s with a 48h window: %+v, %v; want duplicate %v", tc.it.ID, got, err, tc.dup)
		}
	}
	// Off: nothing is a duplicate.
	off := item("h", t0)
	off.SourceKey, off.DedupeKey = "s6", "k1"
	if got, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: "s6"}, Items: []Item{off}, Dedupe: Dedupe{Off: true}}); err != nil || len(got.Duplicates) != 0 {
		t.Errorf("dedupe off: %+v, %v", got, err)
	}
}

// ItemStates answers only for the source asked about, even when another
// source's item has an id in the list.
func TestItemStatesOfOneSource(t *testing.T) { eachBackend(t, testItemStatesOfOneSource) }

func testItemStatesOfOneSource(t *testing.T, s *Store) {
	a, b := item("a", t0), item("b", t0)
	b.SourceKey = "other"
	mustPut(t, s, a, b)
	st, err := s.ItemStates(ctx, "src", []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st["a"]; !ok || len(st) != 1 {
		t.Errorf("ItemStates(src) = %v, want a only", st)
	}
}

// A database made by the first release (schema 1: the body inside rendered)
// opens under schema 2 with its items intact and readable.
func TestUpgradeFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	s, err := open(ctx, path, Options{}, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.w.Exec(`INSERT INTO items (id, source_key, title, first_seen, sort_date, rendered, pending, pruned) VALUES
		('a', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '{"ID":"a","Body":"<p>旧</p>"}', 1, 0),
		('b', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '', 0, 0),
		('c', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '', 1, 1)`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open a schema-1 database: %v", err)
	}
	defer s.Close()
	body, rendered, err := s.PostBody(ctx, "a")
	if err != nil || body != "" || string(rendered) != `{"ID":"a","Body":"<p>旧</p>"}` {
		t.Errorf("PostBody after the upgrade = %q, %q, %v", body, rendered, err)
	}
	if n, err := s.CountItems(ctx, "src"); err != nil || n != 2 {
		t.Errorf("CountItems after the upgrade = %d, %v; want 2", n, err)
	}
	// The pending flag moved to its own table: a stays pending, b (written)
	// and c (pruned) do not.
	pending, err := s.PendingItems(ctx, "", 0)
	if err != nil || len(pending) != 1 || pending[0].ID != "a" || !pending[0].Pending {
		t.Errorf("PendingItems after the upgrade = %+v, %v; want a", pending, err)
	}
	if it := mustItem(t, s, "b"); it.Pending {
		t.Error("b is pending after the upgrade")
	}
}
