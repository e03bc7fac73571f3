//go:build !unix

package content

import "time"

func cpuTime() time.Duration { return -1 }
