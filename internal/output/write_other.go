//go:build !linux

package output

import (
	"bytes"
	"os"
	"runtime"
)

// file is an open file.
type file struct{ f *os.File }

var noFile = file{}

// createFile creates name, which must not exist, for writing, with mode
// 0644 less the umask.
func createFile(name string) (file, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	return file{f: f}, err
}

// Write writes all of p (for bufio).
func (f file) Write(p []byte) (int, error) { return f.f.Write(p) }

func (f file) writeAll(data []byte) error {
	_, err := f.f.Write(data)
	return err
}

// stat returns f's size and modification time; the device is not known
// here (every file counts as on one file system, which only groups the
// folders Sync flushes).
func (f file) stat() (Info, uint64, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return Info{}, 0, err
	}
	return Info{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}, 0, nil
}

func (f file) sync() error { return f.f.Sync() }

func (f file) close() error {
	if f.f == nil {
		return nil
	}
	return f.f.Close()
}

// dup is not needed where policy is never syncFS.
func (f file) dup() (file, error) { return noFile, os.ErrInvalid }

// policy: without syncfs(2), an fsync per file (and per folder at Sync).
func (f file) policy() syncPolicy { return syncFiles }

func (f file) syncFS() error { return nil }

// syncDir flushes folder dir's entries (the renames into it) where the
// system lets a folder be opened and synced; Windows does not.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func rename(from, to string) error { return os.Rename(from, to) }

// sameContent reports whether the file at path holds exactly data; when it
// does and onSame is set, onSame gets the file, still open.
func sameContent(path string, data []byte, onSame func(f file, dev uint64)) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false
	}
	old := make([]byte, len(data)+1)
	n, _ := readFull(f, old)
	if n != len(data) || !bytes.Equal(old[:n], data) {
		return false
	}
	if onSame != nil && runtime.GOOS != "windows" { // Windows cannot flush a file opened for reading
		onSame(file{f: f}, 0)
	}
	return true
}

// readFull reads into buf until it is full or the file ends.
func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
