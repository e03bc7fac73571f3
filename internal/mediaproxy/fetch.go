package mediaproxy

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/feedpost/feedpost/internal/imagefetch"
)

// fetch downloads rawURL into a file (a cache file when there is a disk
// cache) with the shared image downloader and returns it opened. Every
// failure is a *proxyError carrying only a short reason; the details go to
// the log, and the failure is remembered by the negative cache.
func (p *Proxy) fetch(rawURL, key string) (b *blob, err error) {
	start := time.Now()
	defer func() { p.metrics.fetched(time.Since(start), err) }()

	f, err := p.cache.tempFile()
	if err != nil {
		p.log.Error("image proxy: buffer file", "error", err)
		return nil, errorf(http.StatusInternalServerError, "internal_error", "internal error")
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// Not the client request's context: other requests may be waiting on
	// this fetch, and a finished download fills the cache anyway. The
	// downloader's Timeout bounds it.
	img, err := p.dl.Fetch(context.Background(), rawURL, f)
	if err != nil {
		pe := p.failure(rawURL, err)
		if ttl := negativeTTL(err); ttl > 0 {
			pe = p.failures.put(key, pe, ttl)
		}
		return nil, pe
	}
	m := &meta{
		URL:      rawURL,
		Type:     img.Type,
		ETag:     `"` + hex.EncodeToString(img.SHA256[:16]) + `"`,
		Modified: time.Now().UTC().Truncate(time.Second),
		Size:     img.Size,
	}
	if !img.Modified.IsZero() {
		m.Modified = img.Modified
	}
	b, err = p.cache.commit(f, key, m.withHeaders())
	if err != nil {
		p.log.Error("image proxy: cache write", "error", err)
		return nil, errorf(http.StatusInternalServerError, "internal_error", "internal error")
	}
	keep = true
	return b, nil
}

// failure turns a download error into the answer for it and logs the
// details, which name addresses and dial errors that clients must not see.
func (p *Proxy) failure(rawURL string, err error) *proxyError {
	var e *imagefetch.Error
	if !errors.As(err, &e) {
		p.log.Error("image proxy: fetch failed", "url", rawURL, "error", err)
		return errorf(http.StatusInternalServerError, "internal_error", "internal error")
	}
	status, outcome := http.StatusBadGateway, "upstream_error"
	switch e.Kind {
	case imagefetch.KindBadURL:
		status, outcome = http.StatusBadRequest, "bad_request"
	case imagefetch.KindBlocked:
		status, outcome = http.StatusForbidden, "blocked"
	case imagefetch.KindStatus:
		if e.Status == http.StatusNotFound || e.Status == http.StatusGone {
			status, outcome = http.StatusNotFound, "upstream_not_found"
		}
	case imagefetch.KindNotImage:
		status, outcome = http.StatusUnsupportedMediaType, "not_image"
	case imagefetch.KindTooLarge:
		outcome = "too_large"
	case imagefetch.KindTooManyPixels:
		outcome = "too_many_pixels"
	case imagefetch.KindTimeout:
		status, outcome = http.StatusGatewayTimeout, "timeout"
	case imagefetch.KindLocal, imagefetch.KindCanceled:
		status, outcome = http.StatusInternalServerError, "internal_error"
	}
	level := slogLevel(outcome)
	p.log.Log(context.Background(), level, "image proxy: upstream fetch failed", "outcome", outcome, "error", err)
	return &proxyError{status: status, outcome: outcome, msg: e.Reason()}
}

// negativeTTL is how long a failure is remembered: an answer that will not
// change (404, 410, not an image, too large, a refused address) for an
// hour, one that may (5xx, 429, other statuses, timeouts, network errors)
// for a minute. Local errors are not remembered.
func negativeTTL(err error) time.Duration {
	var e *imagefetch.Error
	if !errors.As(err, &e) {
		return 0
	}
	switch e.Kind {
	case imagefetch.KindBadURL, imagefetch.KindBlocked, imagefetch.KindNotImage,
		imagefetch.KindTooLarge, imagefetch.KindTooManyPixels:
		return time.Hour
	case imagefetch.KindStatus:
		if e.Status == http.StatusNotFound || e.Status == http.StatusGone {
			return time.Hour
		}
		return time.Minute
	case imagefetch.KindTimeout, imagefetch.KindNetwork:
		return time.Minute
	}
	return 0
}

// slogLevel: a refused address may be an attack and a local error needs the
// operator; a broken image upstream is routine.
func slogLevel(outcome string) slog.Level {
	switch outcome {
	case "internal_error":
		return slog.LevelError
	case "blocked":
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
