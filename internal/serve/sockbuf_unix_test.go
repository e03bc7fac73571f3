//go:build unix

package serve

import "syscall"

// smallReceiveBuffer keeps a test client's receive window small, so that a
// client that reads slowly or not at all holds the server's write within a
// few kilobytes instead of megabytes of socket buffer.
func smallReceiveBuffer(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	if err != nil {
		return err
	}
	return serr
}
