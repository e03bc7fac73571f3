package mediaproxy

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/feedpost/feedpost/internal/imagetest"
)

// TestGuardAnswer: the production configuration (no test hooks) refuses a
// loopback upstream without contacting it, tells the client only "address
// not allowed" and the log the address.
func TestGuardAnswer(t *testing.T) {
	up := imagetest.NewUpstream(t, imagetest.Serve(imagetest.Encode(t, "png", 8, 8, 1), "image/png"))
	m, _ := NewMetrics(nil)
	var log bytes.Buffer
	p := newProxy(t, Options{Metrics: m, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	w := get(p, up.URL+"/a.png")
	if w.Code != http.StatusForbidden || w.Body.String() != "address not allowed\n" {
		t.Errorf("loopback upstream: %d %q, want 403 \"address not allowed\"", w.Code, w.Body)
	}
	if !strings.Contains(log.String(), "127.0.0.1 is loopback") {
		t.Errorf("the log does not name the refused address:\n%s", log.String())
	}
	if n := up.Hits.Load(); n != 0 {
		t.Errorf("the loopback upstream received %d requests", n)
	}
	if n := testutil.ToFloat64(m.Requests.WithLabelValues("blocked")); n != 1 {
		t.Errorf("blocked counter = %v, want 1", n)
	}
	// AllowPrivate lets it through.
	p = newProxy(t, Options{AllowPrivate: true})
	if w := get(p, up.URL+"/a.png"); w.Code != http.StatusOK {
		t.Errorf("with AllowPrivate: status %d: %s", w.Code, w.Body)
	}
}
