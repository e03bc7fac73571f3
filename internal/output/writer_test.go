package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Mkdir creates a folder (and its parents) once per Writer and says whether
// it made it; later calls answer from memory.
func TestWriterMkdir(t *testing.T) {
	dir := t.TempDir()
	var ops []string
	w := NewWriter(WriterOptions{Before: func(op Op, path string) error {
		rel, _ := filepath.Rel(dir, path)
		ops = append(ops, string(op)+" "+filepath.ToSlash(rel))
		return nil
	}})
	deep := filepath.Join(dir, "a", "b", "c")
	for range 3 {
		created, err := w.Mkdir(deep)
		if err != nil || !created {
			t.Fatalf("Mkdir(a/b/c) = %v, %v; want created", created, err)
		}
	}
	if created, err := w.Mkdir(filepath.Join(dir, "a")); err != nil || !created {
		t.Errorf("Mkdir(a) = %v, %v; want created (made as a parent)", created, err)
	}
	if created, err := w.Mkdir(dir); err != nil || created {
		t.Errorf("Mkdir(existing) = %v, %v; want found", created, err)
	}
	if want := []string{"mkdir a/b/c", "mkdir a/b", "mkdir a", "mkdir ."}; !slices.Equal(ops, want) {
		t.Errorf("file system changes %q, want %q", ops, want)
	}
	if _, err := NewWriter(WriterOptions{}).Mkdir(deep); err != nil {
		t.Errorf("another Writer on an existing folder: %v", err)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := w.Write(filepath.Join(blocker, "x"), []byte("x")); err == nil {
		t.Error("writing under a file: no error")
	}
}

// Write and WriteStream put files atomically and report size and mtime;
// a render error leaves the old file and no temp file.
func TestWriterWrite(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter(WriterOptions{})
	p := filepath.Join(dir, "new", "index.html")
	info, err := w.Write(p, []byte("<p>one</p>"))
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if info.Size != 10 || info.MTime != fi.ModTime().UnixNano() {
		t.Errorf("info %+v, want size 10 and mtime %d", info, fi.ModTime().UnixNano())
	}
	s := filepath.Join(dir, "search.json")
	info, err = w.WriteStream(s, func(w io.Writer) error {
		for i := range 10000 {
			fmt.Fprintf(w, "%d,", i)
		}
		return nil
	})
	if data, _ := os.ReadFile(s); err != nil || int64(len(data)) != info.Size || !strings.HasPrefix(string(data), "0,1,2,") {
		t.Errorf("stream: %v, %d bytes, info %+v", err, len(data), info)
	}
	boom := errors.New("template failed")
	_, err = w.WriteStream(s, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "render") {
		t.Errorf("render error: %v", err)
	}
	if data, _ := os.ReadFile(s); !strings.HasPrefix(string(data), "0,1,2,") {
		t.Errorf("a failed render replaced the file: %.20q", data)
	}
	noTemps(t, dir)

	// A target name as long as a file system takes still gets a temp
	// name it takes.
	long := filepath.Join(dir, strings.Repeat("长", 80)+".md") // 243 bytes
	if _, err := w.Write(long, []byte("x")); err != nil {
		t.Errorf("long name: %v", err)
	}
}

// A Before that fails from step N on leaves what a kill at step N would:
// the steps before done, nothing after, a temp file when the kill falls
// between its creation and its rename; RemoveTemps then clears it.
func TestWriterBefore(t *testing.T) {
	for n := range 7 {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			steps := 0
			killed := errors.New("killed")
			w := NewWriter(WriterOptions{Before: func(Op, string) error {
				if steps++; steps > n {
					return killed
				}
				return nil
			}})
			// a: create (fails: no folder), mkdir, create, rename; b: create, rename.
			_, err1 := w.Write(filepath.Join(dir, "sub", "a"), []byte("a"))
			_, err2 := w.Write(filepath.Join(dir, "sub", "b"), []byte("b"))
			if (n < 4) != errors.Is(err1, killed) || (n < 6) != errors.Is(err2, killed) {
				t.Fatalf("errors %v, %v", err1, err2)
			}
			w.Sync()
			var names []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if p != dir {
					rel, _ := filepath.Rel(dir, p)
					name := filepath.ToSlash(rel)
					if ok, _ := filepath.Match(TempPattern, d.Name()); ok {
						name = filepath.ToSlash(filepath.Join(filepath.Dir(rel), "temp"))
					}
					names = append(names, name)
				}
				return nil
			})
			want := map[int][]string{
				0: nil,
				1: nil,
				2: {"sub"},
				3: {"sub", "sub/temp"},
				4: {"sub", "sub/a"},
				5: {"sub", "sub/temp", "sub/a"},
				6: {"sub", "sub/a", "sub/b"},
			}[n]
			if !slices.Equal(names, want) {
				t.Errorf("left %q, want %q", names, want)
			}
			if removed, err := NewWriter(WriterOptions{}).RemoveTemps(dir); err != nil || removed != strings.Count(strings.Join(want, " "), "temp") {
				t.Errorf("RemoveTemps: %d, %v", removed, err)
			}
			noTemps(t, dir)
		})
	}
}

// A durable batch leaves its files as temp files until Sync, which
// flushes them by the file system's policy, renames them into place and
// flushes their folders; files found unchanged are flushed too.
func TestWriterSync(t *testing.T) {
	for _, policy := range []syncPolicy{syncFiles, syncFS, syncNone} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			dir := t.TempDir()
			var ops []string
			w := NewWriter(WriterOptions{Durable: true, Before: func(op Op, path string) error {
				rel, _ := filepath.Rel(dir, path)
				ops = append(ops, string(op)+" "+filepath.ToSlash(rel))
				return nil
			}})
			real := w.policy
			w.policy = func(f file) syncPolicy {
				if policy == syncFS && real(f) != syncFS {
					t.Skip("the test folder's file system has no syncfs")
				}
				return policy
			}
			p := filepath.Join(dir, "kept.md")
			os.WriteFile(p, []byte("same"), 0o644)
			if changed, err := w.Update(p, []byte("same")); changed || err != nil {
				t.Fatalf("unchanged file: %v, %v", changed, err)
			}
			if len(w.fss) != 1 || len(w.folders) != 1 {
				t.Fatalf("an unchanged file of a durable batch is not synced: %v %v", w.fss, w.folders)
			}
			n := filepath.Join(dir, "sub", "new.md")
			if changed, err := w.Update(n, []byte("new")); !changed || err != nil {
				t.Fatal(changed, err)
			}
			if _, err := os.Stat(n); err == nil {
				t.Error("a durable write is in place before Sync")
			}
			for _, s := range w.fss {
				if s.policy != policy || (policy == syncFS) != (s.fd != noFile) {
					t.Errorf("state %+v", s)
				}
			}
			if len(w.folders) != 2 {
				t.Errorf("folders to flush: %v", w.folders)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(n); string(got) != "new" {
				t.Errorf("after Sync: %q", got)
			}
			if w.fss != nil || w.renames != nil {
				t.Error("Sync kept its state")
			}
			if want := []string{"create sub/new.md", "mkdir sub", "create sub/new.md", "rename sub/new.md"}; !slices.Equal(ops, want) {
				t.Errorf("changes %q, want %q", ops, want)
			}
			noTemps(t, dir)
		})
	}
	// Not durable: renamed at once, nothing recorded.
	w := NewWriter(WriterOptions{})
	p := filepath.Join(t.TempDir(), "x")
	if _, err := w.Write(p, []byte("x")); err != nil || w.fss != nil || w.renames != nil {
		t.Errorf("non-durable writer recorded %v %v (%v)", w.fss, w.renames, err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Error(err)
	}
}

// A durable batch stopped before its renames leaves every old file as it
// was and only temp files, which RemoveTemp clears.
func TestWriterSyncKilled(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "a.md")
	os.WriteFile(old, []byte("old"), 0o644)
	killed := errors.New("killed")
	renames := 0
	w := NewWriter(WriterOptions{Durable: true, Before: func(op Op, _ string) error {
		if op == OpRename {
			if renames++; renames > 1 {
				return killed
			}
		}
		return nil
	}})
	w.Write(old, []byte("new"))
	w.Write(filepath.Join(dir, "b.md"), []byte("b"))
	w.Write(filepath.Join(dir, "c.md"), []byte("c"))
	if err := w.Sync(); !errors.Is(err, killed) {
		t.Fatalf("Sync: %v", err)
	}
	if got, _ := os.ReadFile(old); string(got) != "new" {
		t.Errorf("first rename not done: %q", got)
	}
	RemoveTemp(dir)
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(names) != 1 || len(hidden) != 0 {
		t.Errorf("left %v %v", names, hidden)
	}
}

// WriteFiles leaves a file with the same bytes alone (mtime kept).
func TestWriteFilesKeepsUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.md")
	os.WriteFile(p, []byte("alpha"), 0o644)
	old, _ := os.Stat(p)
	written, err := WriteFiles([]File{{p, []byte("alpha")}})
	if err != nil || written[0] {
		t.Fatalf("written %v, %v", written, err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(old.ModTime()) {
		t.Error("unchanged file touched")
	}
}
