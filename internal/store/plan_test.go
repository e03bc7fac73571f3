package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// The lookups a cycle runs for every source must stay index lookups: a plan
// that scans the items table (every stored article, 20 KB each) makes a
// cycle slower the longer feedpost has run. SQLite explains its plan for
// each; "SCAN items" without "COVERING INDEX" would read every row.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name, query string
		args        []any
		want        string // a fragment the plan must contain
	}{
		{"item states", `SELECT id, source_key, hash FROM items WHERE id IN (?, ?)`, []any{"a", "b"}, "(id=?)"},
		{"count of a source", `SELECT COUNT(*) FROM items WHERE pruned = 0 AND source_key = ?`, []any{"s"}, "USING COVERING INDEX items_source_pruned"},
		{"count of all", `SELECT COUNT(*) FROM items WHERE pruned = 0`, nil, "COVERING INDEX"},
		{"dedupe keys", `SELECT dedupe_key, id, source_key FROM items WHERE dedupe_key IN (?, ?) ORDER BY dedupe_key, pruned, first_seen, id`, []any{"a", "b"}, "USING INDEX items_dedupe_key (dedupe_key=?)"},
		{"post body", `SELECT COALESCE(posts.body, ''), COALESCE(posts.rendered, '')
			FROM items LEFT JOIN posts ON posts.id = items.id WHERE items.id = ?`, []any{"a"}, "SEARCH posts USING INDEX sqlite_autoindex_posts_1 (id=?)"},
		{"pending items", `SELECT items.id FROM pending CROSS JOIN items LEFT JOIN posts ON posts.id = items.id
			WHERE items.id = pending.id AND items.pruned = 0 ORDER BY items.sort_date DESC, items.id`, nil, "SCAN pending; SEARCH items USING INDEX sqlite_autoindex_items_1 (id=?)"},
		{"due sources in lease order", `SELECT key, lease_holder FROM sources
			WHERE enabled = 1 AND COALESCE(next_fetch, '') <= ? AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY COALESCE(next_fetch, ''), key LIMIT ?`, []any{"t", "t", 8}, "SEARCH sources USING INDEX sources_lease_order (<expr><?)"},
		{"site listing", `SELECT items.id, COALESCE(posts.rendered, '') FROM items LEFT JOIN posts ON posts.id = items.id
			WHERE items.pruned = 0 ORDER BY items.sort_date DESC, items.id`, nil, "USING COVERING INDEX items_live (pruned=?)"},
	} {
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: plan %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}
