package retention

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var now = time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

// fixture: source a has a1 (newest) … a4, source b has b1 … b3.
var fixture = []Entry{
	{"a1", "a", day(1)},
	{"a2", "a", day(3)},
	{"a3", "a", day(5)},
	{"a4", "a", day(40)},
	{"b1", "b", day(2)},
	{"b2", "b", day(4)},
	{"b3", "b", day(31)},
}

func TestSelect(t *testing.T) {
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
			got := Select(fixture, tt.lim, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Select(%+v) = %q, want %q", tt.lim, got, tt.want)
			}
		})
	}
}

// TestSelectOrderMatters shows why per-source comes before max_posts: with
// the other order, source a's surplus would use up the overall budget and b
// would lose a post it may keep.
func TestSelectOrderMatters(t *testing.T) {
	entries := []Entry{
		{"a1", "a", day(1)}, {"a2", "a", day(2)}, {"a3", "a", day(3)},
		{"b1", "b", day(4)},
	}
	got := Select(entries, Limits{PerSource: 1, MaxPosts: 2}, now)
	want := []string{"a2", "a3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (b1 must stay)", got, want)
	}
}

func TestSelectTies(t *testing.T) {
	same := day(1)
	entries := []Entry{{"c", "s", same}, {"a", "s", same}, {"b", "s", same}, {"a", "s", same}}
	// Equal dates: the smaller id counts as newer; a duplicate id counts once.
	if got, want := Select(entries, Limits{PerSource: 1}, now), []string{"b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := Select(entries, Limits{MaxPosts: 2}, now), []string{"c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSelectInputOrder: the choice never depends on the order of entries.
func TestSelectInputOrder(t *testing.T) {
	lim := Limits{PerSource: 2, MaxPosts: 3, MaxAge: 10 * 24 * time.Hour}
	want := Select(fixture, lim, now)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := append([]Entry(nil), fixture...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Select(shuffled, lim, now); !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v: got %q, want %q", shuffled, got, want)
		}
	}
}
