package fetch

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// getFile reads a local path or file:// URL. The same MaxBytes cap applies,
// read through a limit so that pointing a source at /dev/zero fails cleanly.
func (c *Client) getFile(ctx context.Context, raw string) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{URL: raw, Tries: 1, Kind: KindCanceled, Err: err, msg: fmt.Sprintf("read %s: canceled (%v)", raw, err)}
	}
	path := raw
	if !filepath.IsAbs(raw) {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, &Error{URL: raw, Tries: 1, Kind: KindURL, Err: err, msg: "invalid file URL: " + unwrapURLError(err).Error()}
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, &Error{URL: raw, Tries: 1, Kind: KindURL, msg: fmt.Sprintf("file URL %s names host %q; only local files can be read", raw, u.Host)}
		}
		if u.Path == "" {
			return nil, &Error{URL: raw, Tries: 1, Kind: KindURL, msg: fmt.Sprintf("file URL %s has no path (want file:///abs/path)", raw)}
		}
		path = u.Path
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{URL: raw, Tries: 1, Kind: KindFile, Err: err, msg: err.Error()}
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	body, err := readAll(f, size, c.opt.MaxBytes)
	if err != nil {
		return nil, &Error{URL: raw, Tries: 1, Kind: KindFile, Err: err, msg: err.Error()}
	}
	if int64(len(body)) > c.opt.MaxBytes {
		return nil, &Error{URL: raw, Tries: 1, Kind: KindTooLarge, msg: fmt.Sprintf("read %s: file larger than %s", path, FormatSize(c.opt.MaxBytes))}
	}
	return &Response{URL: raw, StatusCode: 200, Body: body, Tries: 1}, nil
}
