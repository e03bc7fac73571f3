package mediaproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestCheckIP(t *testing.T) {
	blocked := []struct{ ip, reason string }{
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"fd00:ec2::254", "private"}, // AWS metadata over IPv6
		{"169.254.169.254", "cloud metadata"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"ff05::2", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "0.0.0.0/8"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"192.0.0.8", "IETF"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"::ffff:100.64.0.1", "carrier-grade NAT"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"64:ff9b::7f00:1", "translated form of 127.0.0.1 is loopback"},
		{"64:ff9b::a9fe:a9fe", "translated form of 169.254.169.254"},
		{"2002:c0a8:0101::1", "translated form of 192.168.1.1 is private"},
		{"fec0::1", "site-local"},
	}
	for _, tc := range blocked {
		err := CheckIP(net.ParseIP(tc.ip))
		var be *BlockedError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("CheckIP(%s) = %v, want a BlockedError mentioning %q", tc.ip, err, tc.reason)
		}
	}
	for _, ip := range []string{
		"93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.0.2.1",
		"2606:4700::1111", "2001:4860:4860::8888", "::ffff:93.184.216.34",
		"64:ff9b::808:808", "2002:5db8:d822::1",
	} {
		if err := CheckIP(net.ParseIP(ip)); err != nil {
			t.Errorf("CheckIP(%s) = %v, want nil (a public address)", ip, err)
		}
	}
	if err := CheckIP(nil); err == nil {
		t.Error("CheckIP(nil) accepted an empty address")
	}
}

// recordingDialer records every address it is asked to connect to and only
// connects to the one test server that stands for a public host.
type recordingDialer struct {
	allow string
	mu    sync.Mutex
	addrs []string
}

func (d *recordingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	if addr != d.allow {
		return nil, fmt.Errorf("test dialer: refusing to connect to %s", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// TestGuardOnRedirects runs the real guarded dialer with a made-up DNS:
// img.example.com resolves to a loopback server that the test lets through
// (as if it were public); every redirect it answers with to a private,
// loopback or metadata address, by IP or by a name resolving to one, must be
// refused before any connection is attempted. A second loopback server
// stands for a private host and must never see a request.
func TestGuardOnRedirects(t *testing.T) {
	img := testImage(t, "png", 8, 8, 1)
	private := newUpstream(t, serveBytes(img, "image/png"))
	public := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		serveBytes(img, "image/png")(w, r)
	})
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())
	privatePort := netip.MustParseAddrPort(private.Listener.Addr().String()).Port()
	hosts := map[string][]netip.Addr{
		"img.example.com":    {publicAddr.Addr()},
		"mixed.example.com":  {netip.MustParseAddr("10.0.0.1"), publicAddr.Addr()},
		"rebind.example.com": {netip.MustParseAddr("10.0.0.1")},
		"meta.example.com":   {netip.MustParseAddr("169.254.169.254")},
		"localhost":          {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	}
	rec := &recordingDialer{allow: publicAddr.String()}
	p := newProxy(t, Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if ips, ok := hosts[host]; ok {
				return ips, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		Dial:      rec.dial,
		allowAddr: publicAddr,
	})

	start := fmt.Sprintf("http://img.example.com:%d/a.png", publicAddr.Port())
	via := func(to string) string { return start + "?to=" + url.QueryEscape(to) }
	pp := fmt.Sprint(privatePort)
	for _, tc := range []struct {
		rawURL string
		status int
		body   string
	}{
		{start, 200, ""},
		{fmt.Sprintf("http://mixed.example.com:%d/a.png", publicAddr.Port()), 200, ""},
		{via("http://127.0.0.1:" + pp + "/a.png"), 403, "upstream address not allowed: 127.0.0.1 is loopback"},
		{via("http://localhost:" + pp + "/a.png"), 403, "upstream address not allowed: 127.0.0.1 is loopback"},
		{via("http://[::1]:" + pp + "/a.png"), 403, "::1 is loopback"},
		{via("http://[::ffff:127.0.0.1]:" + pp + "/a.png"), 403, "127.0.0.1 is loopback"},
		{via("http://0.0.0.0:" + pp + "/a.png"), 403, "0.0.0.0 is unspecified"},
		{via("http://10.0.0.1/a.png"), 403, "10.0.0.1 is private"},
		{via("http://rebind.example.com/a.png"), 403, "10.0.0.1 is private"},
		{via("http://169.254.169.254/latest/meta-data/"), 403, "169.254.169.254 is link-local (cloud metadata)"},
		{via("http://meta.example.com/latest/meta-data/"), 403, "169.254.169.254 is link-local (cloud metadata)"},
		{via("http://100.100.100.200/"), 403, "carrier-grade NAT"},
		{"http://127.0.0.1:" + pp + "/a.png", 403, "127.0.0.1 is loopback"},
		{"http://rebind.example.com/a.png", 403, "10.0.0.1 is private"},
		{"http://nowhere.example.com/a.png", 502, "nowhere.example.com"},
	} {
		w := get(p, tc.rawURL)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.rawURL, w.Code, w.Body, tc.status, tc.body)
		}
	}
	if len(rec.addrs) == 0 {
		t.Fatal("the recording dialer was never used: the test proves nothing")
	}
	for _, a := range rec.addrs {
		if a != publicAddr.String() {
			t.Errorf("the guard let the dialer be asked for %s", a)
		}
	}
	if n := private.hits.Load(); n != 0 {
		t.Errorf("the private server received %d requests", n)
	}
}

// TestGuardDefaultDialer checks the production configuration (no test
// hooks): a loopback upstream is refused without being contacted.
func TestGuardDefaultDialer(t *testing.T) {
	up := newUpstream(t, serveBytes(testImage(t, "png", 8, 8, 1), "image/png"))
	m, _ := NewMetrics(nil)
	p := newProxy(t, Options{Metrics: m})
	w := get(p, up.URL+"/a.png")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "upstream address not allowed: 127.0.0.1 is loopback") {
		t.Errorf("loopback upstream: %d %q, want 403", w.Code, w.Body)
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the loopback upstream received %d requests", n)
	}
	if n := testutilCount(m, "blocked"); n != 1 {
		t.Errorf("blocked counter = %v, want 1", n)
	}
	// AllowPrivate lets it through.
	p = newProxy(t, Options{AllowPrivate: true})
	if w := get(p, up.URL+"/a.png"); w.Code != http.StatusOK {
		t.Errorf("with AllowPrivate: status %d: %s", w.Code, w.Body)
	}
}
