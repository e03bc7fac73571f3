package output

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	files := []File{
		{filepath.Join(dir, "a.md"), []byte("alpha")},
		{filepath.Join(dir, "new", "deeper", "b.md"), []byte("beta")}, // folders created
		{filepath.Join(dir, "c.md"), []byte("")},                      // empty file
	}
	written, err := WriteFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if !written[i] {
			t.Errorf("%s: not reported written", f.Path)
		}
		got, err := os.ReadFile(f.Path)
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s: content %q, %v; want %q", f.Path, got, err, f.Data)
		}
	}
	if runtime.GOOS != "windows" {
		old := umask(0o022)
		defer umask(old)
		if _, err := WriteFiles([]File{{filepath.Join(dir, "mode.md"), []byte("m")}}); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(filepath.Join(dir, "mode.md")); fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644 under umask 022", fi.Mode().Perm())
		}
	}

	// Second batch: one unchanged, one changed (same size), one grown.
	files[0].Data = []byte("alpha")
	files[1].Data = []byte("BETA")
	files[2].Data = []byte("now longer")
	written, err = WriteFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, true}; written[0] != want[0] || written[1] != want[1] || written[2] != want[2] {
		t.Errorf("written %v, want %v", written, want)
	}
	if got, _ := os.ReadFile(files[1].Path); string(got) != "BETA" {
		t.Errorf("same-size change not written: %q", got)
	}
	noTemps(t, dir)
}

// A file that cannot be written fails the batch with its name; the files
// before it are written and no temp file is left anywhere.
func TestWriteFilesError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, []byte("a file, not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []File{
		{filepath.Join(dir, "ok.md"), []byte("fine")},
		{filepath.Join(blocker, "bad.md"), []byte("cannot be")},
		{filepath.Join(dir, "after.md"), []byte("not attempted")},
	}
	written, err := WriteFiles(files)
	if err == nil || !strings.Contains(err.Error(), "bad.md") {
		t.Fatalf("want an error naming bad.md, got %v", err)
	}
	if !written[0] || written[1] || written[2] {
		t.Errorf("written %v, want [true false false]", written)
	}
	if got, _ := os.ReadFile(files[0].Path); string(got) != "fine" {
		t.Errorf("file before the failure: %q", got)
	}
	if _, err := os.Stat(files[2].Path); !os.IsNotExist(err) {
		t.Errorf("file after the failure exists: %v", err)
	}
	noTemps(t, dir)
}

// A batch of many files, in several folders, goes through in one piece.
func TestWriteFilesMany(t *testing.T) {
	dir := t.TempDir()
	var files []File
	for i := range 300 {
		files = append(files, File{filepath.Join(dir, string(rune('a'+i%5)), strconv.Itoa(i)+".md"), []byte{byte(i)}})
	}
	written, err := WriteFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if got, _ := os.ReadFile(f.Path); !written[i] || string(got) != string(f.Data) {
			t.Errorf("%s: written %v, %v, want %v", f.Path, written[i], got, f.Data)
		}
	}
	noTemps(t, dir)
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
}
