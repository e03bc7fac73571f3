package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// manifestName lists the files the builder wrote, so the next build removes
// only its own stale files and can tell an unchanged file by one stat.
const manifestName = ".feedpost-site.json"

type manifest struct {
	Generator string `json:"generator"`
	// Options digests what besides the posts decides the pages (see
	// fingerprint), so Current can tell that a build would change nothing.
	Options string      `json:"options,omitempty"`
	Files   []fileEntry `json:"files"`
}

// fileEntry records a written file. A later build whose rendering hashes
// to Hash finds the file unchanged when a stat still shows Size and MTime:
// one syscall instead of reading the file back (syscalls, not rendering,
// dominate an unchanged build of 10,000 posts).
type fileEntry struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // Unix nanoseconds
	Hash  string `json:"hash"`  // first 16 bytes of the SHA-256, hex
}

// write renders every job on all cores, writes the files whose bytes
// changed, then removes the stale files of the previous manifest.
func (b *builder) write(js []job) (Stats, error) {
	dir := b.opt.Dir
	old, err := readManifest(dir)
	if err != nil {
		return Stats{}, err
	}
	w := &writer{dir: dir, old: old}
	entries := make([]fileEntry, len(js))
	var written, unchanged atomic.Int64
	err = parallel(len(js), func(i int, buf *bytes.Buffer) error {
		j := js[i]
		if err := j.render(buf); err != nil {
			return fmt.Errorf("site: render %s: %w", j.rel, err)
		}
		e, changed, err := w.put(j.rel, buf.Bytes())
		if err != nil {
			return err
		}
		entries[i] = e
		if changed {
			written.Add(1)
		} else {
			unchanged.Add(1)
		}
		return nil
	})
	st := Stats{Pages: len(js), Written: int(written.Load()), Unchanged: int(unchanged.Load())}
	if err != nil {
		return st, err
	}
	slices.SortFunc(entries, func(x, y fileEntry) int { return strings.Compare(x.Path, y.Path) })
	for i := 1; i < len(entries); i++ {
		if entries[i].Path == entries[i-1].Path {
			return st, fmt.Errorf("site: two pages map to the same file %s", entries[i].Path)
		}
	}
	// The new manifest goes first: a build killed during the removals
	// leaves stale files, never a manifest missing files it wrote.
	fp, err := fingerprint(b.opt)
	if err != nil {
		return st, err
	}
	data, err := json.Marshal(manifest{Generator: "feedpost", Options: fp, Files: entries})
	if err != nil {
		return st, fmt.Errorf("site: encode manifest: %w", err)
	}
	w.old = nil
	if _, _, err := w.put(manifestName, append(data, '\n')); err != nil {
		return st, err
	}
	st.Removed, err = removeStale(dir, old, entries)
	return st, err
}

func readManifest(dir string) (map[string]fileEntry, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site: read manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("site: manifest %s is not valid JSON (delete it to start over): %w",
			filepath.Join(dir, manifestName), err)
	}
	files := make(map[string]fileEntry, len(m.Files))
	for _, f := range m.Files {
		files[f.Path] = f
	}
	return files, nil
}

// writer puts files into dir. old (read-only during a build) is the
// previous manifest.
type writer struct {
	dir  string
	old  map[string]fileEntry
	dirs sync.Map // folders known to exist
	seq  atomic.Uint64
}

// put writes data to dir/rel unless the file already holds exactly data,
// and returns the file's manifest entry. The write goes to a temporary file
// in the same folder, renamed over the target, so a reader or a killed build
// never sees a torn page. No fsync: a crash may lose a page, and the next
// build rewrites it.
func (w *writer) put(rel string, data []byte) (fileEntry, bool, error) {
	sum := sha256.Sum256(data)
	e := fileEntry{Path: rel, Size: int64(len(data)), Hash: hex.EncodeToString(sum[:16])}
	full := filepath.Join(w.dir, filepath.FromSlash(rel))
	prev, known := w.old[rel]
	if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && fi.Size() == e.Size {
		mtime := fi.ModTime().UnixNano()
		if known && prev.Hash == e.Hash && prev.MTime == mtime {
			return prev, false, nil
		}
		// Touched since, not ours yet, or the manifest was lost: compare
		// the bytes. A file we wrote with other content is just rewritten.
		if (!known || prev.Hash == e.Hash) && sameContent(full, data) {
			e.MTime = mtime
			return e, false, nil
		}
	}
	folder := filepath.Dir(full)
	if _, ok := w.dirs.Load(folder); !ok {
		// Mkdir first: its parent nearly always exists, and MkdirAll
		// would stat every level.
		if err := os.Mkdir(folder, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			if err := os.MkdirAll(folder, 0o755); err != nil {
				return e, false, fmt.Errorf("site: create folder for %s: %w", rel, err)
			}
		}
		w.dirs.Store(folder, true)
	}
	// A name of our own rather than os.CreateTemp, which makes the file
	// 0600 and would need a chmod.
	tmp := filepath.Join(folder, fmt.Sprintf(".feedpost-%d-%d.tmp", os.Getpid(), w.seq.Add(1)))
	mtime, err := writeNew(tmp, data)
	if errors.Is(err, fs.ErrExist) { // left by a killed build that had our pid
		os.Remove(tmp)
		mtime, err = writeNew(tmp, data)
	}
	if err == nil {
		e.MTime = mtime
		err = rename(tmp, full)
	}
	if err != nil {
		os.Remove(tmp)
		return e, false, fmt.Errorf("site: write %s: %w", rel, err)
	}
	return e, true, nil
}

// readPool holds the buffers sameContent reads existing files into.
var readPool = sync.Pool{New: func() any { return new([]byte) }}

// sameContent reports whether the file at path (known to be len(data)
// bytes) holds data.
func sameContent(path string, data []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	bp := readPool.Get().(*[]byte)
	defer readPool.Put(bp)
	if cap(*bp) < len(data) {
		*bp = make([]byte, len(data))
	}
	old := (*bp)[:len(data)]
	if _, err := io.ReadFull(f, old); err != nil {
		return false
	}
	return bytes.Equal(old, data)
}

// removeStale deletes the files of the old manifest that the new build did
// not write, and the folders this leaves empty. A manifest entry that is
// not a plain relative path inside dir is ignored, so a damaged manifest
// cannot delete anything outside the site.
func removeStale(dir string, old map[string]fileEntry, current []fileEntry) (int, error) {
	var stale []string
	for rel := range old {
		_, found := slices.BinarySearchFunc(current, rel, func(e fileEntry, p string) int { return strings.Compare(e.Path, p) })
		if !found && localPath(rel) {
			stale = append(stale, rel)
		}
	}
	slices.Sort(stale)
	n := 0
	var errs []error
	for _, rel := range stale {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("site: remove stale %s: %w", rel, err))
			}
			continue
		}
		n++
		// Remove the folders it leaves empty, up to (not including) dir;
		// os.Remove refuses a folder that is not empty.
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			if os.Remove(filepath.Join(dir, filepath.FromSlash(d))) != nil {
				break
			}
		}
	}
	return n, errors.Join(errs...)
}

func localPath(rel string) bool {
	return rel != "" && rel != manifestName && filepath.IsLocal(filepath.FromSlash(rel)) &&
		!strings.Contains(rel, "\\") && path.Clean(rel) == rel
}
