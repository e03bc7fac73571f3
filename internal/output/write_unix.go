//go:build unix

package output

import (
	"bytes"
	"os"
	"sync"
	"syscall"
)

// The unix side of WriteFiles works on raw file descriptors. An os.File
// costs five extra system calls per open on Linux (it tries to put the file
// into the network poller and restores blocking mode when that fails), and
// os.Rename an extra lstat; where system calls are expensive (virtual
// machines, sandboxes) those made up most of the cost of writing a post.

// tempHandle is an open temp file.
type tempHandle struct{ fd int }

func openTemp(name string) (tempHandle, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return tempHandle{fd: -1}, err
		}
		return tempHandle{fd: fd}, nil
	}
}

func (h tempHandle) write(data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(h.fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return syscall.EIO
		}
		data = data[n:]
	}
	return nil
}

func (h tempHandle) sync() error {
	for {
		err := syscall.Fsync(h.fd)
		if err != syscall.EINTR {
			return err
		}
	}
}

func (h tempHandle) close() error {
	if h.fd < 0 {
		return nil
	}
	return syscall.Close(h.fd)
}

// rename is os.Rename without its lstat of the target (which only turns
// "is a directory" into a nicer error; rename(2) refuses that case too).
func rename(from, to string) error {
	for {
		err := syscall.Rename(from, to)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
		}
		return nil
	}
}

// readPool holds the buffers sameContent reads existing files into.
var readPool = sync.Pool{New: func() any { return new([]byte) }}

// sameContent reports whether the file at path holds exactly data: a stat
// answers for a file of another size, else the file is read and compared.
// Any error (the file is missing, unreadable) means "not the same".
func sameContent(path string, data []byte) bool {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size != int64(len(data)) {
		return false
	}
	bp := readPool.Get().(*[]byte)
	defer readPool.Put(bp)
	// One byte more than expected, so that a file that grew since the
	// stat is seen as different.
	if cap(*bp) < len(data)+1 {
		*bp = make([]byte, len(data)+1)
	}
	buf := (*bp)[:len(data)+1]
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n == len(data) && bytes.Equal(buf[:n], data)
}
