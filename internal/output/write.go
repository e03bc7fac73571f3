package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
)

// File is one file for WriteFiles: its path and its full content.
type File struct {
	Path string
	Data []byte
}

// WriteFile writes data to path atomically (temp file in the same folder,
// fsync, rename) unless the file already holds exactly data. It reports
// whether it wrote. A reader, or a run killed at any moment, sees either the
// old file or the new one, never a torn one; after a power cut, a file
// that was renamed into place holds its whole new content (the temp file is
// fsynced before the rename).
//
// A new file gets mode 0644 less the process umask, as os.WriteFile would.
func WriteFile(path string, data []byte) (bool, error) {
	written, err := WriteFiles([]File{{Path: path, Data: data}})
	return written[0], err
}

// WriteFiles does what WriteFile does for every file, with the same
// guarantees for each, but makes them durable together: every changed file
// is first written to its temp file, then all the temp files are fsynced at
// once (concurrently, so that the file system commits them in one journal
// transaction rather than one flush per file), then each is renamed into
// place. With a disk that takes milliseconds per flush, writing a source's
// 20 posts this way costs about one flush instead of twenty.
//
// written[i] reports whether files[i] was written. On error, the files
// renamed before it stay written (each is complete), the others are left as
// they were and no temp file remains; the error names every file that
// failed.
func WriteFiles(files []File) (written []bool, err error) {
	written = make([]bool, len(files))
	for start := 0; start < len(files); start += maxOpen {
		end := min(start+maxOpen, len(files))
		if err := writeBatch(files[start:end], written[start:end]); err != nil {
			return written, err
		}
	}
	return written, nil
}

// maxOpen bounds the temp files a batch keeps open at once.
const maxOpen = 64

// maxSyncers bounds the concurrent fsyncs of a batch (each holds a thread).
const maxSyncers = 16

type pendingFile struct {
	i   int
	tmp string
	h   tempHandle
	err error
}

func writeBatch(files []File, written []bool) error {
	var todo []pendingFile
	var errs []error
	for i, f := range files {
		if sameContent(f.Path, f.Data) {
			continue
		}
		tmp, h, err := createTemp(f.Path)
		if err == nil {
			err = h.write(f.Data)
			if err != nil {
				h.close()
				os.Remove(tmp)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", f.Path, err))
			break // stop here; what was written so far is still finished below
		}
		todo = append(todo, pendingFile{i: i, tmp: tmp, h: h})
	}
	syncAll(todo)
	for k := range todo {
		p := &todo[k]
		err := p.err
		if cerr := p.h.close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rename(p.tmp, files[p.i].Path)
		}
		if err != nil {
			os.Remove(p.tmp)
			errs = append(errs, fmt.Errorf("write %s: %w", files[p.i].Path, err))
			continue
		}
		written[p.i] = true
	}
	return errors.Join(errs...)
}

// syncAll fsyncs the temp files, concurrently when there are several.
func syncAll(todo []pendingFile) {
	if len(todo) == 1 {
		todo[0].err = todo[0].h.sync()
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(todo), maxSyncers) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				todo[k].err = todo[k].h.sync()
			}
		})
	}
	wg.Wait()
}

// tempSeq numbers the temp files of this process.
var tempSeq atomic.Uint64

// tempName is the temp file for path: hidden, in the same folder (so the
// rename is atomic), and matching RemoveTemp's pattern.
func tempName(path string) string {
	dir, base := filepath.Split(path)
	return dir + "." + base + ".tmp-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(tempSeq.Add(1), 10)
}

// createTemp creates the temp file for path, creating the folder when it is
// missing (tried only then, so the common case costs one system call), and
// replacing a temp file a killed run of the same pid left behind.
func createTemp(path string) (string, tempHandle, error) {
	tmp := tempName(path)
	h, err := openTemp(tmp)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", tempHandle{}, err
		}
		h, err = openTemp(tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		os.Remove(tmp)
		h, err = openTemp(tmp)
	}
	return tmp, h, err
}
