package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// errRecorder remembers the last error of the raw body, so that a failed read
// through a decompressor can be told apart: the connection broke (network,
// retry) or the compressed data is bad (the server's fault, no retry).
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// readBody returns the decoded body of resp, at most MaxBytes of it. The cap
// is enforced while streaming through an io.LimitReader, so a 1 GB body or a
// gzip bomb costs MaxBytes of memory, not its size. Errors of the connection
// come back as they are (attempt classifies them); the other failures come
// back as *Error.
func (c *Client) readBody(resp *http.Response) (body []byte, err error) {
	limit := c.opt.MaxBytes
	encoding := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	tooLarge := &Error{Status: resp.StatusCode, Kind: KindTooLarge, msg: "response larger than " + FormatSize(limit)}
	if (encoding == "" || encoding == "identity") && resp.ContentLength > limit {
		return nil, tooLarge // no need to download what we would throw away
	}

	raw := &errRecorder{r: resp.Body}
	defer func() {
		// Decoders are third-party code reading hostile input: a panic in
		// one must fail this fetch, not the whole run.
		if p := recover(); p != nil {
			body, err = nil, &Error{Status: resp.StatusCode, Kind: KindHTTP, msg: fmt.Sprintf("decoding %s body: panic: %v", encoding, p)}
		}
	}()
	r, err := decoder(encoding, raw)
	var fe *Error
	if errors.As(err, &fe) {
		fe.Status = resp.StatusCode
		return nil, fe
	}
	if err == nil {
		hint := int64(0)
		if encoding == "" || encoding == "identity" {
			hint = resp.ContentLength
		}
		body, err = readAll(r, hint, limit)
	}
	switch {
	case err == nil && int64(len(body)) > limit:
		return nil, tooLarge
	case err == nil:
		return body, nil
	case raw.err != nil && raw.err != io.EOF:
		return nil, raw.err // the connection, not the encoding, failed
	default:
		return nil, &Error{Status: resp.StatusCode, Kind: KindHTTP, Err: err, msg: fmt.Sprintf("invalid %s body: %v", encoding, err)}
	}
}

// decoder undoes Content-Encoding, which lists codings in the order they were
// applied. net/http decodes only gzip, and only when it asked for it; we ask
// for br and deflate too, so we decode all of them here.
func decoder(encoding string, r io.Reader) (io.Reader, error) {
	if encoding == "" {
		return r, nil
	}
	codings := strings.Split(encoding, ",")
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		switch coding := strings.TrimSpace(codings[i]); coding {
		case "", "identity":
		case "gzip", "x-gzip":
			r, err = gzipReader(r)
		case "deflate":
			r, err = deflateReader(r)
		case "br":
			r = brotli.NewReader(r)
		default:
			return nil, &Error{Kind: KindHTTP, msg: fmt.Sprintf("unsupported Content-Encoding %q", coding)}
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// gzipReader decodes gzip, passing the body through when it does not start
// with the gzip magic: misconfigured servers label plain (or empty) feeds as
// gzip, and their bytes are still the feed.
func gzipReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	return gzip.NewReader(br)
}

// deflateReader decodes HTTP "deflate", which RFC 9110 defines as zlib but
// which some servers send as raw DEFLATE; the zlib header check tells them
// apart (RFC 1950: method 8 and a header checksum divisible by 31).
func deflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(h) == 0 {
		return br, nil // empty body
	}
	if len(h) == 2 && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// FormatSize prints a byte count the way sizes are written in feedpost.yaml,
// in binary units: 20MB, 512KB, 1.5GB, 900B.
func FormatSize(n int64) string {
	units := []struct {
		name string
		size int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}
	for _, u := range units {
		if n >= u.size {
			if n%u.size == 0 {
				return strconv.FormatInt(n/u.size, 10) + u.name
			}
			s := strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64)
			return strings.TrimSuffix(s, ".0") + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// readAll reads r to its end, or to one byte past limit (which the caller
// reports as too large). hint, the expected size when known (<= 0: not
// known), sizes the buffer once: io.ReadAll would grow it step by step and
// copy a feed of a few hundred kilobytes several times.
func readAll(r io.Reader, hint, limit int64) ([]byte, error) {
	if hint <= 0 || hint > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	var buf bytes.Buffer
	buf.Grow(int(hint) + bytes.MinRead) // ReadFrom wants MinRead spare bytes to try the read that finds EOF
	_, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	return buf.Bytes(), err
}
