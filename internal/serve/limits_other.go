//go:build !unix

package serve

// fileLimit is unknown outside Unix: serve.max_conns applies as written.
func fileLimit() (uint64, bool) { return 0, false }
