package output

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Writer puts files into output folders: the one way feedpost writes a
// post file, a site page or the site's manifest.
//
// Every file goes to a temp file in its own folder, named
// ".<name>.tmp-<pid>-<n>" (hidden, and matched by TempPattern), and is
// renamed over its target, so a reader, or a run killed at any moment,
// sees either the old file or the new one, never a torn one. A killed run
// can leave a temp file behind; RemoveTemp and Writer.RemoveTemps delete
// them at the start of the next run.
//
// A durable Writer (WriterOptions.Durable) makes files durable by batch,
// not one by one: the temp files wait for Sync, which flushes them all at
// once — with syncfs(2) where the system has it and the file system is
// known to honour it (one flush instead of an fsync per file), else with
// the fsync of each file made as it was written — then renames them into
// place and flushes the folders they went into. So a file renamed into
// place is complete even after a power cut, and when Sync returns nil the
// whole batch is on disk.
//
// A Writer creates each folder at most once (Mkdir remembers the folders
// it made or found), so it is meant for one batch or one build, and is safe
// for concurrent use.
type Writer struct {
	opt  WriterOptions
	pid  string
	seq  atomic.Uint64
	dirs sync.Map // folder path → *folder (see Mkdir)

	// Durable: what Sync has to do.
	mu      sync.Mutex
	fss     map[uint64]*fsState   // the file systems written to, by device
	renames []pending             // temp files waiting to be renamed into place
	folders map[string]syncPolicy // the folders they go into, and files found unchanged are in

	policy func(file) syncPolicy // file.policy; tests choose another
}

// pending is a temp file that Sync renames over its target.
type pending struct{ tmp, path string }

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Durable defers every rename to Sync, which makes the batch durable
	// (see Writer). Without it a file is renamed into place as soon as it
	// is written and never flushed: a power cut may lose it, which suits
	// files that the next run writes again anyway (the site's pages).
	Durable bool

	// Before, when set, is called before every change the Writer makes to
	// the file system (op, and the path it changes: the target of a
	// create or rename). When it returns an error the change is not made
	// and the error is returned. Tests use it to stop a build at a chosen
	// step as a kill would: a Before that fails from step N on leaves the
	// files exactly as a process killed there would, since even the
	// clean-up of a failed write asks it first.
	Before func(op Op, path string) error
}

// Op names a change Writer makes to the file system (WriterOptions.Before).
type Op string

const (
	OpMkdir  Op = "mkdir"  // a folder is created
	OpCreate Op = "create" // a temp file is created and written
	OpRename Op = "rename" // a temp file replaces its target
	OpRemove Op = "remove" // a file or an empty folder is removed
)

// TempPattern matches (filepath.Match) the name of every temp file a
// Writer makes, and nothing else feedpost writes.
const TempPattern = ".*.tmp-*"

// Info describes a file Writer put: its size and modification time (Unix
// nanoseconds), from the temp file it was written to (rename keeps both).
type Info struct {
	Size, MTime int64
}

// NewWriter returns a Writer with opt.
func NewWriter(opt WriterOptions) *Writer {
	return &Writer{opt: opt, pid: strconv.Itoa(os.Getpid()), policy: file.policy}
}

// File is one file for WriteFiles: its path and its full content.
type File struct {
	Path string
	Data []byte
}

// WriteFile writes data to path (see WriteFiles) and reports whether it
// wrote.
func WriteFile(path string, data []byte) (bool, error) {
	written, err := WriteFiles([]File{{Path: path, Data: data}})
	return written[0], err
}

// WriteFiles writes each file whose content differs from data (a file
// that already holds exactly data is left alone, content and mtime) with a
// durable Writer, in one batch. When it returns nil every file of the
// batch — written or found in place — is durable; that is what lets the
// pipeline mark the batch's items written.
//
// written[i] reports whether files[i] was written. On error, the files
// before the failing one are still written (each is complete), the ones
// after it are not attempted, no temp file remains, and the error names
// the file.
//
// A new file gets mode 0644 less the process umask, as os.WriteFile would.
func WriteFiles(files []File) (written []bool, err error) {
	written = make([]bool, len(files))
	w := NewWriter(WriterOptions{Durable: true})
	index := make(map[string]int, len(files))
	for i, f := range files {
		changed, werr := w.Update(f.Path, f.Data)
		if werr != nil {
			err = werr
			break
		}
		if changed {
			index[f.Path] = i
		}
	}
	serr := w.commit(func(path string) { written[index[path]] = true })
	if err == nil && serr != nil {
		err = fmt.Errorf("make %d files durable: %w", len(files), serr)
	}
	return written, err
}

// Update writes data to path unless the file there holds exactly data
// already (left alone then, content and mtime), and reports whether it
// wrote. In a durable Writer a file found in place is made durable by Sync
// too: a run killed before its Sync may have left it unflushed.
func (w *Writer) Update(path string, data []byte) (bool, error) {
	if w.opt.Durable {
		if sameContent(path, data, func(f file, dev uint64) { w.keep(f, dev, filepath.Dir(path)) }) {
			return false, nil
		}
	} else if SameContent(path, data) {
		return false, nil
	}
	_, err := w.Write(path, data)
	return err == nil, err
}

// SameContent reports whether the file at path holds exactly data. Any
// error (missing, unreadable, not a regular file) means "not the same".
func SameContent(path string, data []byte) bool {
	return sameContent(path, data, nil)
}

// Write puts data at path, whatever the file holds now, creating its
// folder when it is missing. In a durable Writer the file is in place
// only once Sync returns.
func (w *Writer) Write(path string, data []byte) (Info, error) {
	return w.put(path, func(f file) error { return f.writeAll(data) })
}

// WriteStream puts at path what render writes, without holding it: for
// files that grow with the number of posts (the site's search index,
// sitemap and manifest). The writes reach render's writer through a 64 KB
// buffer.
func (w *Writer) WriteStream(path string, render func(io.Writer) error) (Info, error) {
	return w.put(path, func(f file) error {
		bw := bufio.NewWriterSize(f, 64<<10)
		// Hidden behind an io.Writer: an encoder given a *bufio.Writer
		// uses it as its own buffer and flushes it after every value
		// (xml.Encoder's EncodeElement), a system call per sitemap URL.
		if err := render(struct{ io.Writer }{bw}); err != nil {
			return &renderError{err}
		}
		return bw.Flush()
	})
}

// renderError is an error of WriteStream's render, reported as such
// rather than as a write error.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }
func (e *renderError) Unwrap() error { return e.err }

func (w *Writer) put(path string, fill func(f file) error) (Info, error) {
	tmp := w.tempName(path)
	// The folder is made only when the temp file cannot be created for
	// want of it, so the common case costs one system call.
	f, err := w.create(tmp, path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err = w.Mkdir(filepath.Dir(path)); err == nil {
			f, err = w.create(tmp, path)
		}
	}
	if errors.Is(err, fs.ErrExist) { // left by a killed run that had our pid
		if err = w.remove(tmp); err == nil {
			f, err = w.create(tmp, path)
		}
	}
	if err != nil {
		return Info{}, fmt.Errorf("write %s: %w", path, err)
	}
	var info Info
	var dev uint64
	err = fill(f)
	if err == nil {
		info, dev, err = f.stat()
	}
	if err == nil && w.opt.Durable {
		w.keep(f, dev, filepath.Dir(path))
	}
	if cerr := f.close(); err == nil {
		err = cerr
	}
	if err == nil && w.opt.Durable {
		w.mu.Lock()
		w.renames = append(w.renames, pending{tmp: tmp, path: path})
		w.mu.Unlock()
		return info, nil
	}
	if err == nil {
		if err = w.before(OpRename, path); err != nil {
			return Info{}, err // as a kill: the temp file stays
		}
		err = rename(tmp, path)
	}
	if err != nil {
		w.remove(tmp)
		if re := (*renderError)(nil); errors.As(err, &re) {
			return Info{}, fmt.Errorf("render %s: %w", path, re.err)
		}
		return Info{}, fmt.Errorf("write %s: %w", path, err)
	}
	return info, nil
}

// create makes tmp, the temp file for path.
func (w *Writer) create(tmp, path string) (file, error) {
	if err := w.before(OpCreate, path); err != nil {
		return noFile, err
	}
	return createFile(tmp)
}

// tempName is the temp file for path: hidden, in the same folder (so the
// rename is atomic), matching TempPattern, and short enough for any
// target name the file system takes.
func (w *Writer) tempName(path string) string {
	dir, base := filepath.Split(path)
	const keep = 64 // bytes of the target's name kept in the temp's
	if len(base) > keep {
		cut := keep
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return dir + "." + base + ".tmp-" + w.pid + "-" + strconv.FormatUint(w.seq.Add(1), 10)
}

// Mkdir makes sure folder dir exists, creating it and its missing parents,
// and reports whether this Writer created it: such a folder holds no file
// but the ones this Writer put there, so a caller can skip looking for an
// old file to compare with. Each folder costs a system call once per
// Writer: later calls answer from memory.
func (w *Writer) Mkdir(dir string) (created bool, err error) {
	v, _ := w.dirs.Load(dir)
	if v == nil {
		v, _ = w.dirs.LoadOrStore(dir, new(folder))
	}
	d := v.(*folder)
	d.once.Do(func() { d.created, d.err = w.mkdir(dir) })
	return d.created, d.err
}

// folder is a folder Mkdir was asked for: made (or found) once, whoever
// asks first, while the others wait.
type folder struct {
	once    sync.Once
	created bool
	err     error
}

func (w *Writer) mkdir(dir string) (created bool, err error) {
	if err := w.before(OpMkdir, dir); err != nil {
		return false, err
	}
	// Mkdir first: the parent nearly always exists, and MkdirAll would
	// stat every level.
	err = os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrNotExist) { // a parent is missing too
		if parent := filepath.Dir(dir); parent != dir {
			if _, err := w.Mkdir(parent); err != nil {
				return false, err
			}
		}
		err = os.Mkdir(dir, 0o755)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil // a file in its place fails the write that follows
	}
	// As MkdirAll: an existing folder is fine whatever Mkdir said.
	if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
		return false, nil
	}
	return false, err
}

// Remove deletes the file or empty folder at path.
func (w *Writer) Remove(path string) error { return w.remove(path) }

func (w *Writer) remove(path string) error {
	if err := w.before(OpRemove, path); err != nil {
		return err
	}
	return os.Remove(path)
}

// RemoveTemps deletes the temp files a killed run left anywhere under
// root (a walk of the whole tree: call it only when a run is known to have
// been killed) and returns how many it removed.
func (w *Writer) RemoveTemps(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // a folder that vanished or cannot be read: nothing of ours to find
		}
		if ok, _ := filepath.Match(TempPattern, d.Name()); ok && !d.IsDir() {
			if err := w.remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			n++
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return n, err
}

func (w *Writer) before(op Op, path string) error {
	if w.opt.Before == nil {
		return nil
	}
	return w.opt.Before(op, path)
}

// fsState is what Sync must do for one file system.
type fsState struct {
	policy syncPolicy
	fd     file  // syncFS: a file on it, held open until Sync
	err    error // syncFiles: the first failed fsync of a file
}

// syncPolicy is how a file system's files are made durable.
type syncPolicy int

const (
	syncFiles syncPolicy = iota // fsync each file as it is written, and each folder at Sync
	syncFS                      // syncfs(2) once at Sync, and each folder after the renames
	syncNone                    // nothing survives a reboot anyway (tmpfs)
)

// keep records f (a file under dir, open, on device dev) for Sync.
func (w *Writer) keep(f file, dev uint64, dir string) {
	w.mu.Lock()
	s := w.fss[dev]
	if s == nil {
		s = &fsState{policy: w.policy(f), fd: noFile}
		if s.policy == syncFS {
			var err error
			if s.fd, err = f.dup(); err != nil {
				s.policy = syncFiles
			}
		}
		if w.fss == nil {
			w.fss = map[uint64]*fsState{}
			w.folders = map[string]syncPolicy{}
		}
		w.fss[dev] = s
	}
	policy := s.policy
	w.folders[dir] = policy
	w.mu.Unlock()
	if policy == syncFiles {
		if err := f.sync(); err != nil {
			w.mu.Lock()
			s.err = cmp.Or(s.err, err)
			w.mu.Unlock()
		}
	}
}

// maxFolderSyncs is how many folders Sync flushes one by one; past it, a
// second syncfs does it at once.
const maxFolderSyncs = 8

// Sync puts in place every file written since the last Sync and makes
// them durable (WriterOptions.Durable; otherwise it does nothing), and
// returns the first failure. Should flushing the files fail, none is
// renamed and their temp files are removed.
func (w *Writer) Sync() error { return w.commit(nil) }

// commit is Sync, calling renamed for each file it put in place.
func (w *Writer) commit(renamed func(path string)) error {
	w.mu.Lock()
	fss, renames, folders := w.fss, w.renames, w.folders
	w.fss, w.renames, w.folders = nil, nil, nil
	w.mu.Unlock()
	defer func() {
		for _, s := range fss {
			s.fd.close()
		}
	}()
	// The files' contents first: a file renamed into place must be whole.
	var errs []error
	for _, s := range fss {
		switch s.policy {
		case syncFS:
			errs = append(errs, s.fd.syncFS())
		case syncFiles:
			errs = append(errs, s.err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, r := range renames {
			w.remove(r.tmp)
		}
		return err
	}
	for _, r := range renames {
		if err := w.before(OpRename, r.path); err != nil {
			return err // as a kill: the temp files stay
		}
		if err := rename(r.tmp, r.path); err != nil {
			w.remove(r.tmp)
			errs = append(errs, fmt.Errorf("write %s: %w", r.path, err))
			continue
		}
		if renamed != nil {
			renamed(r.path)
		}
	}
	// Then the folders' entries: the renames, and the files found in place.
	many := len(folders) > maxFolderSyncs
	for dir, policy := range folders {
		if policy == syncFiles || policy == syncFS && !many {
			errs = append(errs, syncDir(dir))
		}
	}
	if many {
		for _, s := range fss {
			if s.policy == syncFS {
				errs = append(errs, s.fd.syncFS())
			}
		}
	}
	return errors.Join(errs...)
}
