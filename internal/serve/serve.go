// Package serve is feedpost's daemon. It plays one or all of three roles
// around the store:
//
//   - fetch: lease the sources that are due (no source is fetched by two
//     processes at once), fetch, parse, render and commit them as pending;
//   - build: be the one active builder (the others wait as hot standbys),
//     woken by the store's generation: write the pending posts, prune,
//     rebuild the site;
//   - web: serve the built-in site, the signed image proxy, /healthz and
//     /metrics.
//
// Role `all` (the default) is all three in one process, on SQLite or
// PostgreSQL; the others need a PostgreSQL store shared by the processes.
package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/mediaproxy"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/store"
)

// Roles of a daemon process.
const (
	RoleAll   = "all"
	RoleFetch = "fetch"
	RoleBuild = "build"
	RoleWeb   = "web"
)

// Roles lists the valid --role values.
var Roles = []string{RoleAll, RoleFetch, RoleBuild, RoleWeb}

// Options tune the daemon; the zero value serves on :8080 in role all.
type Options struct {
	Addr     string        // listen address (default ":8080")
	Listener net.Listener  // overrides Addr (tests)
	Logger   *slog.Logger  // default: discard
	Role     string        // all (default), fetch, build or web
	Tick     time.Duration // how often the fetcher looks for due sources (default 1s)
	Pipeline pipeline.Options
	// Debounce is how long the builder waits after a change for more
	// before it builds (default 2s); MaxDelay bounds how long a change
	// waits for its build while changes keep coming (default 30s).
	Debounce, MaxDelay time.Duration
	// Standby is how often a standby builder tries to take over (default
	// 2s).
	Standby time.Duration
	// Ready, when set, receives the listening address once the server
	// accepts connections.
	Ready func(addr string)
	// Grace bounds the drain of in-flight requests on shutdown (default
	// DefaultGrace); requests still running then are cut (see DrainError).
	Grace time.Duration
}

// RoleError is New's refusal of a role the store cannot serve.
type RoleError struct{ msg string }

func (e *RoleError) Error() string { return e.msg }

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
	builder   string // "active", "standby" or "" (not a builder)
	lastBuild time.Time
	lastErr   string
}

type metrics struct {
	fetches  *prometheus.CounterVec
	items    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	builds   *prometheus.CounterVec
	leases   *prometheus.CounterVec
	inFlight prometheus.Gauge
	role     *prometheus.GaugeVec
	active   prometheus.Gauge
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
	if opt.Role == "" {
		opt.Role = RoleAll
	}
	if !slices.Contains(Roles, opt.Role) {
		return nil, &RoleError{fmt.Sprintf("unknown role %q (want one of %s)", opt.Role, strings.Join(Roles, ", "))}
	}
	if opt.Role != RoleAll && !st.Shared() {
		return nil, &RoleError{fmt.Sprintf("role %s needs a PostgreSQL store shared by the processes; with a SQLite store (%s) only role all runs", opt.Role, st.Name())}
	}
	if opt.Debounce <= 0 {
		opt.Debounce = 2 * time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 30 * time.Second
	}
	if opt.Standby <= 0 {
		opt.Standby = 2 * time.Second
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
			Name: "feedpost_builds_total", Help: "Builds of the outputs (pending posts, retention, site) by result.",
		}, []string{"result"}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_leases_total", Help: "Source leases taken by this process: taken (free sources) and expired (taken over from a holder whose lease ran out).",
		}, []string{"kind"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpost_fetches_in_flight", Help: "Sources this process is fetching now.",
		}),
		role: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "feedpost_role", Help: "1 for the role this process runs (all, fetch, build, web).",
		}, []string{"role"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpost_builder_active", Help: "1 while this process is the active builder, 0 as a standby or not a builder.",
		}),
	}
	s.reg.MustRegister(s.metrics.fetches, s.metrics.items, s.metrics.duration, s.metrics.builds,
		s.metrics.leases, s.metrics.inFlight, s.metrics.role, s.metrics.active)
	for _, r := range Roles {
		v := 0.0
		if r == opt.Role {
			v = 1
		}
		s.metrics.role.WithLabelValues(r).Set(v)
	}
	for _, o := range []string{pipeline.StatusOK, pipeline.StatusUnchanged, pipeline.StatusFailed, pipeline.StatusSkipped} {
		s.metrics.fetches.WithLabelValues(o)
	}
	for _, k := range []string{"new", "updated", "unchanged", "duplicate"} {
		s.metrics.items.WithLabelValues(k)
	}
	for _, k := range []string{"taken", "expired"} {
		s.metrics.leases.WithLabelValues(k)
	}
	for _, r := range []string{"ok", "error"} {
		s.metrics.builds.WithLabelValues(r)
	}
	s.newHTTPState()

	popt := opt.Pipeline
	if cfg.Images.Proxy == "builtin" {
		secret, err := Secret(context.Background(), cfg, st)
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

// SecretFile is where the generated signing secret of a SQLite store is
// kept: beside the store.
func SecretFile(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Store), "feedpost.secret")
}

// Secret is the image proxy's signing key: `secret:` from the config, else
// $FEEDPOST_SECRET, else a generated one kept with the store — in a file
// beside a SQLite store, in a PostgreSQL store itself, so that every
// process sharing it signs and verifies with the same key.
func Secret(ctx context.Context, cfg *config.Config, st *store.Store) ([]byte, error) {
	if !st.Shared() || cfg.Secret != "" || os.Getenv(mediaproxy.SecretEnv) != "" {
		return mediaproxy.LoadSecret(cfg.Secret, SecretFile(cfg))
	}
	s, err := st.Secret(ctx)
	return []byte(s), err
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

// serves reports whether this process plays role (role all plays every).
func (s *Server) serves(role string) bool { return s.opt.Role == RoleAll || s.opt.Role == role }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body := map[string]any{"status": "ok", "role": s.opt.Role, "store": s.st.Backend(),
		"last_build": s.lastBuild, "last_error": s.lastErr}
	if s.builder != "" {
		body["builder"] = s.builder
	}
	s.mu.Unlock()
	if err := s.st.Ping(r.Context()); err != nil {
		body["status"] = "store unavailable"
		body["last_error"] = err.Error()
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}
