// Package retry is the one backoff rule of the installer's HTTP clients
// (media fetches, the webhook, the done callbacks): waits that double up
// to a cap, spread by jitter so that many nodes told to wait do not come
// back at the same instant, and never shorter than a server's
// Retry-After.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is a retry schedule; the zero value waits 1 s, doubling up to
// 30 s, with no bound on the attempts.
type Backoff struct {
	First, Max time.Duration
	// Attempts bounds the tries of Do (0: until the context ends).
	Attempts int
	// NoJitter makes the waits exact (tests of the schedule only).
	NoJitter bool
}

func (b Backoff) withDefaults() Backoff {
	if b.First <= 0 {
		b.First = time.Second
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.First {
		b.Max = b.First
	}
	return b
}

// Wait is the pause before retry n (1 for the first retry): First
// doubled n-1 times, capped at Max, then spread over its upper half
// ("equal jitter"); a server's Retry-After (capped at 4 x Max, so a
// hostile value cannot park a node) is a floor, with up to a quarter of
// it added as jitter.
func (b Backoff) Wait(n int, retryAfter time.Duration) time.Duration {
	b = b.withDefaults()
	d := b.First
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if !b.NoJitter {
		d = d/2 + rand.N(d/2+1)
	}
	if ra := min(retryAfter, 4*b.Max); ra > d {
		d = ra
		if !b.NoJitter {
			d += rand.N(ra/4 + 1)
		}
	}
	return d
}

// Do calls try until it succeeds, fails for good (retry false), has been
// tried b.Attempts times or ctx ends, sleeping Wait between tries; it
// returns the attempts made and the last error.
func (b Backoff) Do(ctx context.Context, try func() (retry bool, retryAfter time.Duration, err error)) (int, error) {
	for attempt := 1; ; attempt++ {
		retry, after, err := try()
		if err == nil || !retry || (b.Attempts > 0 && attempt >= b.Attempts) {
			return attempt, err
		}
		if !Sleep(ctx, b.Wait(attempt, after)) {
			return attempt, err
		}
	}
}

// Sleep waits d or until ctx ends; false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// After reads a Retry-After header (RFC 9110 10.2.3): delay-seconds or
// an HTTP-date, relative to now. Absent, malformed or past: 0.
func After(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<20)) * time.Second
	}
	t, err := http.ParseTime(h)
	if err != nil || !t.After(now) {
		return 0
	}
	return t.Sub(now)
}

// Status tells whether an HTTP status is worth retrying (408, 429, 5xx).
func Status(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}
