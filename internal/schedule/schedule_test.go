package schedule

import (
	"context"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// within reports whether got is want ± jitter.
func within(got, want time.Duration) bool {
	lo := time.Duration(float64(want) * (1 - jitter))
	hi := time.Duration(float64(want) * (1 + jitter))
	return got >= lo && got <= hi
}

func TestWait(t *testing.T) {
	tests := []struct {
		name                  string
		interval, ttl, maxAge time.Duration
		failures              int
		wantAbout             time.Duration // ± jitter
		wantMin, wantMax      time.Duration // exact bounds, checked when not zero
	}{
		{name: "interval", interval: 30 * time.Minute, wantAbout: 30 * time.Minute},
		{name: "short ttl does not bring it sooner", interval: 30 * time.Minute, ttl: 5 * time.Minute, wantAbout: 30 * time.Minute},
		{name: "ttl longer than interval: capped at interval", interval: 30 * time.Minute, ttl: 2 * time.Hour,
			wantMin: 30 * time.Minute, wantMax: 33 * time.Minute},
		{name: "max-age longer than interval: capped at interval", interval: 10 * time.Minute, maxAge: time.Hour,
			wantMin: 10 * time.Minute, wantMax: 11 * time.Minute},
		{name: "hint equal to interval: jitter never below it", interval: 10 * time.Minute, maxAge: 10 * time.Minute,
			wantMin: 10 * time.Minute, wantMax: 11 * time.Minute},
		{name: "explicit interval below floor is honoured", interval: 5 * time.Second, wantMin: 4500 * time.Millisecond, wantMax: 5500 * time.Millisecond},
		{name: "hint never pushes a short interval to the floor", interval: 5 * time.Second, ttl: time.Hour, wantMin: 4500 * time.Millisecond, wantMax: 5500 * time.Millisecond},
		{name: "zero interval", wantMin: Floor, wantMax: Floor + Floor/10},
		{name: "failures below backoff: interval", interval: 30 * time.Minute, failures: BackoffAfter - 1, wantAbout: 30 * time.Minute},
		{name: "first backoff: one interval", interval: 30 * time.Minute, failures: BackoffAfter, wantAbout: 30 * time.Minute},
		{name: "second backoff: doubled", interval: 30 * time.Minute, failures: BackoffAfter + 1, wantAbout: time.Hour},
		{name: "fourth backoff: ×8", interval: 30 * time.Minute, failures: BackoffAfter + 3, wantAbout: 4 * time.Hour},
		{name: "backoff ignores ttl", interval: 30 * time.Minute, ttl: 10 * time.Hour, failures: BackoffAfter, wantAbout: 30 * time.Minute},
		{name: "backoff capped at a day", interval: 30 * time.Minute, failures: BackoffAfter + 20, wantAbout: MaxBackoff},
		{name: "huge failure count", interval: time.Hour, failures: 1 << 30, wantAbout: MaxBackoff},
		{name: "interval longer than the cap", interval: 48 * time.Hour, failures: BackoffAfter + 5, wantAbout: 48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Several keys and times, so a bound that holds only for one
			// jitter draw would be caught.
			for i := range 50 {
				now := t0.Add(time.Duration(i) * 7919 * time.Millisecond)
				key := fmt.Sprint("source-", i)
				got := Wait(now, tt.interval, tt.ttl, tt.maxAge, tt.failures, key)
				if tt.wantAbout != 0 && !within(got, tt.wantAbout) {
					t.Fatalf("Wait = %v, want %v ±10%%", got, tt.wantAbout)
				}
				if tt.wantMin != 0 && (got < tt.wantMin || got > tt.wantMax) {
					t.Fatalf("Wait = %v, want in [%v, %v]", got, tt.wantMin, tt.wantMax)
				}
				if got < min(Floor, tt.interval) && tt.interval > 0 || tt.interval <= 0 && got < Floor {
					t.Fatalf("Wait = %v is below the floor", got)
				}
				if next := Next(now, tt.interval, tt.ttl, tt.maxAge, tt.failures, key); !next.Equal(now.Add(got)) {
					t.Fatalf("Next = %v, want now+Wait = %v", next, now.Add(got))
				}
			}
		})
	}
}

func TestJitterIsDeterministicAndSpread(t *testing.T) {
	a := Wait(t0, time.Hour, 0, 0, 0, "a")
	if b := Wait(t0, time.Hour, 0, 0, 0, "a"); a != b {
		t.Fatalf("same inputs gave %v and %v", a, b)
	}
	seen := map[time.Duration]bool{}
	var lo, hi time.Duration = time.Hour, time.Hour
	for i := range 200 {
		d := Wait(t0, time.Hour, 0, 0, 0, fmt.Sprint(i))
		seen[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	if len(seen) < 150 {
		t.Errorf("only %d distinct waits for 200 keys: jitter does not spread sources", len(seen))
	}
	// 200 uniform draws over ±10%: both ends are reached within 2%.
	if lo > 54*time.Minute+30*time.Second || hi < 65*time.Minute+30*time.Second {
		t.Errorf("jitter range [%v, %v] is narrower than ±10%%", lo, hi)
	}
}

func TestBackoff(t *testing.T) {
	for f, want := range map[int]bool{0: false, 1: false, BackoffAfter - 1: false, BackoffAfter: true, 100: true} {
		if got := Backoff(f); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", f, got, want)
		}
	}
}

// Sleep ends when ctx does, with its cause; it never fails on time.
func TestSleep(t *testing.T) {
	if err := Sleep(t.Context(), time.Millisecond); err != nil {
		t.Errorf("Sleep: %v", err)
	}
	if err := Sleep(t.Context(), 0); err != nil {
		t.Errorf("Sleep(0): %v", err)
	}
	cause := fmt.Errorf("lease lost")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(cause)
	for _, d := range []time.Duration{0, time.Hour} {
		if err := Sleep(ctx, d); err != cause {
			t.Errorf("Sleep(%v) on an ended context: %v, want its cause", d, err)
		}
	}
}
