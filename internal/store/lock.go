package store

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// InUseError is Open's refusal of a SQLite store that another process holds
// (Options.Exclusive): a SQLite store serves one process at a time, so a
// cron `run` beside a `serve` cannot fetch the same sources twice or race
// on the outputs.
type InUseError struct {
	Store  string // the database file
	Holder string // what the lock file says of its holder: "pid 123: feedpost serve"
}

func (e *InUseError) Error() string {
	holder := ""
	if e.Holder != "" {
		holder = " (" + e.Holder + ")"
	}
	return fmt.Sprintf("store %s is in use by another feedpost process%s: wait for it to finish or stop it; "+
		"to run several processes at once, use a PostgreSQL store (README: Scaling out)", e.Store, holder)
}

// lockFile is the lock beside a SQLite store: <store>.lock, locked by the
// operating system (so a killed process never leaves it held) and holding
// the holder's pid and command line for the message of the next one.
type lockFile struct {
	f *os.File
}

// lock takes the lock of the store at path or returns an *InUseError.
func lock(path string) (*lockFile, error) {
	name := path + ".lock"
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: create folder: %w", path, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open store %s: lock file: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		b := make([]byte, 512)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if err == errLocked {
			return nil, &InUseError{Store: path, Holder: strings.TrimSpace(string(b[:n]))}
		}
		return nil, fmt.Errorf("open store %s: lock %s: %w", path, name, err)
	}
	// Who holds it, for the message another process prints.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+": "+strings.Join(os.Args, " ")+"\n"), 0)
	return &lockFile{f: f}, nil
}

// release unlocks (closing the file drops the lock). The file stays: a
// process waiting to lock it holds it open.
func (l *lockFile) release() error {
	_ = l.f.Truncate(0)
	return l.f.Close()
}

func dirOf(path string) string {
	i := strings.LastIndexAny(path, `/\`)
	if i < 0 {
		return "."
	}
	if i == 0 {
		return path[:1]
	}
	return path[:i]
}
