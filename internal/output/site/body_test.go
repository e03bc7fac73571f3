package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
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
	files := sameFiles(t, withBodies.Dir, opt.Dir, "with the body loader")
	if files < 10 {
		t.Fatalf("only %d files compared", files)
	}

	opt = testOptions(t)
	opt.Body = func(id string) (string, error) { return "", errors.New("store gone") }
	if _, err := Build(lean, opt); err == nil || !strings.Contains(err.Error(), "store gone") {
		t.Errorf("a loader error must fail the build, got %v", err)
	}
}

// The manifest, encoded a file at a time, has the bytes json.Marshal gives.
func TestEncodeManifest(t *testing.T) {
	for _, m := range []manifest{
		{Generator: "feedpost", Files: []fileEntry{}},
		{Generator: "feedpost", Options: "ab12", Files: []fileEntry{
			{Path: "category/新媒体/<科技> & \"要闻\"/index.html", Size: 12, MTime: -1, Hash: digest{1, 2, 0xff}},
			{Path: "posts/a000000000000001/index.html", Size: 1 << 40, MTime: 1732890000123456789},
		}},
	} {
		var buf bytes.Buffer
		if err := encodeManifest(&buf, m); err != nil {
			t.Fatal(err)
		}
		got := buf.Bytes()
		want, _ := json.Marshal(m)
		if string(got) != string(want)+"\n" {
			t.Errorf("encodeManifest:\n%s\nwant\n%s", got, want)
		}
		var back manifest
		if err := json.Unmarshal(got, &back); err != nil || !slices.Equal(back.Files, m.Files) {
			t.Errorf("manifest does not read back: %v\n%+v", err, back)
		}
	}
}
