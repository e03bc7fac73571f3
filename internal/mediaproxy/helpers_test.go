package mediaproxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

var testSecret = []byte("test-secret-0123456789abcdef")

func newProxy(t testing.TB, opt Options) *Proxy {
	t.Helper()
	if opt.Secret == nil {
		opt.Secret = testSecret
	}
	p, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// request sends a request for the proxy URL of rawURL straight to the handler.
func request(p *Proxy, method, rawURL string, hdr http.Header) *httptest.ResponseRecorder {
	return requestPath(p, method, URL("", testSecret, rawURL), hdr)
}

func requestPath(p *Proxy, method, path string, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://proxy.test"+path, nil)
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

func get(p *Proxy, rawURL string) *httptest.ResponseRecorder {
	return request(p, http.MethodGet, rawURL, nil)
}
