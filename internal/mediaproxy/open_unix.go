//go:build unix

package mediaproxy

import (
	"os"
	"syscall"
)

// openFile opens a cache file for reading. os.Open would also register it
// with the runtime's poller, which for a regular file costs two fcntl(2)
// calls and a failed epoll_ctl(2); a cache hit opens a file per request,
// and those three system calls are a tenth of its cost. os.NewFile makes a
// plain blocking *os.File, which is what a regular file is anyway.
func openFile(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
