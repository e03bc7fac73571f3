package serve

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps the connections open at once, in total and per
// client address, so that a few clients cannot take every file descriptor
// of the process. A connection over a cap is accepted, answered with a
// short 503 (total) or 429 (per address) and closed, on a goroutine of its
// own: the client learns why, and the accept loop never waits on it.
//
// golang.org/x/net/netutil.LimitListener caps only the total, blocks
// accepting when full (so the kernel's backlog, not the server, decides
// who waits), and its connection wrapper hides *net.TCPConn's ReadFrom,
// which costs every static file and cached image its sendfile(2): hence
// this one.
type limitListener struct {
	net.Listener
	max, perIP int
	state      *httpState
	log        *slog.Logger

	mu   sync.Mutex
	open int
	byIP map[netip.Addr]int

	lastLog   atomic.Int64 // unix nanoseconds of the last rejection logged
	rejecting atomic.Int32 // rejected connections being answered
}

func newLimitListener(ln net.Listener, maxConns, perIP int, state *httpState, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, max: maxConns, perIP: perIP, state: state, log: log, byIP: map[netip.Addr]int{}}
}

// Open is the number of connections open now.
func (l *limitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(c.RemoteAddr())
		l.mu.Lock()
		reason := ""
		switch {
		case l.open >= l.max:
			reason = "total"
		case l.perIP > 0 && l.byIP[key] >= l.perIP:
			reason = "per_ip"
		default:
			l.open++
			l.byIP[key]++
		}
		l.mu.Unlock()
		if reason == "" {
			l.state.open.Inc()
			return &limitedConn{Conn: c, l: l, key: key}, nil
		}
		l.reject(c, key, reason)
	}
}

func (l *limitListener) release(key netip.Addr) {
	l.mu.Lock()
	l.open--
	if l.byIP[key]--; l.byIP[key] <= 0 {
		delete(l.byIP, key)
	}
	l.mu.Unlock()
	l.state.open.Dec()
}

var (
	busyAnswer  = []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nContent-Length: 12\r\n\r\nserver busy\n")
	perIPAnswer = []byte("HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nContent-Length: 26\r\n\r\ntoo many connections open\n")
)

// Rejected connections are answered by at most maxRejecting goroutines at
// once, each within rejectTimeout; beyond that they are closed unanswered,
// so that a flood of refused connections cannot hold the descriptors the
// caps protect.
const (
	maxRejecting  = 64
	rejectTimeout = 500 * time.Millisecond
)

// reject answers c and closes it. The request is read first (its head, for
// at most rejectTimeout): a client that gets an answer before it has sent
// its request takes it for a broken connection, and closing a socket with
// unread bytes resets it, which may destroy the answer on its way.
func (l *limitListener) reject(c net.Conn, key netip.Addr, reason string) {
	l.state.rejected.WithLabelValues(reason).Inc()
	// At most one log line a minute: under a flood, the metric counts.
	now := time.Now().UnixNano()
	if last := l.lastLog.Load(); now-last > int64(time.Minute) && l.lastLog.CompareAndSwap(last, now) {
		l.log.Warn("connections refused: over the limit (feedpost_http_connections_rejected_total counts them)",
			"reason", reason, "client", key, "max_conns", l.max, "max_conns_per_ip", l.perIP)
	}
	if l.rejecting.Add(1) > maxRejecting {
		l.rejecting.Add(-1)
		c.Close()
		return
	}
	answer := busyAnswer
	if reason == "per_ip" {
		answer = perIPAnswer
	}
	go func() {
		defer l.rejecting.Add(-1)
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(rejectTimeout))
		readHead(c)
		c.SetWriteDeadline(time.Now().Add(rejectTimeout))
		c.Write(answer)
	}()
}

// readHead reads from c until the end of a request head, 8 KB, an error or
// the deadline.
func readHead(c net.Conn) {
	buf := make([]byte, 8<<10)
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if bytes.Contains(buf[max(0, n-m-3):n], []byte("\r\n\r\n")) || err != nil {
			return
		}
	}
}

// clientKey is the address a per-client limit counts against: the IPv4
// address, or the /64 of an IPv6 one (one host usually has a whole /64).
func clientKey(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// limitedConn gives its slot back when closed, once.
type limitedConn struct {
	net.Conn
	l    *limitListener
	key  netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

// ReadFrom keeps *net.TCPConn's ReadFrom reachable: net/http hands a file
// to it, which becomes sendfile(2).
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http half-close the connection, as it does with a
// bare *net.TCPConn, so that an error answer is read before the close.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
