package main

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// siteTree reads every file under dir/public but the site's manifest
// (which records mtimes), by relative path.
func siteTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	root := filepath.Join(dir, "public")
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".feedpost-site.json" {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// feedpostCmd runs `feedpost <args> -q -c cfg` to the end and fails the test
// unless it exits 0.
func feedpostCmd(t *testing.T, bin, cfg string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-q", "-c", cfg)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("feedpost %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

// TestSiteKilledAfterPrune is issue 14's crash-safe site build with real
// processes: `feedpost prune` (which removes posts, then rebuilds the site)
// SIGKILLed at random moments, then `feedpost prune` and `feedpost build`,
// leaves exactly the
// site of an uninterrupted prune — none of the pruned posts' pages — and no
// temp file or journal. (The site package's TestKilledBuildConverges stops
// a build at every step; this checks the same end to end.)
func TestSiteKilledAfterPrune(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary many times")
	}
	bin := buildFeedpost(t, t.TempDir())
	const feeds, items, keep = 40, 6, 60
	srv := newSlowFeeds(t, feeds, items, time.Millisecond)

	// prepare runs a whole cycle into a new folder and writes prune.yaml
	// beside its config, the same with `keep:`.
	prepare := func() (dir, pruneCfg string) {
		dir = t.TempDir()
		cfg := writeCrashConfig(t, dir, srv, 8)
		feedpostCmd(t, bin, cfg, "run")
		data, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pruneCfg = filepath.Join(dir, "prune.yaml")
		if err := os.WriteFile(pruneCfg, append(data, "keep: {max_posts: 60}\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, pruneCfg
	}

	// Reference: an uninterrupted prune.
	dirA, cfgA := prepare()
	start := time.Now()
	feedpostCmd(t, bin, cfgA, "prune")
	took := time.Since(start)
	feedpostCmd(t, bin, cfgA, "build")
	want := siteTree(t, dirA)
	posts := 0
	for rel := range want {
		if strings.HasPrefix(rel, "posts/") {
			posts++
		}
	}
	if posts != keep {
		t.Fatalf("reference site has %d post pages, want %d", posts, keep)
	}
	t.Logf("uninterrupted prune: %v", took)

	rng := rand.New(rand.NewPCG(14, 2))
	for round := range 8 {
		dir, cfg := prepare()
		cmd := exec.Command(bin, "prune", "-q", "-c", cfg)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		when := "after " + killAfter(rng, took, round, filepath.Join(dir, "public", ".feedpost-site.json")).String()
		cmd.Process.Kill() // SIGKILL
		err := cmd.Wait()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled()
		t.Logf("round %d: killed %s: %v", round, when, killed)
		// The next cycle: a kill before the store recorded the prune
		// leaves the posts live, to be pruned again.
		feedpostCmd(t, bin, cfg, "prune")
		feedpostCmd(t, bin, cfg, "build")
		got := siteTree(t, dir)
		for rel, data := range want {
			if g, ok := got[rel]; !ok {
				t.Errorf("round %d: %s missing", round, rel)
			} else if !bytes.Equal(g, data) {
				t.Errorf("round %d: %s differs from the uninterrupted prune's", round, rel)
			}
		}
		for rel := range got {
			if _, ok := want[rel]; !ok {
				t.Errorf("round %d: %s left on the site", round, rel)
			}
		}
		if tmp := tempFiles(t, dir); len(tmp) > 0 {
			t.Errorf("round %d: temp files left: %v", round, tmp)
		}
		// Nothing hidden is left but the manifest: no journal, no temp
		// file, no stale marker.
		hidden, _ := filepath.Glob(filepath.Join(dir, "public", ".*"))
		if len(hidden) != 1 || filepath.Base(hidden[0]) != ".feedpost-site.json" {
			t.Errorf("round %d: hidden files in the site: %v", round, hidden)
		}
	}
}

// killAfter waits for the moment to kill a `feedpost prune` that took
// took uninterrupted: on even rounds a random time, on odd rounds the
// moment the site's manifest is replaced (when a build that wrote it
// before removing the pruned pages left them for good), and returns how
// long it waited.
func killAfter(rng *rand.Rand, took time.Duration, round int, manifest string) time.Duration {
	start := time.Now()
	if round%2 == 0 {
		time.Sleep(time.Duration(rng.Int64N(int64(took))))
		return time.Since(start)
	}
	old, err := os.Stat(manifest)
	for err == nil && time.Since(start) < 10*took {
		fi, serr := os.Stat(manifest)
		if serr == nil && !os.SameFile(fi, old) {
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	return time.Since(start)
}
