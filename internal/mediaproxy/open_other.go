//go:build !unix

package mediaproxy

import "os"

// openFile opens a cache file for reading.
func openFile(name string) (*os.File, error) { return os.Open(name) }
