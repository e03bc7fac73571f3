package pipeline

import (
	"fmt"
	"time"

	"github.com/feedpost/feedpost/internal/schedule"
	"github.com/feedpost/feedpost/internal/store"
)

// backedOff reports whether state's source is in backoff — it failed
// schedule.BackoffAfter times in a row and its NextFetch is still ahead —
// and fills res as "skipped" when it is. Retrying a dead source every run
// costs the user time (timeouts, retries) and the server requests; the
// backoff doubles with every further failure, up to a day (schedule.Next).
func (r *Runner) backedOff(state store.Source, res *SourceResult) bool {
	if r.ignoreBackoff || !schedule.Backoff(state.Failures) || !r.now().Before(state.NextFetch) {
		return false
	}
	res.Status = StatusSkipped
	res.BackedOffUntil = state.NextFetch.In(r.cfg.Site.Location)
	res.Error = fmt.Sprintf("backed off after %d consecutive failures (the last: %s)", state.Failures, state.LastError)
	return true
}

// metaConfigURL is the source's URL as the config gave it when it was last
// run, kept in its Meta to notice that the config changed it.
const metaConfigURL = "config_url"

// The feed's own TTL is kept in the source's Meta, so that a 304 — which
// carries no feed to read it from — still schedules with it.
const metaTTL = "ttl"

func setTTL(state *store.Source, ttl time.Duration) {
	if ttl <= 0 {
		delete(state.Meta, metaTTL)
		return
	}
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	state.Meta[metaTTL] = ttl.String()
}

func storedTTL(state store.Source) time.Duration {
	d, _ := time.ParseDuration(state.Meta[metaTTL]) // absent or unreadable: no hint
	return d
}
