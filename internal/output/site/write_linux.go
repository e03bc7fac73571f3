//go:build linux

package site

import (
	"os"
	"syscall"
)

// writeNew creates name (which must not exist) holding data and returns its
// modification time. It works on a raw file descriptor: an os.File costs
// five more system calls per open on Linux (it tries the network poller and
// restores blocking mode), which added up to a good part of a 10,000-page
// build where system calls are slow (virtual machines). The file gets mode
// 0644 less the umask.
func writeNew(name string, data []byte) (int64, error) {
	fd, err := retry(func() (int, error) {
		return syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	})
	if err != nil {
		return 0, &os.PathError{Op: "open", Path: name, Err: err}
	}
	for rest := data; len(rest) > 0 && err == nil; {
		var n int
		if n, err = retry(func() (int, error) { return syscall.Write(fd, rest) }); err == nil {
			if n == 0 {
				err = syscall.EIO
			}
			rest = rest[n:]
		}
	}
	var st syscall.Stat_t
	if err == nil {
		err = syscall.Fstat(fd, &st)
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, &os.PathError{Op: "write", Path: name, Err: err}
	}
	return st.Mtim.Sec*1e9 + st.Mtim.Nsec, nil
}

func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// rename is os.Rename without its lstat of the target, which only turns
// "is a directory" into a nicer error (rename(2) refuses that case too).
func rename(from, to string) error {
	if _, err := retry(func() (int, error) { return 0, syscall.Rename(from, to) }); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
