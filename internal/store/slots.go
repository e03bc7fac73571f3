package store

import (
	"context"
	"fmt"
	"time"
)

// Host slots make fetch.per_host hold for every process sharing the store:
// a request to a host first leases one of its per_host numbered slots, a
// row (host, slot) with a holder and an expiry, and deletes it when done.
// A slot whose holder died runs out after its ttl (a request's timeout and
// a margin). Within one process the fetch client's own semaphore does the
// same job without the database.

// AcquireHostSlot tries to lease one of the limit slots of host for holder
// (a name unique to this request) until ttl from now. ok is false when all
// of them are held; the caller waits and tries again.
func (s *Store) AcquireHostSlot(ctx context.Context, host string, limit int, holder string, ttl time.Duration) (slot int, ok bool, err error) {
	until := s.d.timeExpr(ttl)
	now := s.d.timeExpr(0)
	for slot = 0; slot < limit; slot++ {
		res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO host_slots (host, slot, holder, until) VALUES (?, ?, ?, `+until+`)
			ON CONFLICT (host, slot) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE host_slots.until < `+now), host, slot, holder)
		if err != nil {
			return 0, false, fmt.Errorf("lease a slot of %s: %w", host, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, false, fmt.Errorf("lease a slot of %s: %w", host, err)
		} else if n == 1 {
			return slot, true, nil
		}
	}
	return 0, false, nil
}

// ReleaseHostSlot gives back holder's slot of host.
func (s *Store) ReleaseHostSlot(ctx context.Context, host string, slot int, holder string) error {
	_, err := s.w.ExecContext(ctx, s.q(`DELETE FROM host_slots WHERE host = ? AND slot = ? AND holder = ?`), host, slot, holder)
	if err != nil {
		return fmt.Errorf("release a slot of %s: %w", host, err)
	}
	return nil
}
