//go:build !unix

package output

import (
	"bytes"
	"os"
)

// tempHandle is an open temp file.
type tempHandle struct{ f *os.File }

func openTemp(name string) (tempHandle, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	return tempHandle{f: f}, err
}

func (h tempHandle) write(data []byte) error {
	_, err := h.f.Write(data)
	return err
}

func (h tempHandle) sync() error { return h.f.Sync() }

func (h tempHandle) close() error {
	if h.f == nil {
		return nil
	}
	return h.f.Close()
}

func rename(from, to string) error { return os.Rename(from, to) }

// sameContent reports whether the file at path holds exactly data.
func sameContent(path string, data []byte) bool {
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, data)
}
