package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/internal/netguard"
)

// newTransport is net/http's transport with a feed fetcher's timeouts. It does
// not decompress: Get asks for gzip, deflate and br itself and decodes them
// (net/http only knows gzip), counting MaxBytes on the decoded bytes.
func newTransport(opt Options) *http.Transport {
	dial := min(maxDialTimeout, opt.Timeout)
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: opt.Timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   max(opt.PerHost, 2),
		IdleConnTimeout:       90 * time.Second,
	}
}

// redirectError is what checkRedirect returns; net/http wraps it in a
// *url.Error and we unwrap it to report KindRedirect.
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// checkRedirect follows at most maxRedirects redirects, only to http(s), and
// stops as soon as a URL comes back (a loop would otherwise burn all ten).
func checkRedirect(req *http.Request, via []*http.Request) error {
	to := req.URL.String()
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &redirectError{fmt.Sprintf("redirect to non-http(s) URL %s refused", Redact(to))}
	}
	for _, prev := range via {
		if prev.URL.String() == to {
			return &redirectError{"redirect loop at " + Redact(to)}
		}
	}
	if len(via) > maxRedirects {
		return &redirectError{fmt.Sprintf("stopped after %d redirects", maxRedirects)}
	}
	return nil
}

// getHTTP runs attempts until one succeeds, the failure is not transient, the
// retries are used up or ctx ends. Between attempts it waits Retry-After
// (capped) when the server sent one, else Backoff; no per-host slot is held
// while waiting.
func (c *Client) getHTTP(ctx context.Context, req Request, u *url.URL) (*Response, error) {
	for tries := 1; ; tries++ {
		resp, ferr, retryAfter := c.attempt(ctx, req, u)
		if ferr == nil {
			resp.Tries = tries
			return resp, nil
		}
		ferr.Tries = tries
		if tries > c.opt.Retries || !ferr.transient() {
			return nil, ferr
		}
		wait := c.opt.Backoff(tries)
		if retryAfter >= 0 {
			wait = min(retryAfter, c.opt.MaxRetryAfter)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, &Error{URL: req.URL, Tries: tries, Kind: KindCanceled, Err: err,
				msg: fmt.Sprintf("canceled while waiting to retry (%v)", err)}
		}
	}
}

// attempt makes one request and reads its body. retryAfter is the server's
// Retry-After on a retryable status, or -1.
func (c *Client) attempt(ctx context.Context, req Request, u *url.URL) (resp *Response, ferr *Error, retryAfter time.Duration) {
	retryAfter = -1
	release, err := c.acquire(ctx, hostKey(u))
	if err != nil {
		return nil, canceledError(req.URL, err), retryAfter
	}
	defer release()

	actx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()

	// The trace tells which phase an attempt was in when it failed, so a
	// timeout can say whether the host never accepted, the TLS handshake hung
	// or the server never answered.
	var phase atomic.Int32
	tctx := httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GetConn:           func(string) { phase.Store(phaseConnect) },
		TLSHandshakeStart: func() { phase.Store(phaseTLS) },
		GotConn:           func(httptrace.GotConnInfo) { phase.Store(phaseHeaders) },
	})
	hreq, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{URL: req.URL, Kind: KindURL, Err: err, msg: "invalid URL: " + err.Error()}, retryAfter
	}
	hreq.Header.Set("User-Agent", c.opt.UserAgent)
	hreq.Header.Set("Accept", acceptHeader)
	hreq.Header.Set("Accept-Encoding", "gzip, deflate, br")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	// The source's own headers come last, so they may override the defaults
	// (a site that wants a browser User-Agent, say).
	for k, v := range req.Headers {
		// net/http sends req.Host, not Header["Host"], as the Host header.
		if strings.EqualFold(k, "Host") {
			hreq.Host = v
			continue
		}
		hreq.Header.Set(k, v)
	}

	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, c.classify(ctx, actx, req.URL, err, int(phase.Load())), retryAfter
	}
	defer hresp.Body.Close()
	final := hresp.Request.URL.String()

	switch {
	case hresp.StatusCode == http.StatusNotModified:
		return &Response{
			URL:          final,
			StatusCode:   hresp.StatusCode,
			NotModified:  true,
			Body:         []byte{},
			ContentType:  hresp.Header.Get("Content-Type"),
			ETag:         orElse(hresp.Header.Get("ETag"), req.ETag),
			LastModified: orElse(hresp.Header.Get("Last-Modified"), req.LastModified),
			MaxAge:       maxAge(hresp.Header),
		}, nil, retryAfter
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		e := &Error{URL: req.URL, Status: hresp.StatusCode, Kind: KindHTTP,
			msg: statusText(hresp.StatusCode, hresp.Status)}
		if final != u.String() {
			e.msg += " (redirected to " + Redact(final) + ")"
		}
		if e.transient() {
			if d, ok := RetryAfter(hresp.Header, time.Now()); ok {
				retryAfter = d
			}
		}
		// Read a short error page so that it does not cost the keep-alive
		// connection; a long or unsized one is cut by Close instead.
		if hresp.ContentLength >= 0 && hresp.ContentLength <= 64<<10 {
			_, _ = io.Copy(io.Discard, hresp.Body)
		}
		return nil, e, retryAfter
	}

	body, err := c.readBody(hresp)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			fe.URL = req.URL
			return nil, fe, retryAfter
		}
		return nil, c.classify(ctx, actx, req.URL, err, phaseBody), retryAfter
	}
	return &Response{
		URL:          final,
		StatusCode:   hresp.StatusCode,
		Body:         body,
		ContentType:  hresp.Header.Get("Content-Type"),
		ETag:         hresp.Header.Get("ETag"),
		LastModified: hresp.Header.Get("Last-Modified"),
		MaxAge:       maxAge(hresp.Header),
	}, nil, retryAfter
}

// orElse returns a, or b when a is empty.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func canceledError(rawURL string, err error) *Error {
	return &Error{URL: rawURL, Kind: KindCanceled, Err: err, msg: fmt.Sprintf("canceled (%v)", err)}
}

// Phases of an attempt, for error messages.
const (
	phaseConnect = iota // dialling (also the phase before GetConn)
	phaseTLS            // TLS handshake
	phaseHeaders        // connected, waiting for the response headers
	phaseBody           // reading the body
)

// classify turns a transport or body-read error into an *Error with a message
// that names the cause. ctx is the caller's context, actx the attempt's (with
// the Timeout deadline); phase is where the attempt was when it failed.
func (c *Client) classify(ctx, actx context.Context, rawURL string, err error, phase int) *Error {
	inBody := phase == phaseBody
	var rerr *redirectError
	if errors.As(err, &rerr) {
		return &Error{URL: rawURL, Kind: KindRedirect, Err: rerr, msg: rerr.msg}
	}
	if ctx.Err() != nil {
		return canceledError(rawURL, context.Cause(ctx))
	}
	cause := unwrapURLError(err)
	e := &Error{URL: rawURL, Kind: KindNetwork, Err: cause}

	var nerr net.Error
	var dns *net.DNSError
	var blocked *netguard.BlockedError
	timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout()
	switch {
	case errors.As(err, &blocked):
		e.Kind = KindBlocked
		e.msg = "refused: " + blocked.Error() + " (links in feed content may not reach private networks)"
	case errors.As(err, &dns):
		// Before the timeout case: a DNS timeout is best reported as DNS.
		if dns.IsNotFound {
			e.msg = "no such host " + dns.Name
		} else {
			e.msg = fmt.Sprintf("DNS lookup of %s failed: %s", dns.Name, dns.Err)
		}
	case timedOut:
		e.Kind = KindTimeout
		dial := min(maxDialTimeout, c.opt.Timeout)
		switch phase {
		case phaseBody:
			e.msg = fmt.Sprintf("timeout after %s reading the body", fmtDuration(c.opt.Timeout))
		case phaseConnect:
			e.msg = fmt.Sprintf("timeout after %s connecting", fmtDuration(dial))
		case phaseTLS:
			e.msg = fmt.Sprintf("timeout after %s in the TLS handshake", fmtDuration(dial))
		default:
			e.msg = fmt.Sprintf("timeout after %s (no response headers)", fmtDuration(c.opt.Timeout))
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		e.msg = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		e.msg = "connection reset by peer"
	case errors.Is(err, syscall.EHOSTUNREACH):
		e.msg = "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		e.msg = "network unreachable"
	case errors.Is(err, io.ErrUnexpectedEOF) && inBody:
		e.msg = "connection closed mid-body (unexpected EOF)"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		e.msg = "server closed the connection without a response (EOF)"
	case isCertError(err):
		e.msg = "TLS certificate error: " + cause.Error()
	default:
		e.msg = "network error: " + cause.Error()
	}
	if inBody && e.Kind == KindNetwork && !strings.Contains(e.msg, "body") {
		e.msg += " while reading the body"
	}
	return e
}

// fmtDuration prints 30s, 300ms, 1m, 1m30s: time.Duration.String without the
// trailing zero units it adds ("1m0s").
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// RetryAfter reads a Retry-After header, either delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), as a wait from now. A date in the past is a
// wait of 0. ok is false when the header is absent or unreadable. The wait is
// not capped here; the Client caps it with MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// maxAge reads Cache-Control: max-age; no-store and no-cache mean 0.
func maxAge(h http.Header) time.Duration {
	var age time.Duration
	for _, field := range h.Values("Cache-Control") {
		for dir := range strings.SplitSeq(field, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n > 0 && n < math.MaxInt64/int64(time.Second) {
					age = time.Duration(n) * time.Second
				}
			}
		}
	}
	return age
}
