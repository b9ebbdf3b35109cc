package media

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// herdServer admits limit requests at a time and answers the others 429
// or 503 with Retry-After; it cuts every third GET of a file halfway and
// counts the body bytes it sent.
type herdServer struct {
	next          http.Handler
	limit         int32
	active, peak  atomic.Int32
	busy, cuts    atomic.Int32
	gets          atomic.Int32
	sent          atomic.Int64
	retryAfterSec string
	dir           string
	hold          time.Duration
}

func (h *herdServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.active.Add(1)
	defer h.active.Add(-1)
	if n > h.limit {
		code := http.StatusServiceUnavailable
		if h.busy.Add(1)%2 == 0 {
			code = http.StatusTooManyRequests
		}
		w.Header().Set("Retry-After", h.retryAfterSec)
		w.WriteHeader(code)
		return
	}
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	time.Sleep(h.hold) // a slow server: the slots fill up
	cw := &countWriter{ResponseWriter: w, sent: &h.sent, left: -1}
	if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, ManifestName) && h.gets.Add(1)%3 == 0 {
		if st, err := os.Stat(filepath.Join(h.dir, r.URL.Path)); err == nil && st.Size() > 2 {
			cw.left = st.Size() / 2
			h.cuts.Add(1)
		}
	}
	h.next.ServeHTTP(cw, r)
}

// countWriter counts body bytes and, with left >= 0, drops the
// connection after that many.
type countWriter struct {
	http.ResponseWriter
	sent *atomic.Int64
	left int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.left >= 0 && int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ResponseWriter.Write(p)
	c.sent.Add(int64(n))
	if c.left >= 0 {
		if c.left -= int64(n); c.left == 0 {
			panic(http.ErrAbortHandler) // the connection drops mid-file
		}
	}
	return n, err
}

// TestRemoteHerd: many nodes fetch and verify one bundle at once from a
// server that admits 4 requests at a time, answers the rest 429/503 with
// Retry-After and cuts every third file transfer halfway. Every fetch
// completes and verifies, no file is fetched again from byte zero (the
// server sends at most 1.05 times the bundles' bytes).
func TestRemoteHerd(t *testing.T) {
	const nodes = 24
	dir := demo(t)
	var bundleBytes int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.Mode().IsRegular() {
			bundleBytes += st.Size()
		}
	}
	h := &herdServer{next: http.FileServer(http.Dir(dir)), limit: 4, retryAfterSec: "1", dir: dir, hold: 25 * time.Millisecond}
	base := serveBundle(t, dir, func(http.Handler) http.Handler { return h })
	rm := Remote{Attempts: 4, Stall: 5 * time.Second, Backoff: 20 * time.Millisecond, Busy: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := OpenURL(ctx, base, rm)
			if err == nil {
				err = b.Verify()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	ratio := float64(h.sent.Load()) / float64(nodes*bundleBytes)
	t.Logf("%d nodes, %d bytes each: %v; %d busy answers, %d cuts, peak %d at once, server sent %.3f x the bundles",
		nodes, bundleBytes, took.Round(time.Millisecond), h.busy.Load(), h.cuts.Load(), h.peak.Load(), ratio)
	if h.busy.Load() == 0 || h.cuts.Load() == 0 {
		t.Errorf("the test did not exercise the server's limits: %d busy answers, %d cuts", h.busy.Load(), h.cuts.Load())
	}
	if ratio > 1.05 {
		t.Errorf("server sent %.3f x the bundles' bytes: something was fetched again from zero", ratio)
	}
	if ratio < 0.999 {
		t.Errorf("server sent only %.3f x the bundles' bytes", ratio)
	}
}

// TestRemoteBusyRetryAfter: a busy server's Retry-After is waited for,
// and busy answers beyond Attempts are waited through within Busy; past
// Busy they count and the fetch gives up.
func TestRemoteBusyRetryAfter(t *testing.T) {
	dir := demo(t)
	var n atomic.Int32
	var at []time.Time
	var mu sync.Mutex
	busyFirst := func(k int32) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/"+ManifestName {
					mu.Lock()
					at = append(at, time.Now())
					mu.Unlock()
					if n.Add(1) <= k {
						w.Header().Set("Retry-After", "1")
						w.WriteHeader(http.StatusTooManyRequests)
						return
					}
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	rm := Remote{Attempts: 2, Backoff: 10 * time.Millisecond, Busy: 10 * time.Second}
	if _, err := OpenURL(context.Background(), serveBundle(t, dir, busyFirst(3)), rm); err != nil {
		t.Fatalf("3 busy answers with Attempts 2 inside Busy: %v", err)
	}
	if len(at) != 4 {
		t.Fatalf("%d manifest requests, want 4", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < time.Second || gap > 2*time.Second {
			t.Errorf("retry %d came %v after a Retry-After: 1", i, gap)
		}
	}
	n.Store(0)
	at = nil
	rm.Busy = 500 * time.Millisecond
	_, err := OpenURL(context.Background(), serveBundle(t, dir, busyFirst(100)), rm)
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("busy past Busy: %v, want a 429 error", err)
	}
	if len(at) > 4 {
		t.Errorf("%d requests after Busy ran out with Attempts 2", len(at))
	}
}
