package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
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
	Hash  digest `json:"hash"`
}

// digest is the first 16 bytes of a file's SHA-256, hex in the manifest.
// An array rather than the hex string: the manifest holds one per file.
type digest [16]byte

func (d digest) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, d[:]), nil }

// UnmarshalText leaves d zero for what is not 32 hex digits: the file
// then counts as changed and is rewritten, which costs less than refusing
// the manifest.
func (d *digest) UnmarshalText(b []byte) error {
	*d = digest{}
	if len(b) == 2*len(d) {
		if _, err := hex.Decode(d[:], b); err != nil {
			*d = digest{}
		}
	}
	return nil
}

// output collects the files the jobs of one build put.
type output struct {
	w                  *writer
	mu                 sync.Mutex
	files              []fileEntry
	written, unchanged int
}

// put writes one file of the site (see writer.put) and records it.
func (o *output) put(rel string, data []byte) error {
	return o.record(o.w.put(rel, data))
}

// putStream writes one file of the site as it renders (see
// writer.putStream) and records it.
func (o *output) putStream(rel string, render func(w io.Writer) error) error {
	return o.record(o.w.putStream(rel, render))
}

// record adds a file written (or found unchanged) to the build's list.
func (o *output) record(e fileEntry, changed bool, err error) error {
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.files = append(o.files, e)
	if changed {
		o.written++
	} else {
		o.unchanged++
	}
	o.mu.Unlock()
	return nil
}

// write renders every job, listing page and post page on all cores,
// writes the files whose bytes changed, then removes the stale files of
// the previous manifest.
func (b *builder) write(js []job) (Stats, error) {
	dir := b.opt.Dir
	old, err := readManifest(dir)
	if err != nil {
		return Stats{}, err
	}
	o := &output{w: &writer{dir: dir, old: old, pid: strconv.Itoa(os.Getpid())},
		files: make([]fileEntry, 0, 3*len(js)+len(b.order)+len(b.entries))} // a job writes up to 3 files (feeds)
	b.out = o
	err = parallel(len(js)+len(b.order)+len(b.entries), func(i int, buf *bytes.Buffer) error {
		switch {
		case i < len(js):
			return js[i](buf)
		case i < len(js)+len(b.order):
			return b.listPage(b.order[i-len(js)], buf)
		}
		return b.postPage(i-len(js)-len(b.order), buf)
	})
	entries := o.files
	st := Stats{Pages: len(entries), Written: o.written, Unchanged: o.unchanged}
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
	m := manifest{Generator: "feedpost", Options: fp, Files: entries}
	if _, _, err := o.w.putStream(manifestName, func(w io.Writer) error { return encodeManifest(w, m) }); err != nil {
		return st, err
	}
	st.Removed, err = removeStale(dir, old, entries)
	return st, err
}

// encodeManifest writes m as JSON and a newline, a file at a time: the
// same bytes as json.Marshal and a newline, without holding them all (the
// manifest has a line per file).
func encodeManifest(w io.Writer, m manifest) error {
	files := m.Files
	m.Files = nil
	head, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("site: encode manifest: %w", err)
	}
	const null = `,"files":null}` // Files is the last field
	if !bytes.HasSuffix(head, []byte(null)) {
		return fmt.Errorf("site: encode manifest: unexpected %s", head)
	}
	var buf bytes.Buffer
	buf.Write(head[:len(head)-len(null)])
	buf.WriteString(`,"files":[`)
	enc := json.NewEncoder(&buf)
	for i, f := range files {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("site: encode manifest: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // the newline Encode ends each value with
		if err := flushOver(w, &buf, 32<<10); err != nil {
			return err
		}
	}
	buf.WriteString("]}\n")
	return flushOver(w, &buf, 0)
}

// flushOver writes buf to w and empties it once it holds more than n
// bytes.
func flushOver(w io.Writer, buf *bytes.Buffer, n int) error {
	if buf.Len() <= n {
		return nil
	}
	_, err := w.Write(buf.Bytes())
	buf.Reset()
	return err
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
	dir string
	old map[string]fileEntry
	seq atomic.Uint64
	pid string // names the temporary files
}

// put writes data to dir/rel unless the file already holds exactly data,
// and returns the file's manifest entry. The write goes to a temporary file
// in the same folder, renamed over the target, so a reader or a killed build
// never sees a torn page. No fsync: a crash may lose a page, and the next
// build rewrites it.
func (w *writer) put(rel string, data []byte) (fileEntry, bool, error) {
	sum := sha256.Sum256(data)
	e := fileEntry{Path: rel, Size: int64(len(data)), Hash: digest(sum[:16])}
	full := filepath.Join(w.dir, filepath.FromSlash(rel))
	folder := filepath.Dir(full)
	prev, known := w.old[rel]
	// System calls are most of a build's cost (bench/README.md), so each
	// case makes as few as it can. A file the last build did not write is
	// most likely new (a cold build, a new post): its folder is made first,
	// and when that creates it there is nothing to compare with. A file
	// the last build wrote is compared first (an unchanged build costs a
	// stat per file) and replaced without a mkdir: its folder is there.
	fresh := false
	if !known {
		var err error
		if fresh, err = mkdir(folder); err != nil {
			return e, false, fmt.Errorf("site: create folder for %s: %w", rel, err)
		}
	}
	if !fresh {
		if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && fi.Size() == e.Size {
			mtime := fi.ModTime().UnixNano()
			if known && prev.Hash == e.Hash && prev.MTime == mtime {
				return prev, false, nil
			}
			// Touched since, not ours yet, or the manifest was lost:
			// compare the bytes. A file we wrote with other content is
			// just rewritten.
			if (!known || prev.Hash == e.Hash) && sameContent(full, data) {
				e.MTime = mtime
				return e, false, nil
			}
		}
	}
	mtime, err := w.replace(folder, full, data)
	if known && errors.Is(err, fs.ErrNotExist) { // its folder was removed since
		if _, err = mkdir(folder); err == nil {
			mtime, err = w.replace(folder, full, data)
		}
	}
	if err != nil {
		return e, false, fmt.Errorf("site: write %s: %w", rel, err)
	}
	e.MTime = mtime
	return e, true, nil
}

// replace puts data at full through a temporary file in folder renamed
// over it, and returns the file's modification time.
func (w *writer) replace(folder, full string, data []byte) (int64, error) {
	// A name of our own rather than os.CreateTemp, which makes the file
	// 0600 and would need a chmod.
	tmp := filepath.Join(folder, ".feedpost-"+w.pid+"-"+strconv.FormatUint(w.seq.Add(1), 10)+".tmp")
	mtime, err := writeNew(tmp, data)
	if errors.Is(err, fs.ErrExist) { // left by a killed build that had our pid
		os.Remove(tmp)
		mtime, err = writeNew(tmp, data)
	}
	if err == nil {
		err = rename(tmp, full)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return mtime, err
}

// mkdir makes sure folder exists and reports whether it made it: a folder
// made by this build holds no file yet but the ones the build writes.
func mkdir(folder string) (created bool, err error) {
	// Mkdir first: the parent nearly always exists, and MkdirAll would
	// stat every level.
	err = os.Mkdir(folder, 0o755)
	if errors.Is(err, fs.ErrNotExist) { // a parent is missing too
		if err := os.MkdirAll(filepath.Dir(folder), 0o755); err != nil {
			return false, err
		}
		err = os.Mkdir(folder, 0o755)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil // a file in its place fails the write that follows
	}
	if fi, serr := os.Stat(folder); serr == nil && fi.IsDir() { // as MkdirAll: an existing folder is fine
		return false, nil
	}
	return false, err
}

// errDiffers stops a rendering that compareWriter found to differ from the
// file in place.
var errDiffers = errors.New("differs from the file in place")

// putStream is put for a file that grows with the number of posts
// (search.json, the sitemap, the manifest: megabytes for 10,000 posts),
// which is written as it renders instead of held. render writes the file
// to w and may run twice: first to compare with the file in place (it
// stops at the first difference), then to write.
func (w *writer) putStream(rel string, render func(w io.Writer) error) (fileEntry, bool, error) {
	e := fileEntry{Path: rel}
	full := filepath.Join(w.dir, filepath.FromSlash(rel))
	folder := filepath.Dir(full)
	if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() {
		f, err := os.Open(full)
		if err == nil {
			c := &compareWriter{f: f, left: fi.Size(), h: sha256.New()}
			err = render(c)
			f.Close()
			if err == nil && c.left == 0 {
				e.Size, e.MTime = fi.Size(), fi.ModTime().UnixNano()
				copy(e.Hash[:], c.h.Sum(nil))
				return e, false, nil
			}
			if err != nil && !errors.Is(err, errDiffers) {
				return e, false, fmt.Errorf("site: render %s: %w", rel, err)
			}
		}
	} else if _, err := mkdir(folder); err != nil {
		return e, false, fmt.Errorf("site: create folder for %s: %w", rel, err)
	}
	tmp := filepath.Join(folder, ".feedpost-"+w.pid+"-"+strconv.FormatUint(w.seq.Add(1), 10)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return e, false, fmt.Errorf("site: write %s: %w", rel, err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	// Hidden behind an io.Writer: an encoder given a *bufio.Writer uses it
	// as its own buffer and flushes it after every value (xml.Encoder's
	// EncodeElement), a system call per sitemap URL.
	err = render(struct{ io.Writer }{bw})
	if err != nil {
		err = fmt.Errorf("site: render %s: %w", rel, err)
	} else if err = bw.Flush(); err == nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil {
			e.MTime = fi.ModTime().UnixNano()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp, full)
	}
	if err != nil {
		os.Remove(tmp)
		return e, false, fmt.Errorf("site: write %s: %w", rel, err)
	}
	e.Size = cw.n
	copy(e.Hash[:], h.Sum(nil))
	return e, true, nil
}

// compareWriter takes a rendering and compares it with the file f, left
// bytes long, as it comes, hashing it too; it fails with errDiffers at the
// first difference.
type compareWriter struct {
	f    *os.File
	left int64 // bytes of f not compared yet
	h    hash.Hash
	buf  [32 << 10]byte
}

func (c *compareWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, errDiffers
	}
	c.h.Write(p)
	for rest := p; len(rest) > 0; {
		old := c.buf[:min(len(rest), len(c.buf))]
		if _, err := io.ReadFull(c.f, old); err != nil || !bytes.Equal(old, rest[:len(old)]) {
			return 0, errDiffers
		}
		rest = rest[len(old):]
	}
	c.left -= int64(len(p))
	return len(p), nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
	if len(data) > maxKeptBuffer { // not worth holding (see maxKeptBuffer)
		old := make([]byte, len(data))
		_, err := io.ReadFull(f, old)
		return err == nil && bytes.Equal(old, data)
	}
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
