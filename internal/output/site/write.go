package site

import (
	"bytes"
	"cmp"
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
	"strings"
	"sync"

	"github.com/feedpost/feedpost/internal/output"
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

// journalName is the build's journal: the files a build created that no
// manifest lists yet, one path a line, each written before its file is
// created. The manifest is replaced only after the stale files are gone,
// and the journal removed only after that, so a build killed at any step
// leaves every file it made listed in the manifest or the journal: the next
// build then removes exactly the files no live post has, whatever the step
// (a prune's pages included). A journal found at the start of a build also
// says that the last one did not finish: its temp files are swept then.
const journalName = ".feedpost-site.journal"

// opJournal is a journal write, for Options.before.
const opJournal output.Op = "journal"

// outFiles puts the files of one build and collects what it put.
type outFiles struct {
	dir    string
	w      *output.Writer
	before func(op output.Op, path string) error // Options.before; nil = none

	old       map[string]fileEntry // the previous manifest
	journaled map[string]bool      // files of unfinished builds that no manifest lists

	jmu     sync.Mutex
	journal *os.File

	mu                 sync.Mutex
	files              []fileEntry
	written, unchanged int
}

// openOutput reads what earlier builds left in dir (manifest, journal)
// and, when the last build did not finish, removes its temp files.
func openOutput(dir string, before func(output.Op, string) error) (*outFiles, error) {
	if before != nil {
		hook := before
		before = func(op output.Op, path string) error {
			if err := hook(op, path); err != nil {
				return fmt.Errorf("%w at %s %s: %w", errStopped, op, path, err)
			}
			return nil
		}
	}
	o := &outFiles{dir: dir, before: before,
		w: output.NewWriter(output.WriterOptions{Before: before})}
	if _, err := o.w.Mkdir(dir); err != nil {
		return nil, fmt.Errorf("site: create output folder: %w", err)
	}
	var err error
	if o.old, err = readManifest(dir); err != nil {
		return nil, err
	}
	found, err := readJournal(dir)
	if err != nil {
		return nil, err
	}
	if found != nil {
		o.journaled = found
		if _, err := o.w.RemoveTemps(dir); err != nil {
			return nil, fmt.Errorf("site: remove the temp files of an unfinished build: %w", err)
		}
	}
	return o, nil
}

// readJournal returns the files listed in dir's journal, nil when there is
// none. A last line without its newline was being written when the build
// stopped, so its file was never made.
func readJournal(dir string) (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, journalName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site: read journal: %w", err)
	}
	found := map[string]bool{}
	for len(data) > 0 {
		line, rest, ok := bytes.Cut(data, []byte{'\n'})
		if !ok {
			break
		}
		if rel := string(line); localPath(rel) {
			found[rel] = true
		}
		data = rest
	}
	return found, nil
}

// openJournal opens the journal for this build's new files, keeping what
// unfinished builds listed in it.
func (o *outFiles) openJournal() error {
	path := filepath.Join(o.dir, journalName)
	if err := o.hook(opJournal, path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("site: open journal: %w", err)
	}
	o.journal = f
	return nil
}

// note lists rel in the journal before the build creates it, unless a
// manifest or the journal lists it already.
func (o *outFiles) note(rel string) error {
	if _, known := o.old[rel]; known || o.journaled[rel] {
		return nil
	}
	if err := o.hook(opJournal, rel); err != nil {
		return err
	}
	o.jmu.Lock()
	_, err := o.journal.WriteString(rel + "\n")
	o.jmu.Unlock()
	if err != nil {
		return fmt.Errorf("site: write journal: %w", err)
	}
	return nil
}

// closeJournal ends the build: the manifest lists every file, so the
// journal goes.
func (o *outFiles) closeJournal() error {
	path := filepath.Join(o.dir, journalName)
	if err := o.journal.Close(); err != nil {
		return fmt.Errorf("site: write journal: %w", err)
	}
	if err := o.w.Remove(path); err != nil {
		return fmt.Errorf("site: remove journal: %w", err)
	}
	return nil
}

func (o *outFiles) hook(op output.Op, path string) error {
	if o.before == nil {
		return nil
	}
	return o.before(op, path)
}

// put writes one file of the site (see putFile) and records it.
func (o *outFiles) put(rel string, data []byte) error {
	return o.record(o.putFile(rel, data))
}

// putStream writes one file of the site as it renders (see
// putFileStream) and records it.
func (o *outFiles) putStream(rel string, render func(w io.Writer) error) error {
	return o.record(o.putFileStream(rel, render))
}

// record adds a file written (or found unchanged) to the build's list.
func (o *outFiles) record(e fileEntry, changed bool, err error) error {
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

// write renders every job, listing page and post page on all cores and
// writes the files whose bytes changed; then it removes the files of
// earlier builds that this one did not write, and only then replaces the
// manifest (see journalName for why in this order).
func (b *builder) write(js []job) (Stats, error) {
	o := b.out
	o.files = make([]fileEntry, 0, 3*len(js)+len(b.order)+len(b.entries)) // a job writes up to 3 files (feeds)
	if err := o.openJournal(); err != nil {
		return Stats{}, err
	}
	journalOpen := true
	defer func() {
		if journalOpen {
			o.journal.Close() // the journal stays: the next build finishes this one's work
		}
	}()
	err := parallel(len(js)+len(b.order)+len(b.entries), func(i int, buf *bytes.Buffer) error {
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
	fp, err := fingerprint(b.opt)
	if err != nil {
		return st, err
	}
	// What could not be removed stays in the manifest, so that the next
	// build tries again.
	var kept []fileEntry
	st.Removed, kept, err = o.removeStale(entries)
	if errors.Is(err, errStopped) {
		return st, err
	}
	if len(kept) > 0 {
		entries = slices.SortedFunc(slices.Values(append(entries, kept...)), func(x, y fileEntry) int { return strings.Compare(x.Path, y.Path) })
	}
	m := manifest{Generator: "feedpost", Options: fp, Files: entries}
	if _, _, serr := o.putFileStream(manifestName, func(w io.Writer) error { return encodeManifest(w, m) }); serr != nil {
		return st, errors.Join(err, serr)
	}
	journalOpen = false
	return st, errors.Join(err, o.closeJournal())
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

// putFile writes data to dir/rel unless the file already holds exactly
// data, and returns the file's manifest entry. The write is atomic (see
// output.Writer), so a reader or a killed build never sees a torn page.
// No sync: a crash may lose a page, and the next build writes it again.
func (o *outFiles) putFile(rel string, data []byte) (fileEntry, bool, error) {
	sum := sha256.Sum256(data)
	e := fileEntry{Path: rel, Size: int64(len(data)), Hash: digest(sum[:16])}
	full := filepath.Join(o.dir, filepath.FromSlash(rel))
	prev, known := o.old[rel]
	// System calls are most of a build's cost (bench/README.md), so each
	// case makes as few as it can. A file the last build did not write is
	// most likely new (a cold build, a new post): its folder is made first
	// (once per build: the Writer remembers it), and when that creates it
	// there is nothing to compare with. A file the last build wrote is
	// compared first (an unchanged build costs a stat per file) and
	// replaced without a mkdir: its folder is there (and when it is not,
	// the Writer makes it).
	fresh := false
	if !known {
		var err error
		if fresh, err = o.w.Mkdir(filepath.Dir(full)); err != nil {
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
			if (!known || prev.Hash == e.Hash) && output.SameContent(full, data) {
				e.MTime = mtime
				return e, false, nil
			}
		}
	}
	if err := o.note(rel); err != nil {
		return e, false, err
	}
	info, err := o.w.Write(full, data)
	if err != nil {
		return e, false, fmt.Errorf("site: %w", err)
	}
	e.MTime = info.MTime
	return e, true, nil
}

// errDiffers stops a rendering that compareWriter found to differ from the
// file in place.
var errDiffers = errors.New("differs from the file in place")

// putFileStream is putFile for a file that grows with the number of
// posts (search.json, the sitemap, the manifest: megabytes for 10,000
// posts), which is written as it renders instead of held. render writes
// the file to w and may run twice: first to compare with the file in place
// (it stops at the first difference), then to write.
func (o *outFiles) putFileStream(rel string, render func(w io.Writer) error) (fileEntry, bool, error) {
	e := fileEntry{Path: rel}
	full := filepath.Join(o.dir, filepath.FromSlash(rel))
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
	}
	if rel != manifestName {
		if err := o.note(rel); err != nil {
			return e, false, err
		}
	}
	h := sha256.New()
	info, err := o.w.WriteStream(full, func(w io.Writer) error { return render(io.MultiWriter(w, h)) })
	if err != nil {
		return e, false, fmt.Errorf("site: %w", err)
	}
	e.Size, e.MTime = info.Size, info.MTime
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

// errStopped marks a failure of Options.before: the build stops there, as
// a killed one would, without cleaning up.
var errStopped = errors.New("stopped")

// removeStale deletes the files of earlier builds (the previous manifest
// and the journal) that this build did not write, and the folders this
// leaves empty. It returns how many it removed and the manifest entries of
// those it could not remove. A path that is not a plain relative path
// inside the site is ignored, so a damaged manifest or journal cannot
// delete anything outside it.
func (o *outFiles) removeStale(current []fileEntry) (int, []fileEntry, error) {
	live := func(rel string) bool {
		_, found := slices.BinarySearchFunc(current, rel, func(e fileEntry, p string) int { return strings.Compare(e.Path, p) })
		return found
	}
	var stale []string
	for rel := range o.old {
		if !live(rel) && localPath(rel) {
			stale = append(stale, rel)
		}
	}
	for rel := range o.journaled {
		if _, listed := o.old[rel]; !listed && !live(rel) && localPath(rel) {
			stale = append(stale, rel)
		}
	}
	slices.Sort(stale)
	n := 0
	var kept []fileEntry
	var errs []error
	for _, rel := range stale {
		err := o.w.Remove(filepath.Join(o.dir, filepath.FromSlash(rel)))
		if errors.Is(err, errStopped) {
			return n, nil, err
		}
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("site: remove stale %s: %w", rel, err))
				kept = append(kept, cmp.Or(o.old[rel], fileEntry{Path: rel}))
			}
			continue
		}
		n++
		// Remove the folders it leaves empty, up to (not including) dir;
		// removing a folder that is not empty fails.
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			if o.w.Remove(filepath.Join(o.dir, filepath.FromSlash(d))) != nil {
				break
			}
		}
	}
	return n, kept, errors.Join(errs...)
}

// localPath reports whether rel may name a page: a clean relative path
// inside the site, none of whose parts is hidden (the build's own files,
// temp files).
func localPath(rel string) bool {
	return rel != "" && !strings.HasPrefix(rel, ".") && !strings.Contains(rel, "/.") && filepath.IsLocal(filepath.FromSlash(rel)) &&
		!strings.Contains(rel, "\\") && path.Clean(rel) == rel
}
