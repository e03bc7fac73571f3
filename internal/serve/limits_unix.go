//go:build unix

package serve

import "syscall"

// fileLimit is the process's open-file limit (ulimit -n), which Go has
// already raised to the hard limit at start.
func fileLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return uint64(r.Cur), true
}
