package schedule

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, whichever is first; it returns nil
// after d, else why ctx ended (its cause, when it was cancelled with one:
// a lost lease says so). It is the one such wait of the fetch client's
// retries, the pipeline's polls and the daemon's loops.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
