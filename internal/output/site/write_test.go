package site

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

// errKilled stands for a SIGKILL in the builds that killAt stops.
var errKilled = errors.New("killed")

// killAt returns options whose build stops before its step n (counting
// from 0 every change the build makes to the folder: mkdir, temp file,
// rename, removal, journal write) and makes no change after it, as a
// process killed there would; *steps counts the steps asked for. The
// build's workers ask concurrently, so which change is step n varies from
// run to run (as the moment of a kill would), but not how many are done.
func killAt(opt Options, n int64, steps *atomic.Int64) Options {
	opt.before = func(output.Op, string) error {
		if steps.Add(1) > n {
			return errKilled
		}
		return nil
	}
	return opt
}

// siteFiles reads every file under dir but the manifest, by relative path.
func siteFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == manifestName {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameSite reports how got differs from want (nil: not at all).
func sameSite(got, want map[string]string) []string {
	var diffs []string
	for rel, data := range want {
		if g, ok := got[rel]; !ok {
			diffs = append(diffs, "missing "+rel)
		} else if g != data {
			diffs = append(diffs, "differs "+rel)
		}
	}
	for rel := range got {
		if _, ok := want[rel]; !ok {
			diffs = append(diffs, "extra "+rel)
		}
	}
	slices.Sort(diffs)
	return diffs
}

func postsWith(ids ...string) []post.Post {
	return slices.DeleteFunc(testPosts(), func(p post.Post) bool {
		return !slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(p.ID, id) })
	})
}

// A build killed at any step, followed by a complete build, leaves exactly
// the pages a fresh build of the live posts makes: no page of a pruned
// post, no temp file, no journal, and a manifest that lists every file.
// Issue 14: the build used to write its new file list before deleting the
// old pages, so a kill in between left the pruned posts' pages for good.
func TestKilledBuildConverges(t *testing.T) {
	cases := []struct {
		name                  string
		before, killed, after []post.Post
		every                 int64 // kill at every step (1), every other one (2)…
	}{
		// The killed build follows a prune: it removes pages.
		{"after a prune", testPosts(), postsWith("1", "2", "4"), postsWith("1", "2", "4"), 1},
		// The killed build adds posts that are pruned before the next
		// build: pages no manifest ever listed.
		{"new posts then pruned", postsWith("1", "2", "3"), testPosts(), postsWith("1", "2"), 2},
		// Everything pruned but one post, and a category and source gone.
		{"down to one post", testPosts(), postsWith("5"), postsWith("5"), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := testOptions(t)
			ref := opt
			ref.Dir = t.TempDir()
			build(t, c.after, ref)
			want := siteFiles(t, ref.Dir)

			// Count the steps of the killed build, uninterrupted.
			var counted atomic.Int64
			probe := opt
			probe.Dir = t.TempDir()
			build(t, c.before, probe)
			if _, err := Build(c.killed, killAt(probe, 1<<30, &counted)); err != nil {
				t.Fatal(err)
			}
			total := counted.Load()
			if total < 20 {
				t.Fatalf("only %d steps counted", total)
			}
			every := c.every
			if testing.Short() {
				every *= 5
			}
			// One folder for all the kill points: after each, the site
			// goes back to the state before the killed build by building
			// c.before again (an incremental build, cheaper than a cold
			// one, and itself a build after a prune).
			for n := int64(0); n < total; n += every {
				build(t, c.before, opt)
				var steps atomic.Int64
				if _, err := Build(c.killed, killAt(opt, n, &steps)); !errors.Is(err, errKilled) {
					t.Fatalf("step %d: build not stopped: %v", n, err)
				}
				st, err := Build(c.after, opt)
				if err != nil {
					t.Fatalf("killed at step %d of %d, next build: %v", n, total, err)
				}
				if d := sameSite(siteFiles(t, opt.Dir), want); len(d) > 0 {
					t.Fatalf("killed at step %d of %d, then built: %d differences: %v", n, total, len(d), d)
				}
				m := readManifestFile(t, opt.Dir)
				if len(m.Files) != len(want) || st.Pages != len(want) {
					t.Fatalf("killed at step %d: manifest lists %d files, stats %d pages, want %d", n, len(m.Files), st.Pages, len(want))
				}
				if !Current(opt) {
					t.Fatalf("killed at step %d: the finished build is not current", n)
				}
			}
			t.Logf("%d kill points", total)
		})
	}
}

// Builds killed one after another (each at another step) still converge,
// and a site with the journal of an unfinished build is not current.
func TestKilledTwice(t *testing.T) {
	opt := testOptions(t)
	ref := opt
	ref.Dir = t.TempDir()
	build(t, postsWith("2", "5"), ref)
	want := siteFiles(t, ref.Dir)
	for _, kills := range [][2]int64{{3, 5}, {10, 40}, {40, 10}, {60, 2}, {25, 25}} {
		opt.Dir = filepath.Join(t.TempDir(), "site")
		build(t, testPosts(), opt)
		var steps atomic.Int64
		Build(postsWith("1", "2", "3"), killAt(opt, kills[0], &steps))
		if Current(opt) {
			t.Errorf("kills %v: a killed build's site is current", kills)
		}
		steps.Store(0)
		Build(postsWith("2", "4", "5"), killAt(opt, kills[1], &steps))
		if _, err := Build(postsWith("2", "5"), opt); err != nil {
			t.Fatal(err)
		}
		if d := sameSite(siteFiles(t, opt.Dir), want); len(d) > 0 {
			t.Errorf("kills %v: %v", kills, d)
		}
	}
}

// A build stopped between a temp file's creation and its rename leaves
// the temp file; the next build sweeps it (it would otherwise be served),
// and the spill file of a killed build is named so the sweep finds it too.
func TestUnfinishedBuildTempsSwept(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	posts := testPosts()
	posts[0].Title = "改过的标题"
	var renames atomic.Int64
	stop := opt
	stop.before = func(op output.Op, _ string) error {
		if op == output.OpRename && renames.Add(1) > 3 {
			return errKilled
		}
		return nil
	}
	if _, err := Build(posts, stop); !errors.Is(err, errKilled) {
		t.Fatalf("build not stopped: %v", err)
	}
	temps := func() []string {
		var found []string
		filepath.WalkDir(opt.Dir, func(p string, d fs.DirEntry, err error) error {
			if ok, _ := filepath.Match(output.TempPattern, d.Name()); ok {
				found = append(found, p)
			}
			return nil
		})
		return found
	}
	if len(temps()) == 0 {
		t.Fatal("the stopped build left no temp file: the test tests nothing")
	}
	spill := filepath.Join(opt.Dir, ".feedpost-posts.tmp-123")
	os.WriteFile(spill, []byte("left by a killed build where it could not be unlinked"), 0o644)
	if _, err := os.Stat(filepath.Join(opt.Dir, journalName)); err != nil {
		t.Fatalf("no journal after a stopped build: %v", err)
	}
	build(t, posts, opt)
	if left := temps(); len(left) > 0 {
		t.Errorf("temp files left after the next build: %v", left)
	}
	if _, err := os.Stat(filepath.Join(opt.Dir, journalName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("journal left after a finished build: %v", err)
	}
}

// The journal keeps only whole lines, inside the site, of pages: a
// damaged one deletes nothing outside the site nor the build's own files.
func TestJournalDamaged(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	outside := filepath.Join(filepath.Dir(opt.Dir), "keep-me")
	os.WriteFile(outside, []byte("x"), 0o644)
	cname := filepath.Join(opt.Dir, "CNAME")
	os.WriteFile(cname, []byte("news.example.com"), 0o644)
	os.WriteFile(filepath.Join(opt.Dir, ".well-known"), []byte("x"), 0o644)
	journal := strings.Join([]string{"../keep-me", "/etc/hostname", ".well-known", manifestName, "posts/./x", "CNA"}, "\n") + "\nCNAME"
	os.WriteFile(filepath.Join(opt.Dir, journalName), []byte(journal), 0o644)
	build(t, testPosts(), opt)
	for _, p := range []string{outside, cname, filepath.Join(opt.Dir, ".well-known"), filepath.Join(opt.Dir, manifestName)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}

// A stale file that cannot be removed fails the build but stays in the
// manifest, so that the next build tries again.
func TestStaleNotRemovable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root removes files from read-only folders")
	}
	opt := testOptions(t)
	build(t, testPosts(), opt)
	folder := filepath.Join(opt.Dir, "posts", "a000000000000003")
	os.Chmod(folder, 0o555)
	defer os.Chmod(folder, 0o755)
	pruned := postsWith("1", "2", "4", "5")
	if _, err := Build(pruned, opt); err == nil || !strings.Contains(err.Error(), "a000000000000003") {
		t.Fatalf("want an error naming the page it could not remove, got %v", err)
	}
	m := readManifestFile(t, opt.Dir)
	if !slices.ContainsFunc(m.Files, func(e fileEntry) bool { return e.Path == "posts/a000000000000003/index.html" }) {
		t.Error("the page that could not be removed is forgotten")
	}
	os.Chmod(folder, 0o755)
	st, err := Build(pruned, opt)
	if err != nil || st.Removed != 1 {
		t.Errorf("next build: %+v, %v", st, err)
	}
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("page folder still there: %v", err)
	}
}

func readManifestFile(t *testing.T, dir string) manifest {
	t.Helper()
	var m manifest
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Folders are made once per build: a cold build makes each folder with
// one mkdir, however many files it holds.
func TestFoldersMadeOnce(t *testing.T) {
	opt := testOptions(t)
	made := map[string]int{}
	var mu sync.Mutex
	opt.before = func(op output.Op, path string) error {
		if op == output.OpMkdir {
			mu.Lock()
			made[path]++
			mu.Unlock()
		}
		return nil
	}
	build(t, testPosts(), opt)
	for dir, n := range made {
		if n != 1 {
			t.Errorf("%s made %d times", dir, n)
		}
	}
	// category/新媒体/ holds index.html and three feeds.
	if made[filepath.Join(opt.Dir, "category", "新媒体")] != 1 {
		t.Errorf("folders made: %v", made)
	}
}
