package mediaproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// BlockedError is the SSRF guard's refusal of an upstream address.
type BlockedError struct {
	Addr   netip.Addr
	Reason string // "loopback", "private", "link-local (cloud metadata)", …
}

func (e *BlockedError) Error() string { return e.Addr.String() + " is " + e.Reason }

// net/netip classifies most ranges (IsLoopback, IsPrivate, …); this short
// table adds the rest, which is why no SSRF library is pulled in for it.
//
// The special-purpose ranges that IsPrivate, IsLoopback & co. do not cover
// but that must not be reachable through a public proxy either.
var blockedPrefixes = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("0.0.0.0/8"), "in 0.0.0.0/8 (this network)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for IETF protocol assignments"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address (deprecated)"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated private)"},
}

var (
	metadataIP = netip.MustParseAddr("169.254.169.254")
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// CheckIP reports whether the proxy may connect to ip: nil for a public
// unicast address, a *BlockedError naming the class otherwise (loopback,
// private, link-local incl. the 169.254.169.254 metadata service, multicast,
// unspecified, CGNAT, 0.0.0.0/8, broadcast, reserved, and the IPv6 forms
// that embed such an IPv4 address: IPv4-mapped, NAT64, 6to4).
func CheckIP(ip net.IP) error {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return fmt.Errorf("invalid IP address %v", ip)
	}
	return checkAddr(addr)
}

func checkAddr(a netip.Addr) error {
	orig := a
	a = a.Unmap() // ::ffff:10.0.0.1 reaches 10.0.0.1
	reason := ""
	switch {
	case !a.IsValid():
		return errors.New("invalid IP address")
	case a.IsUnspecified():
		reason = "unspecified"
	case a.IsLoopback():
		reason = "loopback"
	case a == metadataIP:
		reason = "link-local (cloud metadata)"
	case a.IsLinkLocalUnicast():
		reason = "link-local"
	case a.IsMulticast():
		reason = "multicast"
	case a.IsPrivate():
		reason = "private"
	default:
		for _, b := range blockedPrefixes {
			if b.prefix.Contains(a) {
				reason = b.reason
				break
			}
		}
	}
	if reason == "" && a.Is6() {
		// Addresses that a NAT64 or 6to4 gateway turns into an IPv4 one.
		b := a.As16()
		var v4 netip.Addr
		switch {
		case nat64.Contains(a):
			v4 = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(a):
			v4 = netip.AddrFrom4([4]byte(b[2:6]))
		}
		if v4.IsValid() {
			var inner *BlockedError
			if errors.As(checkAddr(v4), &inner) {
				reason = "a translated form of " + inner.Error()
			}
		}
	}
	if reason != "" {
		return &BlockedError{Addr: orig, Reason: reason}
	}
	return nil
}

// guardedDial is the Transport's DialContext. It resolves the host itself
// and checks every resolved address before connecting, so the check applies
// to the address actually dialled: a DNS name that resolves (or rebinds) to
// a private address, or a redirect to one, is refused before any packet is
// sent. Only approved literal addresses reach p.dial.
func (p *Proxy) guardedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: bad port: %w", addr, err)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = p.lookupIP(ctx, host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	var blocked, dialErr error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
		if err := p.checkAddrPort(ap); err != nil {
			if blocked == nil {
				blocked = err
			}
			continue
		}
		conn, err := p.dial(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		dialErr = err
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, blocked
}

func (p *Proxy) checkAddrPort(ap netip.AddrPort) error {
	if p.allowPrivate || (p.allowAddr.IsValid() && ap == p.allowAddr) {
		return nil
	}
	return checkAddr(ap.Addr())
}
