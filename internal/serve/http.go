package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedpost/feedpost/internal/config"
)

// DefaultGrace bounds the drain of in-flight requests on shutdown when
// Options.Grace is not set (`feedpost serve --grace`).
const DefaultGrace = 30 * time.Second

// ListenError is a failure to open the listening socket: a port in use, an
// address that is not one. It is a configuration error (exit 2), not a
// crash.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("cannot listen on %s: %v", e.Addr, e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// DrainError says that requests were still running when the grace period
// of a shutdown ended, and were cut.
type DrainError struct {
	Cut   int64
	Grace time.Duration
}

func (e *DrainError) Error() string {
	req := "requests were"
	if e.Cut == 1 {
		req = "request was"
	}
	return fmt.Sprintf("%d %s still running after the %v grace period and cut", e.Cut, req, e.Grace)
}

// httpState is the HTTP side of a Server: what the handler, the listener
// and the shutdown share.
type httpState struct {
	active   atomic.Int64 // requests being handled
	conns    *limitListener
	open     prometheus.Gauge
	rejected *prometheus.CounterVec
}

// newHTTPState registers the HTTP metrics, every label at zero from the
// start, so that rates and alerts work before the first event of each kind.
func (s *Server) newHTTPState() {
	h := &httpState{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpost_http_connections_open", Help: "HTTP connections open now.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_http_connections_rejected_total",
			Help: "HTTP connections closed at once because of serve.max_conns (total) or serve.max_conns_per_ip (per_ip).",
		}, []string{"reason"}),
	}
	s.reg.MustRegister(h.open, h.rejected)
	for _, r := range []string{"total", "per_ip"} {
		h.rejected.WithLabelValues(r)
	}
	s.http = h
}

// limits returns c, or the defaults when c is the zero value: a Config
// built in code rather than loaded (max_conns is at least 1 once loaded).
func limits(c config.Serve) config.Serve {
	if c.MaxConns <= 0 {
		return config.DefaultServe
	}
	return c
}

// Handler is the daemon's HTTP surface: the built-in site, the image proxy,
// /healthz and /metrics. Every path answers GET and HEAD only (405 with
// Allow otherwise).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.healthz)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	site := &siteHandler{log: s.log}
	if s.serves(RoleWeb) {
		site.dir = s.cfg.Site.Dir
	}
	mux.Handle("/", site)
	var h http.Handler = mux
	if s.proxy != nil {
		// Image requests skip the mux's routing: a cached image is the
		// cheapest and most frequent request the daemon answers. The
		// proxy reads only its own segments, so a path the mux would have
		// cleaned first is simply refused by the signature check.
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/img/") {
				s.proxy.ServeHTTP(w, r)
				return
			}
			mux.ServeHTTP(w, r)
		})
	}
	return s.track(getOrHead(h))
}

// getOrHead refuses every other method: the daemon serves files and
// images, and nothing in it changes state over HTTP.
func getOrHead(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// track counts the requests being handled, for the shutdown's report.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.http.active.Add(1)
		defer s.http.active.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// listen opens the socket (unless Options.Listener is given) and wraps it
// in the connection limits.
func (s *Server) listen() (net.Listener, error) {
	ln := s.opt.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.opt.Addr); err != nil {
			return nil, &ListenError{Addr: s.opt.Addr, Err: err}
		}
	}
	lim := limits(s.cfg.Serve)
	maxConns := lim.MaxConns
	if n, ok := fileLimit(); ok {
		// Keep a quarter of the descriptors (at least 64) for what the
		// requests open: cache and site files, upstream connections, the
		// store. Beyond the limit, accept fails and nothing is served.
		if room := int(min(n, 1<<30)) - max(64, int(min(n, 1<<30))/4); room < maxConns {
			maxConns = max(room, 16)
			s.log.Warn("serve.max_conns lowered to fit the open-file limit", "max_conns", maxConns, "configured", lim.MaxConns, "ulimit_n", n)
		}
	}
	s.http.conns = newLimitListener(ln, maxConns, lim.MaxConnsPerIP, s.http, s.log)
	return s.http.conns, nil
}

// newHTTPServer is net/http's server with the limits a server on the open
// internet needs: without them an idle, half-sent or never-read connection
// is held for ever, and a few hundred of them exhaust the process's files.
// (With read_timeout equal to read_header_timeout, the defaults, net/http
// sets one read deadline per request instead of two.)
func (s *Server) newHTTPServer() *http.Server {
	lim := limits(s.cfg.Serve)
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    int(min(lim.MaxHeaderBytes, 1<<30)),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// drain stops srv: no new connections, idle ones closed, in-flight requests
// given Options.Grace to finish. Those still running then are cut, and the
// returned *DrainError says how many.
func (s *Server) drain(srv *http.Server) error {
	grace := s.opt.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	s.log.Info("stopping: draining requests", "in_flight", s.http.active.Load(), "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err == nil {
		return nil
	}
	cut := s.http.active.Load()
	srv.Close()
	if cut == 0 { // only connections without a request (half-sent headers)
		return nil
	}
	return &DrainError{Cut: cut, Grace: grace}
}

// siteHandler serves the built-in site's folder. It is http.FileServer
// without what a public server must not do: no directory listings (a
// folder without index.html is a 404), no hidden files (the build's
// manifest .feedpost-site.json, .feedpost-stale, temp files — any path
// segment starting with "."), and a 404 in the site's style (404.html,
// written by the site build) rather than plain text; a path the file
// system refuses (too long, not a folder) is a 404 too, never a 500.
type siteHandler struct {
	dir string
	log *slog.Logger
}

func (h *siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.dir == "" {
		h.notFound(w, r)
		return
	}
	upath := r.URL.Path
	if !strings.HasPrefix(upath, "/") {
		upath = "/" + upath
	}
	clean := path.Clean(upath)
	for seg := range strings.SplitSeq(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			h.notFound(w, r)
			return
		}
	}
	name := filepath.Join(h.dir, filepath.FromSlash(clean))
	f, info, err := h.open(name)
	if err != nil {
		h.notFound(w, r)
		return
	}
	if info.IsDir() {
		f.Close()
		if !strings.HasSuffix(upath, "/") {
			// As http.FileServer: a folder's relative links need the slash.
			target := path.Base(clean) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		if f, info, err = h.open(filepath.Join(name, "index.html")); err != nil || info.IsDir() {
			if err == nil {
				f.Close()
			}
			h.notFound(w, r)
			return
		}
	}
	defer f.Close()
	if !info.Mode().IsRegular() {
		h.notFound(w, r)
		return
	}
	// A validator from size and time, as nginx's: pages are rewritten only
	// when their bytes change, so it changes exactly when they do.
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size()))
	http.ServeContent(w, r, info.Name(), info.ModTime(), f)
}

// open opens name and stats it. Errors that only mean "no such page" are
// not logged; anything else (permissions, I/O) is.
func (h *siteHandler) open(name string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(name)
	if err == nil {
		var info os.FileInfo
		if info, err = f.Stat(); err == nil {
			return f, info, nil
		}
		f.Close()
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.ENAMETOOLONG) &&
		!errors.Is(err, syscall.EINVAL) {
		h.log.Warn("site file", "path", name, "error", err)
	}
	return nil, nil, err
}

// notFoundPage is the 404 answer when the site has no 404.html (not built
// yet, or site.dir is "").
const notFoundPage = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>404</title></head>` +
	`<body style="font-family:system-ui,sans-serif;margin:3em auto;max-width:36em;padding:0 1em"><h1>404</h1><p>This page does not exist. <a href="/">Home</a></p></body></html>`

func (h *siteHandler) notFound(w http.ResponseWriter, r *http.Request) {
	page := []byte(notFoundPage)
	if h.dir != "" {
		if b, err := os.ReadFile(filepath.Join(h.dir, "404.html")); err == nil {
			page = b
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(page)))
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		w.Write(page)
	}
}
