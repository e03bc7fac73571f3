package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/store"
	"github.com/feedpost/feedpost/internal/store/storetest"
)

// copyTree copies the folder from (recursively) to to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readTree reads every file under the folders subs of dir (all of dir when
// there are none), by path relative to dir, leaving out the names that
// start with "." unless dotFiles.
func readTree(t *testing.T, dir string, dotFiles bool, subs ...string) map[string][]byte {
	t.Helper()
	if len(subs) == 0 {
		subs = []string{"."}
	}
	out := map[string][]byte{}
	for _, sub := range subs {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !dotFiles && strings.HasPrefix(d.Name(), ".") {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Moving up: the bundled example's SQLite store copied into PostgreSQL
// (twice: the copy is idempotent), then `feedpost build` against the
// PostgreSQL store rewrites nothing, and the outputs stay byte for byte.
func TestStoreCopyThenBuildRewritesNothing(t *testing.T) {
	pg := storetest.Postgres(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples"), dir)
	os.RemoveAll(filepath.Join(dir, "out"))
	cfg := filepath.Join(dir, "feedpost.yaml")
	var stdout, stderr bytes.Buffer
	if code := execute([]string{"run", "-q", "-c", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("run exited %d: %s", code, stderr.String())
	}
	before := readTree(t, filepath.Join(dir, "out"), true)
	for range 2 {
		stdout.Reset()
		stderr.Reset()
		code := execute([]string{"store", "copy", "--json", "--from", filepath.Join(dir, "out", "feedpost.db"), "--to", pg}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("store copy exited %d: %s %s", code, stdout.String(), stderr.String())
		}
		var res struct {
			Tables []struct {
				Table    string
				From, To int
			}
		}
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res.Tables) == 0 {
			t.Fatalf("store copy --json: %v: %s", err, stdout.String())
		}
		for _, tb := range res.Tables {
			if tb.From != tb.To || (tb.Table == "items" && tb.From == 0) {
				t.Errorf("copy of %s: %d rows → %d", tb.Table, tb.From, tb.To)
			}
		}
	}
	t.Setenv("FEEDPOST_STORE", pg)
	stdout.Reset()
	stderr.Reset()
	if code := execute([]string{"build", "--json", "-c", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("build on PostgreSQL exited %d: %s", code, stderr.String())
	}
	var sum struct {
		PostsWritten int `json:"posts_written"`
		PagesWritten int `json:"pages_written"`
		PostsTotal   int `json:"posts_total"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.PostsWritten != 0 || sum.PagesWritten != 0 || sum.PostsTotal == 0 {
		t.Errorf("build after the copy: %+v; want nothing rewritten", sum)
	}
	after := readTree(t, filepath.Join(dir, "out"), true)
	for name, data := range before {
		if strings.HasSuffix(name, ".db") || strings.Contains(name, ".db-") || strings.HasPrefix(filepath.Base(name), ".") {
			continue // the SQLite store itself, and internal files
		}
		if !bytes.Equal(after[name], data) {
			t.Errorf("%s changed", name)
		}
	}
}

// A SQLite store serves one process at a time: a `run` while another
// process holds the store exits 2 naming the store and the holder, and
// writes nothing.
func TestRunRefusesAStoreInUse(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples"), dir)
	os.RemoveAll(filepath.Join(dir, "out"))
	dbPath := filepath.Join(dir, "out", "feedpost.db")
	holder, err := store.Open(context.Background(), dbPath, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", "-c", filepath.Join(dir, "feedpost.yaml")}, &stdout, &stderr)
	holder.Close()
	if code != exitUsage || !strings.Contains(stderr.String(), "in use by another feedpost process") || !strings.Contains(stderr.String(), dbPath) {
		t.Errorf("run beside a holder: exit %d, %q; want 2 and a message naming the store", code, stderr.String())
	}
	if posts, _ := filepath.Glob(filepath.Join(dir, "out", "hexo", "source", "_posts", "*.md")); len(posts) != 0 {
		t.Errorf("%d posts written by a refused run", len(posts))
	}
	if code := execute([]string{"run", "-q", "-c", filepath.Join(dir, "feedpost.yaml")}, &stdout, &stderr); code != 0 {
		t.Errorf("run after the holder closed: exit %d: %s", code, stderr.String())
	}
}
