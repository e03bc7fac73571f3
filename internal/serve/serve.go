// Package serve is feedpost's daemon: it refreshes every source on its own
// schedule, rebuilds the outputs after a cycle that changed something, and
// serves the built-in site, the signed image proxy, /healthz and /metrics.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/mediaproxy"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// Options tune the daemon; the zero value serves on :8080.
type Options struct {
	Addr     string        // listen address (default ":8080")
	Listener net.Listener  // overrides Addr (tests)
	Logger   *slog.Logger  // default: discard
	Tick     time.Duration // how often the scheduler looks for due sources (default 1s)
	Pipeline pipeline.Options
	// Ready, when set, receives the listening address once the server
	// accepts connections.
	Ready func(addr string)
	// Grace bounds the drain of in-flight requests on shutdown (default
	// DefaultGrace); requests still running then are cut (see DrainError).
	Grace time.Duration
}

// Server is a running daemon; create it with New, run it with Run.
type Server struct {
	cfg     *config.Config
	st      *store.Store
	opt     Options
	log     *slog.Logger
	runner  *pipeline.Runner
	proxy   *mediaproxy.Proxy
	reg     *prometheus.Registry
	metrics *metrics
	http    *httpState // http.go

	mu        sync.Mutex
	lastCycle time.Time
	lastErr   string
}

type metrics struct {
	fetches  *prometheus.CounterVec
	items    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	builds   *prometheus.CounterVec
}

// New prepares the daemon for cfg on st: the signing secret, the image proxy
// (when images.proxy is builtin), the metrics registry and the pipeline.
func New(cfg *config.Config, st *store.Store, opt Options) (*Server, error) {
	if opt.Addr == "" {
		opt.Addr = ":8080"
	}
	if opt.Tick <= 0 {
		opt.Tick = time.Second
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, st: st, opt: opt, log: log, reg: prometheus.NewRegistry()}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_fetches_total", Help: "Source fetches by outcome (ok, unchanged, failed, skipped).",
		}, []string{"outcome"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_items_total", Help: "Items seen by the pipeline, by kind (new, updated, unchanged, duplicate).",
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "feedpost_fetch_duration_seconds", Help: "Duration of one source's fetch, parse and write.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"outcome"}),
		builds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_site_builds_total", Help: "Built-in site rebuilds by result.",
		}, []string{"result"}),
	}
	s.reg.MustRegister(s.metrics.fetches, s.metrics.items, s.metrics.duration, s.metrics.builds)
	s.newHTTPState()

	popt := opt.Pipeline
	if cfg.Images.Proxy == "builtin" {
		secret, err := mediaproxy.LoadSecret(cfg.Secret, SecretFile(cfg))
		if err != nil {
			return nil, err
		}
		pm, err := mediaproxy.NewMetrics(s.reg)
		if err != nil {
			return nil, err
		}
		s.proxy, err = mediaproxy.New(mediaproxy.Options{
			Secret: secret, MaxBytes: cfg.Fetch.MaxBytes, CacheDir: cfg.Images.CacheDir, CacheSize: cfg.Images.CacheSize,
			Referers: cfg.Images.Referers, AllowPrivate: cfg.Images.AllowPrivate, UserAgent: cfg.Fetch.UserAgent, Metrics: pm,
			WriteTimeout: limits(cfg.Serve).WriteTimeout, Logger: log,
		})
		if err != nil {
			return nil, err
		}
		if popt.ProxyURL == nil {
			popt.ProxyURL = BuiltinProxyURL(cfg, secret)
		}
	}
	s.runner = pipeline.New(cfg, st, popt)
	return s, nil
}

// SecretFile is where the generated signing secret is kept: beside the store.
func SecretFile(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Store), "feedpost.secret")
}

// BuiltinProxyURL returns the URL rewriter of images.proxy: builtin, signing
// each URL with secret under images.proxy_base (default site.url).
func BuiltinProxyURL(cfg *config.Config, secret []byte) func(string) string {
	base := cfg.Images.ProxyBase
	if base == "" {
		base = cfg.Site.URL
	}
	return func(u string) string { return mediaproxy.URL(base, secret, u) }
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body := map[string]any{"status": "ok", "last_cycle": s.lastCycle, "last_error": s.lastErr}
	s.mu.Unlock()
	if err := s.st.Ping(); err != nil {
		body["status"] = "store unavailable"
		body["last_error"] = err.Error()
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// Run serves and schedules until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets in-flight requests (for at most
// Options.Grace) and fetches finish (writes included) and returns nil, or a
// *DrainError when requests had to be cut. A socket that cannot be opened
// is a *ListenError. The caller closes the store.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	srv := s.newHTTPServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	start := time.Now()
	s.log.Info("serving", "addr", ln.Addr().String(), "role", role, "store", s.cfg.Store, "site", s.cfg.Site.Dir,
		"proxy", s.proxy != nil, "max_conns", s.http.conns.max, "max_conns_per_ip", s.http.conns.perIP)
	if s.opt.Ready != nil {
		s.opt.Ready(ln.Addr().String())
	}

	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		s.schedule(ctx)
	}()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	if derr := s.drain(srv); derr != nil && (err == nil || errors.Is(err, http.ErrServerClosed)) {
		err = derr
	}
	<-schedDone
	if s.proxy != nil {
		s.proxy.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	var de *DrainError
	switch {
	case err == nil:
		s.log.Info("stopped", "addr", ln.Addr().String(), "role", role, "store", s.cfg.Store, "uptime", time.Since(start).Round(time.Second))
	case errors.As(err, &de):
		s.log.Warn("stopped", "addr", ln.Addr().String(), "role", role, "store", s.cfg.Store, "uptime", time.Since(start).Round(time.Second),
			"cut", de.Cut, "error", err)
	default:
		s.log.Error("stopped", "addr", ln.Addr().String(), "role", role, "store", s.cfg.Store, "error", err)
	}
	return err
}

// schedule runs each enabled source when it is due — at most one fetch of a
// source at a time, fetch.concurrency at once — and rebuilds the site after a
// round that changed something.
func (s *Server) schedule(ctx context.Context) {
	if err := s.runner.FinishPending(); err != nil {
		s.log.Error("finishing the writes of an interrupted run", "error", err)
	}
	next := map[string]time.Time{}
	now := time.Now()
	for i := range s.cfg.Sources {
		src := &s.cfg.Sources[i]
		st, ok, err := s.st.Source(src.Key)
		if err == nil && ok && !st.NextFetch.IsZero() {
			next[src.Key] = st.NextFetch
		} else {
			next[src.Key] = now
		}
	}
	type done struct {
		key string
		res pipeline.SourceResult
	}
	results := make(chan done)
	running := map[string]bool{}
	slots := s.cfg.Fetch.Concurrency
	dirty := false
	// The first round also builds the site, so a fresh daemon serves pages
	// even when every source answers 304.
	built := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Now()
		for i := range s.cfg.Sources {
			src := &s.cfg.Sources[i]
			if !src.Enabled || running[src.Key] || len(running) >= slots || now.Before(next[src.Key]) || ctx.Err() != nil {
				continue
			}
			running[src.Key] = true
			go func() {
				res := s.runner.RunSource(ctx, src)
				results <- done{src.Key, res}
			}()
		}
		if len(running) == 0 && ctx.Err() != nil {
			return
		}
		if len(running) == 0 && (dirty || !built) && ctx.Err() == nil {
			s.rebuild(ctx)
			dirty, built = false, true
		}
		timer.Reset(s.opt.Tick)
		select {
		case d := <-results:
			delete(running, d.key)
			s.observe(d.res)
			if d.res.New+d.res.Updated > 0 {
				dirty = true
			}
			next[d.key] = s.nextFetch(d.key)
		case <-timer.C:
		case <-ctx.Done():
			// Wait for running fetches: their writes finish, nothing new starts.
			for len(running) > 0 {
				d := <-results
				delete(running, d.key)
				s.observe(d.res)
			}
			return
		}
	}
}

// nextFetch is the time the pipeline chose for the source's next fetch (it
// weighs the interval, the feed's TTL, Cache-Control and failures), else one
// interval from now.
func (s *Server) nextFetch(key string) time.Time {
	if st, ok, err := s.st.Source(key); err == nil && ok && st.NextFetch.After(time.Now()) {
		return st.NextFetch
	}
	interval := s.cfg.Defaults.Interval
	if src := s.cfg.SourceByKey(key); src != nil && src.Interval > 0 {
		interval = src.Interval
	}
	return time.Now().Add(interval)
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

func (s *Server) rebuild(ctx context.Context) {
	if pruned, err := s.runner.Prune(ctx, false); err != nil {
		s.log.Error("retention failed", "error", err)
	} else if len(pruned) > 0 {
		s.log.Info("retention removed posts", "count", len(pruned))
	}
	st, err := s.runner.BuildSite(ctx)
	s.mu.Lock()
	s.lastCycle = time.Now()
	s.lastErr = ""
	if err != nil {
		s.lastErr = err.Error()
	}
	s.mu.Unlock()
	if err != nil {
		s.metrics.builds.WithLabelValues("error").Inc()
		s.log.Error("site build failed", "error", err)
		return
	}
	s.metrics.builds.WithLabelValues("ok").Inc()
	s.log.Info("site built", "written", st.Written)
}
