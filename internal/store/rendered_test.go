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
func TestEachRendered(t *testing.T) {
	s, _ := openTest(t)
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var items []Item
	for i, id := range []string{"a", "b", "c", "d"} {
		it := item(id, base.Add(time.Duration(i)*time.Hour))
		it.Rendered = []byte(`{"ID":"` + id + `","Body":"<p>正文 ` + id + `</p>"}`)
		items = append(items, it)
	}
	items[2].Rendered = nil // stored before rendered posts were kept
	mustPut(t, s, items...)
	if err := s.Prune([]string{"b"}); err != nil {
		t.Fatal(err)
	}

	var ids, bodies []string
	err := s.EachRendered(func(id string, rendered []byte) error {
		ids = append(ids, id)
		bodies = append(bodies, string(rendered))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := s.EachItem(func(it Item) error { want = append(want, it.ID); return nil }); err != nil {
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
	if err := s.EachRendered(func(string, []byte) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("a failing callback: %v after %d calls; want stop after 1", err, calls)
	}
}

// A post's body has its own column: PostBody returns it with the rendered
// metadata; EachRendered does not carry it; Prune clears it.
func TestPostBody(t *testing.T) {
	s, _ := openTest(t)
	it := item("a", t0)
	it.Rendered = []byte(`{"ID":"a","Body":""}`)
	it.Body = "<p>正文</p>"
	legacy := item("b", t0)
	legacy.Rendered = []byte(`{"ID":"b","Body":"<p>旧</p>"}`) // stored before the body column
	mustPut(t, s, it, legacy)

	body, rendered, err := s.PostBody("a")
	if err != nil || body != it.Body || string(rendered) != string(it.Rendered) {
		t.Errorf("PostBody(a) = %q, %q, %v", body, rendered, err)
	}
	if got := mustItem(t, s, "a").Body; got != it.Body {
		t.Errorf("Item(a).Body = %q", got)
	}
	body, rendered, err = s.PostBody("b")
	if err != nil || body != "" || string(rendered) != string(legacy.Rendered) {
		t.Errorf("PostBody(b) = %q, %q, %v; want the legacy rendered post and no body", body, rendered, err)
	}
	if _, _, err := s.PostBody("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("PostBody(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Prune([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	if body, _, err := s.PostBody("a"); err != nil || body != "" {
		t.Errorf("PostBody of a pruned item = %q, %v; want it cleared", body, err)
	}
}

// FindByDedupeKeys answers for many keys at once: for each, a live item
// before a pruned one, then the first seen.
func TestFindByDedupeKeys(t *testing.T) {
	s, _ := openTest(t)
	var items []Item
	for i, tc := range []struct{ id, source, key string }{
		{"1", "s1", "k1"}, {"2", "s2", "k1"}, {"3", "s3", "k2"}, {"4", "s4", "k2"}, {"5", "s5", "k3"},
	} {
		it := item(tc.id, t0)
		it.SourceKey, it.DedupeKey = tc.source, tc.key
		it.FirstSeen = hours(-10 + i) // 1 is the first seen of k1, 3 of k2
		items = append(items, it)
	}
	mustPut(t, s, items...)
	if err := s.Prune([]string{"3"}); err != nil { // k2: the live 4 wins over the earlier, pruned 3
		t.Fatal(err)
	}
	keys := []string{"k1", "k2", "k3", "missing", ""}
	got, err := s.FindByDedupeKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]DedupeHit{"k1": {"1", "s1"}, "k2": {"4", "s4"}, "k3": {"5", "s5"}}
	if len(got) != len(want) {
		t.Errorf("FindByDedupeKeys = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("FindByDedupeKeys[%s] = %v, want %v", k, got[k], w)
		}
	}
}

// ItemStates answers only for the source asked about, even when another
// source's item has an id in the list.
func TestItemStatesOfOneSource(t *testing.T) {
	s, _ := openTest(t)
	a, b := item("a", t0), item("b", t0)
	b.SourceKey = "other"
	mustPut(t, s, a, b)
	st, err := s.ItemStates("src", []string{"a", "b", "c"})
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
	saved := migrations
	migrations = saved[:1]
	s, err := Open(path)
	if err != nil {
		migrations = saved
		t.Fatal(err)
	}
	_, err = s.w.Exec(`INSERT INTO items (id, source_key, title, first_seen, sort_date, rendered, pending, pruned) VALUES
		('a', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '{"ID":"a","Body":"<p>旧</p>"}', 1, 0),
		('b', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '', 0, 0),
		('c', 'src', 't', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', '', 1, 1)`)
	s.Close()
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("open a schema-1 database: %v", err)
	}
	defer s.Close()
	body, rendered, err := s.PostBody("a")
	if err != nil || body != "" || string(rendered) != `{"ID":"a","Body":"<p>旧</p>"}` {
		t.Errorf("PostBody after the upgrade = %q, %q, %v", body, rendered, err)
	}
	if n, err := s.CountItems("src"); err != nil || n != 2 {
		t.Errorf("CountItems after the upgrade = %d, %v; want 2", n, err)
	}
	// The pending flag moved to its own table: a stays pending, b (written)
	// and c (pruned) do not.
	pending, err := s.PendingItems()
	if err != nil || len(pending) != 1 || pending[0].ID != "a" || !pending[0].Pending {
		t.Errorf("PendingItems after the upgrade = %+v, %v; want a", pending, err)
	}
	if it := mustItem(t, s, "b"); it.Pending {
		t.Error("b is pending after the upgrade")
	}
}
