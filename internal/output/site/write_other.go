//go:build !linux

package site

import "os"

// writeNew creates name (which must not exist) holding data and returns its
// modification time.
func writeNew(name string, data []byte) (int64, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	_, err = f.Write(data)
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return fi.ModTime().UnixNano(), nil
}

func rename(from, to string) error { return os.Rename(from, to) }
