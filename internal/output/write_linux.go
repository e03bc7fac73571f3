package output

import (
	"bytes"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The Linux side of Writer works on raw file descriptors. An os.File costs
// five extra system calls per open on Linux (it tries to put the file into
// the network poller and restores blocking mode when that fails), and
// os.Rename an extra lstat; where system calls are expensive (virtual
// machines, sandboxes) those made up most of the cost of writing a post or
// a page.

// file is an open file.
type file struct{ fd int }

var noFile = file{fd: -1}

// retry runs a system call again while it is interrupted by a signal.
func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// createFile creates name, which must not exist, for writing, with mode
// 0644 less the umask.
func createFile(name string) (file, error) {
	fd, err := retry(func() (int, error) {
		return syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	})
	if err != nil {
		return noFile, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return file{fd: fd}, nil
}

// Write writes all of p (for bufio).
func (f file) Write(p []byte) (int, error) {
	if err := f.writeAll(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f file) writeAll(data []byte) error {
	for len(data) > 0 {
		n, err := retry(func() (int, error) { return syscall.Write(f.fd, data) })
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

// stat returns f's size and modification time, and its device.
func (f file) stat() (Info, uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return Info{}, 0, err
	}
	return Info{Size: st.Size, MTime: st.Mtim.Sec*1e9 + st.Mtim.Nsec}, st.Dev, nil
}

func (f file) sync() error {
	_, err := retry(func() (int, error) { return 0, syscall.Fsync(f.fd) })
	return err
}

func (f file) close() error {
	if f.fd < 0 {
		return nil
	}
	return syscall.Close(f.fd)
}

// dup returns a second descriptor of f, closed on exec.
func (f file) dup() (file, error) {
	fd, err := unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return noFile, err
	}
	return file{fd: fd}, nil
}

// policy is how files on f's file system are made durable: syncfs(2) on
// the local file systems known to flush all their dirty files and the
// device's cache with it; nothing on memory-backed ones; an fsync per file
// elsewhere (network and FUSE file systems, where syncfs may flush less
// than it should: FUSE ignored it before Linux 5.15).
func (f file) policy() syncPolicy {
	var st unix.Statfs_t
	if unix.Fstatfs(f.fd, &st) != nil {
		return syncFiles
	}
	switch uint32(st.Type) {
	case unix.TMPFS_MAGIC, unix.RAMFS_MAGIC:
		return syncNone
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.F2FS_SUPER_MAGIC,
		unix.BCACHEFS_SUPER_MAGIC, unix.OVERLAYFS_SUPER_MAGIC, zfsSuperMagic:
		return syncFS
	}
	return syncFiles
}

// zfsSuperMagic is ZFS on Linux's f_type (not in x/sys/unix).
const zfsSuperMagic = 0x2fc12fc1

// syncFS flushes every file of f's file system with one syncfs(2): since
// Linux 5.8 it also reports a write-back error met on that file system
// since f was opened.
func (f file) syncFS() error {
	_, err := retry(func() (int, error) { return 0, unix.Syncfs(f.fd) })
	if err != nil {
		return &os.SyscallError{Syscall: "syncfs", Err: err}
	}
	return nil
}

// syncDir flushes folder dir's entries (the renames into it).
func syncDir(dir string) error {
	fd, err := retry(func() (int, error) {
		return syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	})
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	if err := (file{fd: fd}).sync(); err != nil {
		return &os.PathError{Op: "fsync", Path: dir, Err: err}
	}
	return nil
}

// rename is os.Rename without its lstat of the target (which only turns
// "is a directory" into a nicer error; rename(2) refuses that case too).
func rename(from, to string) error {
	if _, err := retry(func() (int, error) { return 0, syscall.Rename(from, to) }); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// readPool holds the buffers sameContent reads existing files into.
var readPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled bounds the buffers readPool keeps: a file of megabytes is
// compared once a build, not worth holding a buffer for.
const maxPooled = 1 << 20

// sameContent reports whether the file at path holds exactly data: a stat
// answers for a file of another size, else the file is read and compared.
// Any error (the file is missing, unreadable) means "not the same". When
// it is the same and onSame is set, onSame gets the file, still open, and
// its device.
func sameContent(path string, data []byte, onSame func(f file, dev uint64)) bool {
	fd, err := retry(func() (int, error) { return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0) })
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size != int64(len(data)) {
		return false
	}
	// One byte more than expected, so that a file that grew since the
	// stat is seen as different.
	var buf []byte
	if len(data) < maxPooled {
		bp := readPool.Get().(*[]byte)
		defer readPool.Put(bp)
		if cap(*bp) < len(data)+1 {
			*bp = make([]byte, len(data)+1)
		}
		buf = (*bp)[:len(data)+1]
	} else {
		buf = make([]byte, len(data)+1)
	}
	n := 0
	for n < len(buf) {
		m, err := retry(func() (int, error) { return syscall.Read(fd, buf[n:]) })
		if err != nil {
			return false
		}
		if m == 0 {
			break
		}
		n += m
	}
	if n != len(data) || !bytes.Equal(buf[:n], data) {
		return false
	}
	if onSame != nil {
		onSame(file{fd: fd}, st.Dev)
	}
	return true
}
