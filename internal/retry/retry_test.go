package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestWaitSchedule(t *testing.T) {
	b := Backoff{First: 100 * time.Millisecond, Max: time.Second, NoJitter: true}
	for _, c := range []struct {
		n     int
		after time.Duration
		want  time.Duration
	}{
		{1, 0, 100 * time.Millisecond},
		{2, 0, 200 * time.Millisecond},
		{4, 0, 800 * time.Millisecond},
		{5, 0, time.Second},
		{30, 0, time.Second},
		{1, 3 * time.Second, 3 * time.Second},    // Retry-After is a floor
		{1, time.Hour, 4 * time.Second},          // capped at 4 x Max
		{5, 500 * time.Millisecond, time.Second}, // below the schedule: ignored
	} {
		if got := b.Wait(c.n, c.after); got != c.want {
			t.Errorf("Wait(%d, %v) = %v, want %v", c.n, c.after, got, c.want)
		}
	}
}

func TestWaitJitter(t *testing.T) {
	b := Backoff{First: 100 * time.Millisecond, Max: time.Second}
	seen := map[time.Duration]bool{}
	for range 200 {
		d := b.Wait(3, 0) // 400 ms before jitter: spread over 200-400 ms
		if d < 200*time.Millisecond || d > 400*time.Millisecond {
			t.Fatalf("Wait(3) = %v, outside [200ms, 400ms]", d)
		}
		seen[d] = true
		if ra := b.Wait(1, 2*time.Second); ra < 2*time.Second || ra > 2500*time.Millisecond {
			t.Fatalf("Wait with Retry-After 2s = %v, outside [2s, 2.5s]", ra)
		}
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct waits in 200: no jitter", len(seen))
	}
}

func TestAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"junk", 0}, {" 7 ", 7 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := After(c.h, now); got != c.want {
			t.Errorf("After(%q) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestDo(t *testing.T) {
	fast := Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Attempts: 4}
	errX := errors.New("x")
	n := 0
	attempts, err := fast.Do(context.Background(), func() (bool, time.Duration, error) {
		n++
		if n < 3 {
			return true, 0, errX
		}
		return false, 0, nil
	})
	if err != nil || attempts != 3 {
		t.Errorf("succeeds on 3rd: attempts %d err %v", attempts, err)
	}
	attempts, err = fast.Do(context.Background(), func() (bool, time.Duration, error) { return true, 0, errX })
	if err != errX || attempts != 4 {
		t.Errorf("always failing: attempts %d (want 4) err %v", attempts, err)
	}
	attempts, _ = fast.Do(context.Background(), func() (bool, time.Duration, error) { return false, 0, errX })
	if attempts != 1 {
		t.Errorf("permanent failure retried: %d attempts", attempts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Backoff{First: time.Hour}.Do(ctx, func() (bool, time.Duration, error) { return true, 0, errX })
	if err != errX || time.Since(start) > 2*time.Second {
		t.Errorf("context end did not stop the wait: %v after %v", err, time.Since(start))
	}
	if !Status(503) || !Status(429) || !Status(408) || Status(404) || Status(200) {
		t.Error("Status classification wrong")
	}
}
