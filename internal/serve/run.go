package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/schedule"
)

// Run serves and plays its roles until ctx is cancelled or the HTTP server
// fails, then shuts down: it stops accepting, lets in-flight requests
// finish for at most Options.Grace (those still running then are cut, and
// Run returns a *DrainError counting them) and fetches finish (their
// commits included), builds once more when it is the active builder and
// the store moved since its last build, gives its leases and the builder
// lock back, and returns (nil after a clean stop, the server's error
// otherwise). A socket that cannot be opened is a *ListenError. The caller
// closes the store.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	if s.serves(RoleFetch) {
		if err := s.runner.Register(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	// The loops stop with ctx, or when the server fails.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	srv := s.newHTTPServer()
	serveErr := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		serveErr <- err
		cancel(fmt.Errorf("serve: %w", err))
	}()
	start := time.Now()
	addr := ln.Addr().String()
	s.log.Info("serving", "addr", addr, "role", s.opt.Role, "store", s.st.Name(),
		"site", s.cfg.Site.Dir, "proxy", s.proxy != nil, "max_conns", s.http.conns.max, "max_conns_per_ip", s.http.conns.perIP)
	if s.opt.Ready != nil {
		s.opt.Ready(addr)
	}

	var loops sync.WaitGroup
	if s.serves(RoleFetch) {
		loops.Go(func() { s.fetchLoop(ctx) })
	}
	if s.serves(RoleBuild) {
		loops.Go(func() { s.buildLoop(ctx) })
	}

	<-ctx.Done()
	err = nil
	select {
	case err = <-serveErr: // the server failed: that is why we stop
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else if err != nil {
			err = fmt.Errorf("serve: %w", err)
		}
	default:
	}
	if derr := s.drain(srv); derr != nil && err == nil {
		err = derr
	}
	loops.Wait()
	if cerr := s.runner.Close(); cerr != nil {
		s.log.Warn("giving back leases and the builder lock", "error", cerr)
	}
	if s.proxy != nil {
		s.proxy.Close()
	}
	stopped := []any{"addr", addr, "role", s.opt.Role, "store", s.st.Name(), "uptime", time.Since(start).Round(time.Second)}
	var de *DrainError
	switch {
	case err == nil:
		s.log.Info("stopped", stopped...)
	case errors.As(err, &de):
		s.log.Warn("stopped", append(stopped, "cut", de.Cut, "error", err)...)
	default:
		s.log.Error("stopped", append(stopped, "error", err)...)
	}
	return err
}

// fetchLoop leases the sources that are due, fetch.concurrency at a time,
// and fetches each under its lease. On stop it waits for the fetches in
// flight: their commits finish, nothing new starts.
func (s *Server) fetchLoop(ctx context.Context) {
	slots := max(s.cfg.Fetch.Concurrency, 1)
	results := make(chan pipeline.SourceResult)
	running := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if ctx.Err() == nil && running < slots {
			leases, err := s.st.LeaseDue(ctx, s.runner.Holder(), slots-running, s.leaseTTL())
			if err != nil && ctx.Err() == nil {
				s.log.Error("leasing due sources", "error", err)
			}
			for _, l := range leases {
				src := s.cfg.SourceByKey(l.Key)
				if src == nil { // another process's config lists it; ours does not
					_ = s.st.ReleaseLease(ctx, l.Key, s.runner.Holder())
					continue
				}
				kind := "taken"
				if l.Expired {
					kind = "expired"
					s.log.Info("took over an expired lease", "source", l.Key)
				}
				s.metrics.leases.WithLabelValues(kind).Inc()
				running++
				s.metrics.inFlight.Set(float64(running))
				go func() { results <- s.runner.FetchLeased(ctx, src) }()
			}
		}
		if ctx.Err() != nil && running == 0 {
			return
		}
		timer.Reset(s.opt.Tick)
		select {
		case res := <-results:
			running--
			s.metrics.inFlight.Set(float64(running))
			s.observe(res)
		case <-timer.C:
		case <-ctx.Done():
			for running > 0 {
				s.observe(<-results)
				running--
			}
			s.metrics.inFlight.Set(0)
			return
		}
	}
}

func (s *Server) leaseTTL() time.Duration {
	if s.cfg.Fetch.Lease > 0 {
		return s.cfg.Fetch.Lease
	}
	return time.Minute
}

func (s *Server) observe(r pipeline.SourceResult) {
	m := s.metrics
	m.fetches.WithLabelValues(r.Status).Inc()
	m.duration.WithLabelValues(r.Status).Observe(r.Duration.Seconds())
	m.items.WithLabelValues("new").Add(float64(r.New))
	m.items.WithLabelValues("updated").Add(float64(r.Updated))
	m.items.WithLabelValues("unchanged").Add(float64(r.Unchanged))
	m.items.WithLabelValues("duplicate").Add(float64(r.Duplicates))
	if r.Status == pipeline.StatusFailed {
		s.log.Warn("source failed", "source", r.Name, "error", r.Error)
	} else {
		s.log.Info("source fetched", "source", r.Name, "status", r.Status, "new", r.New, "updated", r.Updated)
	}
}

// pollEvery is how often the active builder looks at the store without a
// notification (one can be lost with a broken connection), and idleRound
// how often it builds anyway, so that keep.max_age removes posts as they
// age even when nothing is fetched.
const (
	pollEvery = 5 * time.Second
	idleRound = 10 * time.Minute
)

// buildLoop is the builder role: it waits as a standby until it holds the
// builder lock, then builds whenever the store changes — after Debounce of
// quiet, or MaxDelay after the first change at the latest — on its own
// goroutine, so that fetching never waits for a build. While changes keep
// coming (a long cycle), builds are at least MaxDelay apart, or four times
// the last build's duration when that is longer: the builder then takes at
// most a fifth of the machine from fetching, whatever the site's size. On
// stop, an active builder builds once more if the store moved since its
// last build, so the site does not lag the store until the next start.
func (s *Server) buildLoop(ctx context.Context) {
	changes := s.st.Changes(ctx)
	first := true
	var lastStart time.Time
	var lastTook time.Duration
	gap := func() time.Duration { return max(s.opt.MaxDelay, 4*lastTook) }
	build := func() error {
		lastStart = time.Now()
		err := s.build(ctx)
		lastTook = time.Since(lastStart)
		return err
	}
	for {
		held, err := s.runner.TakeBuilder(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil || !held {
			if err != nil {
				s.log.Error("taking the builder lock", "error", err)
			}
			s.setBuilder("standby")
			if schedule.Sleep(ctx, s.opt.Standby) != nil {
				break
			}
			continue
		}
		if s.builderState() != "active" {
			s.log.Info("active builder", "store", s.st.Name())
			s.setBuilder("active")
			first = true
		}
		if needs := s.needsBuild(ctx); first || needs || time.Since(lastStart) >= idleRound {
			if needs && !first {
				// Work came while the last build ran: let it settle, but
				// no later than one gap after that build began.
				s.debounce(ctx, changes, lastStart.Add(gap()))
			}
			first = false
			if err := build(); err != nil && schedule.Sleep(ctx, pollEvery) != nil { // a failing build is retried, not spun
				break
			}
			continue
		}
		// Wait for a change (or the poll), then for quiet.
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery):
			continue
		case <-changes:
			s.debounce(ctx, changes, time.Now().Add(gap()))
		}
		if ctx.Err() == nil {
			build()
		}
	}
	// Stopping: a last build of what was stored since the last one.
	if s.builderState() == "active" {
		final, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if s.needsBuild(final) {
			s.build(final)
		}
		cancel()
	}
	s.setBuilder("")
}

// debounce waits until no change came for Debounce, or until deadline.
func (s *Server) debounce(ctx context.Context, changes <-chan struct{}, deadline time.Time) {
	for {
		wait := min(s.opt.Debounce, time.Until(deadline))
		if wait <= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-time.After(wait):
			return
		}
	}
}

// needsBuild reports whether the store moved since the last build or has
// pending posts.
func (s *Server) needsBuild(ctx context.Context) bool {
	st, err := s.st.BuildState(ctx)
	if err != nil {
		return true
	}
	gen, err := s.st.Generation(ctx)
	if err != nil || gen != st.Generation {
		return true
	}
	pending, err := s.st.HasPending(ctx)
	return err != nil || pending
}

func (s *Server) build(ctx context.Context) error {
	start := time.Now()
	res, err := s.runner.BuildOutputs(ctx, pipeline.BuildOptions{})
	if ctx.Err() != nil && err != nil {
		return err
	}
	s.mu.Lock()
	if res.Built || err != nil {
		s.lastBuild = time.Now()
		s.lastErr = ""
		if err != nil {
			s.lastErr = err.Error()
		}
	}
	s.mu.Unlock()
	switch {
	case err != nil:
		s.metrics.builds.WithLabelValues("error").Inc()
		s.log.Error("build failed", "error", err)
	case !res.Built:
		s.setBuilder("standby")
	default:
		s.metrics.builds.WithLabelValues("ok").Inc()
		if res.PostsWritten+res.PagesWritten+res.Pruned > 0 {
			s.log.Info("built", "posts", res.PostsWritten, "pages", res.PagesWritten, "pruned", res.Pruned,
				"generation", res.Generation, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return err
}

func (s *Server) setBuilder(state string) {
	s.mu.Lock()
	s.builder = state
	s.mu.Unlock()
	if state == "active" {
		s.metrics.active.Set(1)
	} else {
		s.metrics.active.Set(0)
	}
}

func (s *Server) builderState() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.builder
}
