package mediaproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

var errTooManyRedirects = fmt.Errorf("upstream redirected more than %d times", MaxRedirects)

// fetch downloads rawURL into a file (a cache file when there is a disk
// cache) and returns it opened. Every failure is a *proxyError.
func (p *Proxy) fetch(rawURL, key string) (b *blob, err error) {
	start := time.Now()
	defer func() { p.metrics.fetched(time.Since(start), err) }()

	// Not the client request's context: other requests may be waiting on
	// this fetch, and a finished download fills the cache anyway.
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_request", "invalid upstream URL: %v", err)
	}
	req.Header.Set("Accept", headerAccept)
	req.Header.Set("User-Agent", p.userAgent)
	if ref := lookupReferer(p.referers, req.URL.Hostname()); ref != "" {
		req.Header.Set("Referer", ref)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.upstreamError(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, errorf(http.StatusNotFound, "upstream_not_found", "upstream returned %s", resp.Status)
	default:
		return nil, errorf(http.StatusBadGateway, "upstream_error", "upstream returned %s", resp.Status)
	}
	tooLarge := errorf(http.StatusBadGateway, "too_large", "upstream image larger than %s", formatSize(p.maxBytes))
	if resp.ContentLength > p.maxBytes {
		return nil, tooLarge // don't download what would be thrown away
	}

	head := make([]byte, 512)
	n, err := io.ReadFull(resp.Body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, p.upstreamError(err)
	}
	head = head[:n]
	if n == 0 {
		return nil, errorf(http.StatusBadGateway, "upstream_error", "upstream sent an empty body")
	}
	ctype, err := sniffImage(head)
	if err != nil {
		return nil, err
	}

	f, err := p.cache.tempFile()
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "internal_error", "image buffer: %v", err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	sum := sha256.New()
	w := io.MultiWriter(f, sum)
	if _, err := w.Write(head); err != nil {
		return nil, errorf(http.StatusInternalServerError, "internal_error", "image buffer: %v", err)
	}
	rest, err := io.Copy(w, io.LimitReader(resp.Body, p.maxBytes-int64(n)+1))
	if err != nil {
		var pe *os.PathError // a failed write to our file, not to the network
		if errors.As(err, &pe) {
			return nil, errorf(http.StatusInternalServerError, "internal_error", "image buffer: %v", err)
		}
		return nil, p.upstreamError(err)
	}
	size := int64(n) + rest
	if size > p.maxBytes {
		return nil, tooLarge
	}

	m := &meta{
		URL:      rawURL,
		Type:     ctype,
		ETag:     `"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`,
		Modified: time.Now().UTC().Truncate(time.Second),
		Size:     size,
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil && !t.After(m.Modified) {
		m.Modified = t.UTC()
	}
	b, err = p.cache.commit(f, key, m)
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "internal_error", "image cache: %v", err)
	}
	keep = true
	return b, nil
}

// checkRedirect caps the redirect chain and resets the Referer for each hop:
// net/http would otherwise send the previous URL as Referer, which is just
// what hotlink protection looks at. The new address is checked by the
// guarded dialer when the hop connects.
func (p *Proxy) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return errTooManyRedirects
	}
	req.Header.Del("Referer")
	if ref := lookupReferer(p.referers, req.URL.Hostname()); ref != "" {
		req.Header.Set("Referer", ref)
	}
	return nil
}

// upstreamError turns a client or body-read error into the answer for it.
func (p *Proxy) upstreamError(err error) *proxyError {
	var blocked *BlockedError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &blocked):
		return errorf(http.StatusForbidden, "blocked", "upstream address not allowed: %v", blocked)
	case errors.Is(err, errTooManyRedirects):
		return errorf(http.StatusBadGateway, "upstream_error", "%v", errTooManyRedirects)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return errorf(http.StatusBadGateway, "timeout", "upstream timed out after %v", p.timeout)
	case errors.As(err, &dnsErr):
		return errorf(http.StatusBadGateway, "upstream_error", "upstream host not found: %v", dnsErr)
	}
	return errorf(http.StatusBadGateway, "upstream_error", "upstream fetch failed: %v", err)
}

// sniffImage returns the type of an image from its first bytes, or a 415
// error. The upstream's Content-Type is not trusted: a wrong one would let a
// page or a script be served from our origin.
//
// SVG is refused on purpose: it is XML that can carry scripts.
func sniffImage(head []byte) (string, error) {
	if isAVIF(head) {
		return "image/avif", nil
	}
	ct := http.DetectContentType(head)
	switch ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/x-icon":
		return ct, nil
	}
	if bytes.Contains(bytes.ToLower(head), []byte("<svg")) {
		return "", errorf(http.StatusUnsupportedMediaType, "not_image", "upstream is an SVG image, which is refused: SVG can carry scripts")
	}
	return "", errorf(http.StatusUnsupportedMediaType, "not_image", "upstream is not an image: %s", ct)
}

// isAVIF recognises an ISO-BMFF "ftyp" box whose major or compatible brands
// name AVIF; http.DetectContentType does not know the format.
func isAVIF(b []byte) bool {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return false
	}
	boxLen := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if boxLen < 16 || boxLen > len(b) {
		boxLen = len(b)
	}
	for i := 8; i+4 <= boxLen; i += 4 {
		if i == 12 {
			continue // minor version, not a brand
		}
		if brand := string(b[i : i+4]); brand == "avif" || brand == "avis" {
			return true
		}
	}
	return false
}

// formatSize writes a byte count for people: "20 MiB", "1000 bytes".
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
