package store

import (
	"errors"
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
