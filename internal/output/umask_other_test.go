//go:build !unix

package output

func umask(m int) int { return 0 }
