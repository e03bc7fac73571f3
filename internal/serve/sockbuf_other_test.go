//go:build !unix

package serve

import "syscall"

func smallReceiveBuffer(network, address string, c syscall.RawConn) error { return nil }
