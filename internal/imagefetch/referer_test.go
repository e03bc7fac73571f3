package imagefetch

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/feedpost/feedpost/internal/imagetest"
)

// memTransport answers from memory and records the requests it gets, so the
// headers sent to hosts that cannot be reached from a test can be checked.
type memTransport struct {
	img       []byte
	redirects map[string]string // URL → Location

	mu   sync.Mutex
	reqs []*http.Request
}

func (m *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, req.Clone(req.Context()))
	m.mu.Unlock()
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: req, Body: io.NopCloser(bytes.NewReader(m.img)), ContentLength: int64(len(m.img))}
	if to, ok := m.redirects[req.URL.String()]; ok {
		resp.StatusCode = http.StatusFound
		resp.Header.Set("Location", to)
		resp.Body, resp.ContentLength = http.NoBody, 0
	}
	return resp, nil
}

func (m *memTransport) take() []*http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.reqs
	m.reqs = nil
	return r
}

func TestRefererTable(t *testing.T) {
	img := imagetest.Encode(t, "png", 8, 8, 1)
	builtin := map[string]string{
		"http://wx1.sinaimg.cn/large/a.jpg":          "https://weibo.com/",
		"https://tva1.sinaimg.cn/crop.0.0/b.jpg":     "https://weibo.com/",
		"http://sinaimg.cn/c.jpg":                    "https://weibo.com/",
		"https://mmbiz.qpic.cn/mmbiz_jpg/x/640":      "https://mp.weixin.qq.com/",
		"https://mmbiz.qlogo.cn/mmbiz/y/0":           "https://mp.weixin.qq.com/",
		"https://i0.hdslb.com/bfs/archive/z.jpg":     "https://www.bilibili.com/",
		"https://pic1.zhimg.com/v2-abc.jpg":          "https://www.zhihu.com/",
		"https://static.cnbetacdn.com/article/d.jpg": "https://www.cnbeta.com.tw/",
		"https://img1.doubanio.com/view/e.jpg":       "https://www.douban.com/",
		"https://upload-images.jianshu.io/f.png":     "https://www.jianshu.com/",
		"https://WX2.SinaImg.CN/g.jpg":               "https://weibo.com/",
		"http://wx1.sinaimg.cn.:8080/h.jpg":          "https://weibo.com/",
		"https://p3.pstatp.com/large/i.jpg":          "",
		"https://p26-sign.byteimg.com/j.jpg":         "",
		"http://static.1sapp.com/qupost/img/k.jpeg":  "",
		"https://notsinaimg.cn/l.jpg":                "", // not a subdomain
		"https://wx1.sinaimg.cn.evil.example/m.jpg":  "",
		"https://puui.qpic.cn/n.jpg":                 "", // only mmbiz.qpic.cn is listed
		"https://example.com/o.png":                  "",
	}
	override := map[string]string{
		"http://wx1.sinaimg.cn/large/a.jpg":      "https://m.weibo.cn/",
		"https://img.example.org/p.png":          "https://example.org/",
		"https://i0.hdslb.com/bfs/archive/z.jpg": "", // turned off
		"https://pic1.zhimg.com/v2-abc.jpg":      "https://www.zhihu.com/",
		"https://example.com/o.png":              "",
	}
	for _, tc := range []struct {
		name     string
		referers map[string]string
		want     map[string]string
	}{
		{"built-in", nil, builtin},
		{"override", map[string]string{
			"*.sinaimg.cn":    "https://m.weibo.cn/",
			"IMG.Example.ORG": "https://example.org/",
			"*.hdslb.com":     "",
		}, override},
	} {
		mt := &memTransport{img: img}
		d := newDownloader(t, Options{Transport: mt, Referers: tc.referers, UserAgent: "test-agent/1"})
		for rawURL, want := range tc.want {
			if _, _, err := fetchBytes(t, d, rawURL); err != nil {
				t.Fatalf("%s %s: %v", tc.name, rawURL, err)
			}
			reqs := mt.take()
			if len(reqs) != 1 {
				t.Fatalf("%s %s: %d upstream requests", tc.name, rawURL, len(reqs))
			}
			h := reqs[0].Header
			got, sent := h["Referer"]
			switch {
			case want == "" && sent:
				t.Errorf("%s %s: Referer %q sent, want none at all", tc.name, rawURL, got)
			case want != "" && h.Get("Referer") != want:
				t.Errorf("%s %s: Referer %q, want %q", tc.name, rawURL, h.Get("Referer"), want)
			}
			if h.Get("Accept") != "image/avif,image/webp,image/apng,image/*,*/*;q=0.8" || h.Get("User-Agent") != "test-agent/1" {
				t.Errorf("%s %s: Accept %q, User-Agent %q", tc.name, rawURL, h.Get("Accept"), h.Get("User-Agent"))
			}
		}
	}
}

// TestRefererOnRedirect: each hop gets the Referer of its own host, never
// the previous URL (which net/http would send by default).
func TestRefererOnRedirect(t *testing.T) {
	mt := &memTransport{img: imagetest.Encode(t, "png", 8, 8, 1), redirects: map[string]string{
		"https://example.com/r":       "https://wx1.sinaimg.cn/x.jpg",
		"https://wx1.sinaimg.cn/r":    "https://example.com/y.png",
		"https://wx1.sinaimg.cn/same": "/z.jpg",
	}}
	d := newDownloader(t, Options{Transport: mt})
	for start, want := range map[string][]string{
		"https://example.com/r":       {"", "https://weibo.com/"},
		"https://wx1.sinaimg.cn/r":    {"https://weibo.com/", ""},
		"https://wx1.sinaimg.cn/same": {"https://weibo.com/", "https://weibo.com/"},
	} {
		if _, _, err := fetchBytes(t, d, start); err != nil {
			t.Fatalf("%s: %v", start, err)
		}
		reqs := mt.take()
		if len(reqs) != len(want) {
			t.Fatalf("%s: %d upstream requests, want %d", start, len(reqs), len(want))
		}
		for i, r := range reqs {
			if got := r.Header.Get("Referer"); got != want[i] {
				t.Errorf("%s hop %d (%s): Referer %q, want %q", start, i, r.URL, got, want[i])
			}
		}
	}
}

func TestLookupReferer(t *testing.T) {
	table := map[string]string{"*.a.com": "A", "x.a.com": "X", "*.b.a.com": "B", "*.c.a.com": ""}
	for host, want := range map[string]string{
		"a.com": "A", "y.a.com": "A", "x.a.com": "X", "b.a.com": "B", "z.b.a.com": "B",
		"q.c.a.com": "", "xa.com": "", "com": "", "": "",
	} {
		if got := lookupReferer(table, host); got != want {
			t.Errorf("lookupReferer(%q) = %q, want %q", host, got, want)
		}
	}
}
