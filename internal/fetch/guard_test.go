package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/netguard"
)

// TestGuarded: a guarded client refuses a name that resolves to loopback,
// directly or through a redirect from an allowed host, without retrying and
// without the private server seeing a request; the unguarded client it was
// made from still reaches it.
func TestGuarded(t *testing.T) {
	var privateHits atomic.Int32
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		privateHits.Add(1)
		fmt.Fprint(w, "<html>secret</html>")
	}))
	defer private.Close()
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		fmt.Fprint(w, "<html>public</html>")
	}))
	defer public.Close()
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())
	privatePort := netip.MustParseAddrPort(private.Listener.Addr().String()).Port()

	base := New(Options{Timeout: 5 * time.Second, Retries: 2, Backoff: func(int) time.Duration { return time.Millisecond }})
	guarded := base.Guarded(&netguard.Dialer{
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "intranet.test":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "public.test":
				return []netip.Addr{publicAddr.Addr()}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		Allow: func(ap netip.AddrPort) bool { return ap == publicAddr },
	})
	intranet := fmt.Sprintf("http://intranet.test:%d/admin", privatePort)
	publicURL := fmt.Sprintf("http://public.test:%d/", publicAddr.Port())
	for _, u := range []string{intranet, publicURL + "?to=" + intranet, private.URL + "/admin"} {
		_, err := guarded.Get(context.Background(), Request{URL: u})
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != KindBlocked || fe.Tries != 1 || !strings.Contains(err.Error(), "is loopback") ||
			!strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: %v, want a refusal after one try", u, err)
		}
		if IsTransient(err) {
			t.Errorf("%s: a refusal is transient", u)
		}
	}
	if n := privateHits.Load(); n != 0 {
		t.Errorf("the private server saw %d requests through the guarded client", n)
	}
	if resp, err := guarded.Get(context.Background(), Request{URL: publicURL}); err != nil || string(resp.Body) != "<html>public</html>" {
		t.Errorf("allowed host: %v", err)
	}
	if _, err := base.Get(context.Background(), Request{URL: private.URL + "/admin"}); err != nil || privateHits.Load() != 1 {
		t.Errorf("the unguarded client: %v, %d hits", err, privateHits.Load())
	}
}
