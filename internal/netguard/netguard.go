// Package netguard keeps requests whose URLs come from feed content away
// from the machine's own networks: loopback, private, link-local (cloud
// metadata), multicast, unspecified and the other special-purpose ranges.
//
// The check is made where it cannot be dodged: on the resolved address, at
// dial time, inside the HTTP transport. A host name that resolves (or
// rebinds) to 10.0.0.1, or a redirect to 169.254.169.254, is refused before
// a packet is sent, whatever the URL looked like. Every client that fetches
// a URL written by a feed's author — the image proxy, full-text article
// pages, image mirroring — dials through a Dialer; URLs the operator wrote
// (sources, RSSHub instances) do not.
//
// net/netip classifies most ranges (IsLoopback, IsPrivate, …); a short
// table adds the rest, which is why no SSRF library is pulled in for it.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// BlockedError is the guard's refusal of an address.
type BlockedError struct {
	Host   string // the name that was dialled ("" or the literal address)
	Addr   netip.Addr
	Reason string // "loopback", "private", "link-local (cloud metadata)", …
}

// Error reads "127.0.0.1 is loopback", or "intranet.example resolves to
// 10.0.0.1, which is private" when a name was dialled.
func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return e.Host + " resolves to " + e.Addr.String() + ", which is " + e.Reason
	}
	return e.Addr.String() + " is " + e.Reason
}

// The special-purpose ranges that IsPrivate, IsLoopback & co. do not cover
// but that must not be reachable by a URL from feed content either.
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

// CheckIP is Check for a net.IP.
func CheckIP(ip net.IP) error {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return fmt.Errorf("invalid IP address %v", ip)
	}
	return Check(addr)
}

// Check reports whether a may be connected to: nil for a public unicast
// address, a *BlockedError naming the class otherwise (loopback, private,
// link-local incl. the 169.254.169.254 metadata service, multicast,
// unspecified, CGNAT, 0.0.0.0/8, broadcast, reserved, and the IPv6 forms
// that embed such an IPv4 address: IPv4-mapped, NAT64, 6to4).
func Check(a netip.Addr) error {
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
			if errors.As(Check(v4), &inner) {
				reason = "a translated form of " + inner.Error()
			}
		}
	}
	if reason != "" {
		return &BlockedError{Addr: orig, Reason: reason}
	}
	return nil
}

// DefaultDialTimeout bounds a guarded connect when Dial is not set.
const DefaultDialTimeout = 10 * time.Second

// Dialer is an http.Transport's DialContext that refuses blocked addresses.
// The zero value guards with the system resolver and a plain net.Dialer.
//
// A transport using it must not use an HTTP proxy (Transport.Proxy nil):
// the guard would then see the proxy's address, not the upstream's.
type Dialer struct {
	// Resolve looks a host name up (default net.DefaultResolver). Tests map
	// made-up names to addresses with it.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an approved address; it is only ever given a literal
	// "ip:port" (default net.Dialer with DefaultDialTimeout).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// AllowPrivate turns the guard off (an intranet source, tests).
	AllowPrivate bool
	// Allow, when set, lets an otherwise blocked address through: a test
	// reaches its loopback server while everything else private stays
	// refused.
	Allow func(netip.AddrPort) bool
}

var defaultDial = (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext

// DialContext resolves the host itself and checks every resolved address
// before connecting, so the check applies to the address actually dialled.
// Only approved literal addresses reach d.Dial. The refusal is a
// *BlockedError (naming the host) when every address is blocked.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: bad port: %w", addr, err)
	}
	var ips []netip.Addr
	ip, err := netip.ParseAddr(host)
	literal := err == nil
	if literal {
		ips = []netip.Addr{ip}
	} else if d.Resolve != nil {
		if ips, err = d.Resolve(ctx, host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	} else if ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err // a *net.DNSError, which names the host
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	dial := d.Dial
	if dial == nil {
		dial = defaultDial
	}
	var blocked, dialErr error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
		if err := d.check(ap); err != nil {
			if blocked == nil {
				var be *BlockedError
				if errors.As(err, &be) && !literal {
					be.Host = host
				}
				blocked = err
			}
			continue
		}
		conn, err := dial(ctx, network, ap.String())
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

func (d *Dialer) check(ap netip.AddrPort) error {
	if d.AllowPrivate || (d.Allow != nil && d.Allow(ap)) {
		return nil
	}
	return Check(ap.Addr())
}
