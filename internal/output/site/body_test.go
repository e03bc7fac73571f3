package site

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Posts passed without bodies plus a loader give the same site, byte for
// byte, as posts with their bodies; a loader error fails the build.
func TestBodyLoaderGivesTheSameSite(t *testing.T) {
	posts := testPosts()
	withBodies := testOptions(t)
	build(t, posts, withBodies)

	bodies := map[string]string{}
	lean := append(posts[:0:0], posts...)
	for i := range lean {
		bodies[lean[i].ID] = lean[i].Body
		lean[i].Body = ""
	}
	var loaded atomic.Int32 // the builder loads on all cores
	opt := testOptions(t)
	opt.Body = func(id string) (string, error) {
		loaded.Add(1)
		return bodies[id], nil
	}
	if _, err := Build(lean, opt); err != nil {
		t.Fatal(err)
	}
	if loaded.Load() == 0 {
		t.Fatal("the loader was never called")
	}
	files := 0
	filepath.WalkDir(withBodies.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".feedpost") {
			return err
		}
		rel, _ := filepath.Rel(withBodies.Dir, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(opt.Dir, rel))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs with the body loader (%v)", rel, err)
		}
		files++
		return nil
	})
	if files < 10 {
		t.Fatalf("only %d files compared", files)
	}

	opt = testOptions(t)
	opt.Body = func(id string) (string, error) { return "", errors.New("store gone") }
	if _, err := Build(lean, opt); err == nil || !strings.Contains(err.Error(), "store gone") {
		t.Errorf("a loader error must fail the build, got %v", err)
	}
}
