package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store/storetest"
)

var now = time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

// retentionFixture: source a has a1 (newest) … a4, source b has b1 … b3.
func retentionFixture(t *testing.T, s *Store) {
	var items []Item
	for _, e := range []struct {
		id, src string
		date    time.Time
	}{
		{"a1", "a", day(1)}, {"a2", "a", day(3)}, {"a3", "a", day(5)}, {"a4", "a", day(40)},
		{"b1", "b", day(2)}, {"b2", "b", day(4)}, {"b3", "b", day(31)},
	} {
		it := item(e.id, e.date)
		it.SourceKey = e.src
		items = append(items, it)
	}
	// One already pruned: it never counts.
	gone := item("a0", day(0))
	gone.SourceKey = "a"
	mustPut(t, s, append(items, gone)...)
	if err := s.Prune(ctx, []string{"a0"}); err != nil {
		t.Fatal(err)
	}
}

func candidateIDs(t *testing.T, s *Store, lim Limits) []string {
	t.Helper()
	got, err := s.PruneCandidates(ctx, lim, now)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestPruneCandidates(t *testing.T) { eachBackend(t, testPruneCandidates) }

func testPruneCandidates(t *testing.T, s *Store) {
	retentionFixture(t, s)
	tests := []struct {
		name string
		lim  Limits
		want []string
	}{
		{"no limits", Limits{}, []string{}},
		{"per source", Limits{PerSource: 2}, []string{"a3", "a4", "b3"}},
		{"per source above counts", Limits{PerSource: 4}, []string{}},
		{"max posts", Limits{MaxPosts: 3}, []string{"a3", "a4", "b2", "b3"}},
		{"max posts equals count", Limits{MaxPosts: 7}, []string{}},
		{"max age", Limits{MaxAge: 30 * 24 * time.Hour}, []string{"a4", "b3"}},
		{"max age keeps the boundary", Limits{MaxAge: 31 * 24 * time.Hour}, []string{"a4"}},
		// per source first: a3,a4,b3 go; of a1,b1,a2,b2 the 3 newest stay.
		{"per source then max posts", Limits{PerSource: 2, MaxPosts: 3}, []string{"a3", "a4", "b2", "b3"}},
		// per source leaves a1 and b1; of those only the newest, a1, stays.
		{"per source 1 then max posts", Limits{PerSource: 1, MaxPosts: 1}, []string{"a2", "a3", "a4", "b1", "b2", "b3"}},
		{"all three", Limits{PerSource: 3, MaxPosts: 5, MaxAge: 4*24*time.Hour + time.Hour}, []string{"a3", "a4", "b3"}},
		{"age only removes old", Limits{MaxAge: time.Hour}, []string{"a1", "a2", "a3", "a4", "b1", "b2", "b3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := candidateIDs(t, s, tt.lim); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PruneCandidates(%+v) = %q, want %q", tt.lim, got, tt.want)
			}
		})
	}
	c, _ := s.PruneCandidates(ctx, Limits{PerSource: 3}, now)
	if len(c) != 1 || c[0].ID != "a4" || c[0].SourceKey != "a" || c[0].Title != "title a4" || !c[0].Date.Equal(day(40)) {
		t.Errorf("candidate fields = %+v", c)
	}
}

// Per-source comes before max_posts: with the other order, source a's
// surplus would use up the overall budget and b would lose a post it may
// keep. Equal dates: the smaller id counts as newer.
func TestPruneCandidatesOrderAndTies(t *testing.T) { eachBackend(t, testPruneCandidatesOrderAndTies) }

func testPruneCandidatesOrderAndTies(t *testing.T, s *Store) {
	for _, e := range []struct {
		id, src string
		date    time.Time
	}{{"a1", "a", day(1)}, {"a2", "a", day(2)}, {"a3", "a", day(3)}, {"b1", "b", day(4)},
		{"c", "s", day(9)}, {"a", "s", day(9)}, {"b", "s", day(9)}} {
		it := item(e.id, e.date)
		it.SourceKey = e.src
		mustPut(t, s, it)
	}
	if got, want := candidateIDs(t, s, Limits{PerSource: 1, MaxPosts: 3}), []string{"a2", "a3", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (b1 must stay; of the tied s posts, a)", got, want)
	}
}

func TestGenerationMovesWithChanges(t *testing.T) { eachBackend(t, testGenerationMovesWithChanges) }

func testGenerationMovesWithChanges(t *testing.T, s *Store) {
	gen := func() int64 {
		t.Helper()
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	mustPut(t, s, item("a", t0))
	g1 := gen()
	if g1 <= g0 {
		t.Errorf("PutItems: generation %d → %d", g0, g1)
	}
	if err := s.MarkWritten(ctx, []string{"a"}); err != nil || gen() != g1 {
		t.Errorf("MarkWritten moved the generation (%v)", err)
	}
	if _, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: "src", LastStatus: "unchanged"}}); err != nil || gen() != g1 {
		t.Errorf("a fetch that stored nothing moved the generation (%v)", err)
	}
	if err := s.SaveRenderings(ctx, []Rendering{{ID: "a", Rendered: []byte("{}"), Fingerprint: "f2"}}); err != nil || gen() <= g1 {
		t.Errorf("SaveRenderings did not move the generation (%v)", err)
	}
	g2 := gen()
	if err := s.Prune(ctx, []string{"a"}); err != nil || gen() <= g2 {
		t.Errorf("Prune did not move the generation (%v)", err)
	}
}

// A failed commit stores neither the items nor the source's new state.
func TestCommitFetchAllOrNothing(t *testing.T) { eachBackend(t, testCommitFetchAllOrNothing) }

func testCommitFetchAllOrNothing(t *testing.T, s *Store) {
	if err := s.SaveSource(ctx, Source{Key: "src", ETag: `"old"`}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CommitFetch(ctx, Fetch{Source: Source{Key: "src", ETag: `"new"`},
		Items: []Item{item("a", t0), {ID: "", SourceKey: "src"}}})
	if err == nil {
		t.Fatal("a commit with a bad item succeeded")
	}
	if st, _, _ := s.Source(ctx, "src"); st.ETag != `"old"` {
		t.Errorf("ETag after a failed commit = %q, want the old one", st.ETag)
	}
	if _, found, _ := s.Item(ctx, "a"); found {
		t.Error("an item of a failed commit was stored")
	}
}

func TestLeases(t *testing.T) { eachBackend(t, testLeases) }

func testLeases(t *testing.T, s *Store) {
	if err := s.RegisterSources(ctx, map[string]bool{"a": true, "b": true, "c": true, "off": false}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSource(ctx, Source{Key: "c", NextFetch: time.Now().Add(time.Hour)}); err != nil { // not due
		t.Fatal(err)
	}
	got, err := s.LeaseDue(ctx, "w1", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Lease{{Key: "a"}, {Key: "b"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("LeaseDue = %+v, want %+v (c is not due, off is disabled)", got, want)
	}
	if again, _ := s.LeaseDue(ctx, "w2", 10, time.Minute); len(again) != 0 {
		t.Errorf("a second worker leased %+v while w1 holds them", again)
	}
	if held, err := s.RenewLease(ctx, "a", "w2", time.Minute); err != nil || held {
		t.Errorf("RenewLease by a non-holder = %v, %v", held, err)
	}
	if holder, live, _ := s.LeaseHolder(ctx, "a"); holder != "w1" || !live {
		t.Errorf("LeaseHolder(a) = %q, %v", holder, live)
	}
	// w1's commit of a releases it; a lost lease makes a commit fail.
	if _, err := s.CommitFetch(ctx, Fetch{Holder: "w1", Source: Source{Key: "a", NextFetch: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if holder, _, _ := s.LeaseHolder(ctx, "a"); holder != "" {
		t.Errorf("lease of a after the commit: %q", holder)
	}
	if _, err := s.CommitFetch(ctx, Fetch{Holder: "w2", Source: Source{Key: "b"}}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("commit without the lease = %v, want ErrLeaseLost", err)
	}
	// An expired lease is taken over, and says so.
	if held, err := s.RenewLease(ctx, "b", "w1", -time.Minute); err != nil || !held {
		t.Fatalf("RenewLease = %v, %v", held, err)
	}
	got, err = s.LeaseDue(ctx, "w2", 10, time.Minute)
	if err != nil || !reflect.DeepEqual(got, []Lease{{Key: "b", Expired: true}}) {
		t.Errorf("LeaseDue after expiry = %+v, %v; want b, expired", got, err)
	}
	if _, err := s.CommitFetch(ctx, Fetch{Holder: "w1", Source: Source{Key: "b"}}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("commit by the expired holder = %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseLeases(ctx, "w2"); err != nil {
		t.Fatal(err)
	}

	// LeaseSource (a `run`): taken once; not again once fetched since.
	since, err := s.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.LeaseSource(ctx, "new", "r1", time.Minute, since); err != nil || !ok {
		t.Fatalf("LeaseSource(new) = %v, %v", ok, err)
	}
	if ok, _ := s.LeaseSource(ctx, "new", "r2", time.Minute, since); ok {
		t.Error("a second run leased a held source")
	}
	if _, err := s.CommitFetch(ctx, Fetch{Holder: "r1", Source: Source{Key: "new", LastFetch: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.LeaseSource(ctx, "new", "r2", time.Minute, since); ok {
		t.Error("a second run leased a source fetched since it started")
	}
	if ok, _ := s.LeaseSource(ctx, "new", "r3", time.Minute, time.Time{}); !ok {
		t.Error("LeaseSource with no since refused a free source")
	}
}

// Many claimers at once never get the same source.
func TestLeaseDueConcurrent(t *testing.T) { eachBackend(t, testLeaseDueConcurrent) }

func testLeaseDueConcurrent(t *testing.T, s *Store) {
	keys := map[string]bool{}
	for i := range 60 {
		keys[fmt.Sprintf("s%02d", i)] = true
	}
	if err := s.RegisterSources(ctx, keys); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for range 20 {
				got, err := s.LeaseDue(ctx, fmt.Sprint("w", w), 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, l := range got {
					if prev, dup := seen[l.Key]; dup {
						t.Errorf("%s leased by %s and w%d", l.Key, prev, w)
					}
					seen[l.Key] = fmt.Sprint("w", w)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("%d sources leased, want 60", len(seen))
	}
}

func TestHostSlots(t *testing.T) { eachBackend(t, testHostSlots) }

func testHostSlots(t *testing.T, s *Store) {
	var got []int
	for i := range 3 {
		slot, ok, err := s.AcquireHostSlot(ctx, "h:80", 2, fmt.Sprint("r", i), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, slot)
		}
	}
	if !slices.Equal(got, []int{0, 1}) {
		t.Errorf("slots taken = %v, want [0 1] (the third must wait)", got)
	}
	if slot, ok, _ := s.AcquireHostSlot(ctx, "other:80", 2, "x", time.Minute); !ok || slot != 0 {
		t.Errorf("another host: %d %v", slot, ok)
	}
	if err := s.ReleaseHostSlot(ctx, "h:80", 1, "r1"); err != nil {
		t.Fatal(err)
	}
	if slot, ok, _ := s.AcquireHostSlot(ctx, "h:80", 2, "r3", time.Minute); !ok || slot != 1 {
		t.Errorf("after a release: %d %v, want slot 1", slot, ok)
	}
	// A slot whose holder died (expired) is taken again.
	if _, ok, _ := s.AcquireHostSlot(ctx, "dead:80", 1, "gone", -time.Second); !ok {
		t.Fatal("first slot")
	}
	if _, ok, _ := s.AcquireHostSlot(ctx, "dead:80", 1, "next", time.Minute); !ok {
		t.Error("an expired slot was not taken over")
	}
	// Releasing with the wrong holder does nothing.
	if err := s.ReleaseHostSlot(ctx, "dead:80", 0, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.AcquireHostSlot(ctx, "dead:80", 1, "third", time.Minute); ok {
		t.Error("a release by a former holder freed the slot")
	}
}

func TestSecretAndValues(t *testing.T) { eachBackend(t, testSecretAndValues) }

func testSecretAndValues(t *testing.T, s *Store) {
	a, err := s.Secret(ctx)
	if err != nil || len(a) != 64 {
		t.Fatalf("Secret = %q, %v", a, err)
	}
	if b, _ := s.Secret(ctx); b != a {
		t.Errorf("Secret changed: %q then %q", a, b)
	}
	if _, found, _ := s.Value(ctx, "x"); found {
		t.Error("Value of an unset name found")
	}
	for _, v := range []string{"1", "两"} {
		if err := s.SetValue(ctx, "x", v); err != nil {
			t.Fatal(err)
		}
		if got, found, err := s.Value(ctx, "x"); got != v || !found || err != nil {
			t.Errorf("Value = %q, %v, %v; want %q", got, found, err, v)
		}
	}
}

// Copy moves a store into another backend and back; a second copy changes
// nothing; the counts are checked.
func TestCopy(t *testing.T) {
	backends := storetest.Backends(t)
	from := openTarget(t, storetest.SQLite(t))
	retentionFixture(t, from)
	it := item("x", t0)
	it.Rendered, it.Body, it.Fingerprint = []byte(`{"ID":"x"}`), "<p>正文</p>", "fp"
	mustPut(t, from, it)
	if err := from.SaveSource(ctx, Source{Key: "a", ETag: `"e"`, Meta: map[string]string{"k": "v"}, LastFetch: t0}); err != nil {
		t.Fatal(err)
	}
	secret, _ := from.Secret(ctx)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			to := openTarget(t, b.Target(t))
			for range 2 {
				counts, err := Copy(ctx, from, to)
				if err != nil {
					t.Fatal(err)
				}
				if len(counts) != len(copyTables) {
					t.Errorf("counts = %+v", counts)
				}
			}
			var want, got []Item
			from.EachItem(ctx, func(it Item) error { want = append(want, it); return nil })
			to.EachItem(ctx, func(it Item) error { got = append(got, it); return nil })
			if !reflect.DeepEqual(got, want) {
				t.Errorf("items differ after the copy:\n%+v\n%+v", got, want)
			}
			if st, _, _ := to.Source(ctx, "a"); st.ETag != `"e"` || st.Meta["k"] != "v" || !st.LastFetch.Equal(t0) {
				t.Errorf("source after the copy = %+v", st)
			}
			if s2, _ := to.Secret(ctx); s2 != secret {
				t.Error("the proxy secret was not copied")
			}
			g1, _ := from.Generation(ctx)
			g2, _ := to.Generation(ctx)
			if g2 < g1 {
				t.Errorf("generation %d after the copy, source has %d", g2, g1)
			}
			// Back again, into an empty SQLite store.
			back := openTarget(t, storetest.SQLite(t))
			if _, err := Copy(ctx, to, back); err != nil {
				t.Fatal(err)
			}
			// A target that holds other data fails the count check.
			other := item("other", t0)
			other.SourceKey = "elsewhere"
			mustPut(t, back, other)
			if _, err := Copy(ctx, from, back); err == nil || !strings.Contains(err.Error(), "counts differ") {
				t.Errorf("copy into a store with more items = %v", err)
			}
		})
	}
}

// A second process opening a SQLite store exclusively is refused with a
// message naming the store and the holder.
func TestExclusiveLock(t *testing.T) {
	if os.Getenv("FEEDPOST_LOCK_HELPER") != "" {
		s, err := Open(ctx, os.Getenv("FEEDPOST_LOCK_HELPER"), Options{Exclusive: true})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		fmt.Println("LOCKED")
		os.Stdin.Read(make([]byte, 1)) // hold until the parent closes stdin
		s.Close()
		os.Exit(0)
	}
	path := storetest.SQLite(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestExclusiveLock$")
	cmd.Env = append(os.Environ(), "FEEDPOST_LOCK_HELPER="+path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "LOCKED") {
		t.Fatalf("helper: %q", buf[:n])
	}
	_, err := Open(ctx, path, Options{Exclusive: true})
	var inUse *InUseError
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("second exclusive Open = %v, want an InUseError naming the store and the holder's pid", err)
	}
	// A non-exclusive open (check) still works beside it.
	if s, err := Open(ctx, path, Options{}); err != nil {
		t.Errorf("non-exclusive Open beside a holder: %v", err)
	} else {
		s.Close()
	}
	stdin.Close()
	cmd.Wait()
	// Once the holder is gone, the lock is free (even after a kill, as the
	// operating system drops it with the process).
	s, err := Open(ctx, path, Options{Exclusive: true})
	if err != nil {
		t.Fatalf("Open after the holder exited: %v", err)
	}
	s.Close()
}

// Bad PostgreSQL targets fail in one line naming the host and database,
// never the password.
func TestPostgresOpenErrors(t *testing.T) {
	for _, target := range []string{
		"postgres://feedpost:s3cret@127.0.0.1:1/news?sslmode=disable&connect_timeout=2",
		"postgresql://feedpost:s3cret@/news",
	} {
		_, err := Open(ctx, target, Options{})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", target)
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") || !strings.Contains(msg, "news") {
			t.Errorf("Open error %q: want one line naming the database, without the password", msg)
		}
	}
	if got := Redact("postgres://u:pw@h:5432/db?password=pw2&sslmode=disable"); strings.Contains(got, "pw") {
		t.Errorf("Redact = %q", got)
	}
}

// A PostgreSQL database that a newer feedpost migrated is refused.
func TestPostgresNewerSchema(t *testing.T) {
	target := storetest.Postgres(t)
	s := openTarget(t, target)
	if _, err := s.w.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, target, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "localhost") {
		t.Errorf("Open of a newer PostgreSQL schema = %v", err)
	}
}
