package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
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

// TestDialContext runs the guard with a made-up DNS and a dialer that
// records what it is asked for: blocked addresses never reach it.
func TestDialContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	server := netip.MustParseAddrPort(ln.Addr().String())
	hosts := map[string][]netip.Addr{
		"public.example":   {server.Addr()}, // let through by Allow, standing for a public host
		"intranet.example": {netip.MustParseAddr("127.0.0.1")},
		"mixed.example":    {netip.MustParseAddr("10.0.0.1"), server.Addr()},
		"meta.example":     {netip.MustParseAddr("169.254.169.254")},
	}
	var dialled []string
	d := &Dialer{
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if ips, ok := hosts[host]; ok {
				return ips, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		},
	}
	port := fmt.Sprint(server.Port())
	for _, tc := range []struct {
		addr  string
		allow bool
		want  string // "" = connects
	}{
		{"intranet.example:" + port, false, "intranet.example resolves to 127.0.0.1, which is loopback"},
		{"127.0.0.1:" + port, false, "127.0.0.1 is loopback"},
		{"[::ffff:127.0.0.1]:" + port, false, "127.0.0.1 is loopback"},
		{"meta.example:80", false, "meta.example resolves to 169.254.169.254, which is link-local (cloud metadata)"},
		{"mixed.example:80", false, "mixed.example resolves to 10.0.0.1, which is private"},
		{"public.example:" + port, true, ""},
		{"mixed.example:" + port, true, ""}, // the private address is skipped, the allowed one dialled
		{"nowhere.example:80", false, "no such host"},
	} {
		d.Allow = nil
		if tc.allow {
			d.Allow = func(ap netip.AddrPort) bool { return ap == server }
		}
		dialled = nil
		c, err := d.DialContext(context.Background(), "tcp", tc.addr)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.addr, err)
				continue
			}
			c.Close()
			if len(dialled) != 1 || dialled[0] != server.String() {
				t.Errorf("%s: dialled %v, want only %s", tc.addr, dialled, server)
			}
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("%s: connected, want %q", tc.addr, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.addr, err, tc.want)
		}
		var be *BlockedError
		if strings.Contains(tc.want, " is") && !errors.As(err, &be) {
			t.Errorf("%s: %T is not a *BlockedError", tc.addr, err)
		}
		if len(dialled) != 0 {
			t.Errorf("%s: the dialler was asked for %v", tc.addr, dialled)
		}
	}

	// AllowPrivate opens everything; the zero Dialer guards with the real
	// resolver and dialer.
	c, err := (&Dialer{AllowPrivate: true}).DialContext(context.Background(), "tcp", server.String())
	if err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
	c.Close()
	if _, err := new(Dialer).DialContext(context.Background(), "tcp", server.String()); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("zero Dialer to loopback: %v, want a refusal", err)
	}
}
