package site

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/post"
)

// Records come back as written, whatever order and grouping metas reads
// them in: side by side, with bodies between them, repeated.
func TestSpillRoundTrip(t *testing.T) {
	s, err := newSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	type rec struct {
		m         meta
		body      string
		off       int64
		mLen, bLn uint32
	}
	r := rand.New(rand.NewPCG(1, 2))
	var recs []rec
	for i := range 500 {
		m := meta{title: strings.Repeat("标题", r.IntN(40)), cover: "https://img.example.com/" + strings.Repeat("x", r.IntN(300)) + ".jpg",
			link: "", author: strings.Repeat("作者", r.IntN(3))}
		if i%3 == 0 {
			m.link = "https://example.com/" + strings.Repeat("p", r.IntN(200))
		}
		body := ""
		switch i % 4 {
		case 1:
			body = strings.Repeat("<p>正文</p>", r.IntN(1000)) // longer than maxGap now and then
		case 2:
			body = "<p>短</p>"
		}
		off, ml, bl := s.add(m, body)
		recs = append(recs, rec{m, body, off, ml, bl})
	}
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	for round := range 200 {
		n := 1 + r.IntN(60)
		offs, lens, want := make([]int64, n), make([]uint32, n), make([]rec, n)
		start := r.IntN(len(recs))
		for i := range n {
			k := r.IntN(len(recs)) // scattered
			if round%2 == 0 {
				k = (start + i) % len(recs) // side by side (a home page)
			}
			want[i] = recs[k]
			offs[i], lens[i] = recs[k].off, recs[k].mLen
		}
		got := make([]meta, n)
		s.metas(offs, lens, got)
		for i := range n {
			if got[i] != want[i].m {
				t.Fatalf("round %d, record %d: got %+v, want %+v", round, i, got[i], want[i].m)
			}
		}
	}
	for i, rc := range recs {
		if got := s.body(rc.off+int64(rc.mLen), rc.bLn); got != rc.body {
			t.Fatalf("body %d: got %d bytes, want %d", i, len(got), len(rc.body))
		}
	}
	if err := s.failed(); err != nil {
		t.Fatal(err)
	}
}

// A record that does not parse fails the build instead of showing garbage.
func TestSpillCorrupt(t *testing.T) {
	s, err := newSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	off, n, _ := s.add(meta{title: "标题", cover: "c", author: "作者"}, "")
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	got := make([]meta, 1)
	s.metas([]int64{off}, []uint32{n - 2}, got) // cut short, inside the author
	if s.failed() == nil {
		t.Fatalf("a cut record gave %+v and no error", got[0])
	}
	s2, err := newSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close()
	if err := s2.finish(); err != nil {
		t.Fatal(err)
	}
	s2.metas([]int64{0}, []uint32{10}, got) // past the end
	if s2.failed() == nil {
		t.Fatal("a read past the end gave no error")
	}
}

// The temporary file is gone after a build, one that fails included: the
// output folder holds only the site.
func TestSpillLeavesNothing(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	failing := testOptions(t)
	_, err := BuildEach(func(add func(post.Post)) error {
		add(testPosts()[0])
		return errors.New("store gone")
	}, failing)
	if err == nil {
		t.Fatal("BuildEach: a failing reader did not fail the build")
	}
	for _, dir := range []string{opt.Dir, failing.Dir} {
		des, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range des {
			if strings.HasPrefix(de.Name(), ".feedpost-posts.") {
				t.Errorf("%s: %s left behind", dir, de.Name())
			}
		}
	}
}
