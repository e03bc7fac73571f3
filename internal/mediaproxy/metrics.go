package mediaproxy

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes counted by Metrics.Requests.
var outcomes = []string{
	"hit", "miss", "not_modified", // served
	"bad_request", "forbidden", "blocked", "not_image", "too_large", "too_many_pixels",
	"upstream_not_found", "upstream_error", "timeout", "internal_error",
}

// Metrics are the proxy's Prometheus collectors. A nil *Metrics records
// nothing, so the proxy can run without a registry.
type Metrics struct {
	// Requests counts answered requests by outcome: hit, miss,
	// not_modified, or the class of the error.
	Requests *prometheus.CounterVec
	// BytesServed counts image bytes written to clients.
	BytesServed prometheus.Counter
	// FetchDuration observes upstream fetches, by result ok|error.
	FetchDuration *prometheus.HistogramVec
	// CacheBytes is the current size of the disk cache.
	CacheBytes prometheus.Gauge

	byOutcome map[string]prometheus.Counter // Requests' children, resolved once
}

// NewMetrics creates the collectors and registers them with reg (when not
// nil). It returns an error rather than panicking when reg already holds
// collectors of the same names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedpost_proxy_requests_total",
			Help: "Image proxy requests by outcome.",
		}, []string{"outcome"}),
		BytesServed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedpost_proxy_bytes_served_total",
			Help: "Image bytes sent to clients by the proxy.",
		}),
		FetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedpost_proxy_upstream_fetch_duration_seconds",
			Help:    "Duration of upstream image fetches, body included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10), // 10ms … ~38s
		}, []string{"result"}),
		CacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedpost_proxy_cache_bytes",
			Help: "Size of the image proxy's disk cache.",
		}),
	}
	m.byOutcome = make(map[string]prometheus.Counter, len(outcomes))
	for _, o := range outcomes {
		m.byOutcome[o] = m.Requests.WithLabelValues(o) // exports zeros, so rates work from the start
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Requests, m.BytesServed, m.FetchDuration, m.CacheBytes} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("mediaproxy: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *Metrics) request(outcome string, bytes int64) {
	if m == nil {
		return
	}
	c, ok := m.byOutcome[outcome]
	if !ok {
		c = m.Requests.WithLabelValues(outcome)
	}
	c.Inc()
	if outcome == "hit" || outcome == "miss" { // not error messages
		m.BytesServed.Add(float64(bytes))
	}
}

func (m *Metrics) fetched(d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.FetchDuration.WithLabelValues(result).Observe(d.Seconds())
}

func (m *Metrics) setCacheBytes(n int64) {
	if m == nil {
		return
	}
	m.CacheBytes.Set(float64(n))
}
