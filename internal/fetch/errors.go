package fetch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Kind says what class of failure an Error is, so callers can react (retry
// later, count as a broken source, stop) without parsing messages.
type Kind int

// The kinds of failure.
const (
	KindNetwork  Kind = iota + 1 // DNS, refused, reset, EOF, TLS
	KindTimeout                  // connect, headers or body took longer than Timeout
	KindHTTP                     // non-2xx status, or a 2xx body that cannot be decoded
	KindTooLarge                 // body (decoded) or file larger than MaxBytes
	KindRedirect                 // loop, too many, or to a non-http(s) URL
	KindFile                     // local file cannot be read
	KindCanceled                 // the caller's context ended
	KindURL                      // the URL itself is unusable (added: no other kind fits)
	KindBlocked                  // a guarded client refused the address (Client.Guarded)
)

var kindNames = map[Kind]string{
	KindNetwork:  "network",
	KindTimeout:  "timeout",
	KindHTTP:     "http",
	KindTooLarge: "too large",
	KindRedirect: "redirect",
	KindFile:     "file",
	KindCanceled: "canceled",
	KindURL:      "url",
	KindBlocked:  "blocked",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is every error Client.Get returns.
type Error struct {
	URL    string // the requested URL or path, as given
	Status int    // HTTP status when there was a response, else 0
	Tries  int    // attempts made
	Kind   Kind
	Err    error // underlying cause (may be nil for a plain bad status)

	msg string // human cause, without the "GET url: " prefix
}

// Error reads like `GET https://x/feed: 503 Service Unavailable after 3 tries`
// or, for local files, like os errors: `open /path: no such file or directory`.
func (e *Error) Error() string {
	msg := e.msg
	if msg == "" {
		switch {
		case e.Kind == KindHTTP && e.Status != 0:
			msg = statusText(e.Status, "")
		case e.Err != nil:
			msg = e.Err.Error()
		default:
			msg = e.Kind.String() + " error"
		}
	}
	if IsLocal(e.URL) {
		return msg
	}
	s := "GET " + Redact(e.URL) + ": " + msg
	switch {
	case e.Tries <= 1:
	case strings.Contains(msg, "after "):
		s += fmt.Sprintf(", %d tries", e.Tries)
	default:
		s += fmt.Sprintf(" after %d tries", e.Tries)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err is a failure that may go away by itself:
// network trouble, timeouts, 429 and 5xx. A missing host, a bad certificate,
// another 4xx, an oversize body or a redirect loop will not.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.transient()
}

func (e *Error) transient() bool {
	switch e.Kind {
	case KindTimeout:
		return true
	case KindHTTP:
		return e.Status == http.StatusTooManyRequests || e.Status >= 500 && e.Status <= 599
	case KindNetwork:
		var dns *net.DNSError
		if errors.As(e.Err, &dns) {
			return !dns.IsNotFound
		}
		return !isCertError(e.Err)
	}
	return false
}

func isCertError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// statusText is "503 Service Unavailable"; status is the response's own
// status line, used for codes net/http has no text for.
func statusText(code int, status string) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	if status != "" {
		return status
	}
	return fmt.Sprintf("HTTP status %d", code)
}

// Redact hides secrets in a URL shown to people or logs: the password of
// user:pass@ and the value of RSSHub's access `key` query parameter.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	if q.Has("key") {
		q.Set("key", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// unwrapURLError drops net/http's `Get "url": ` wrapper, which would repeat
// the URL our own message already starts with.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
