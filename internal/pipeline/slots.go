package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/feedpost/feedpost/internal/schedule"
)

// acquireHostSlot waits for one of fetch.per_host slots of host, leased in
// the store so that the limit holds for every process sharing it (the
// fetch client's AcquireHost). A slot lasts at most a request's timeout
// and a margin, so one a dead process held comes back by itself.
func (r *Runner) acquireHostSlot(ctx context.Context, host string) (func(), error) {
	holder := fmt.Sprintf("%s#%d", r.holder, r.slotSeq.next())
	ttl := r.cfg.Fetch.Timeout + 5*time.Second
	wait := 10 * time.Millisecond
	for {
		slot, ok, err := r.st.AcquireHostSlot(ctx, host, r.cfg.Fetch.PerHost, holder, ttl)
		if err != nil {
			return nil, err
		}
		if ok {
			return func() {
				_ = r.st.ReleaseHostSlot(context.WithoutCancel(ctx), host, slot, holder)
			}, nil
		}
		// All slots are held: poll with a growing, jittered wait (a slot is
		// held for one request, tens to hundreds of milliseconds).
		if err := schedule.Sleep(ctx, wait+time.Duration(rand.Int64N(int64(wait)))); err != nil {
			return nil, err
		}
		wait = min(wait*2, 200*time.Millisecond)
	}
}
