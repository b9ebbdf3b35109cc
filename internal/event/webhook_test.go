package event

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a loopback webhook receiver.
type recorder struct {
	mu   sync.Mutex
	got  []Payload
	hits atomic.Int32
}

func (r *recorder) handler(status func(n int32) int) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		n := r.hits.Add(1)
		if s := status(n); s != http.StatusOK {
			w.WriteHeader(s)
			return
		}
		var p Payload
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil || req.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, p)
		r.mu.Unlock()
	}
}

func emitRun(w Sink) {
	w.Emit(Event{Kind: Started, Message: "install 1.0 on /dev/vda"})
	w.Emit(Event{Kind: StepStarted, Step: "write-slot", Fraction: 0.1})
	for i := int64(0); i <= 1000; i++ {
		w.Emit(Event{Kind: Progress, Step: "write-slot", Bytes: i, Total: 1000, Fraction: 0.1 + 0.8*float64(i)/1000})
	}
	w.Emit(Event{Kind: StepFinished, Step: "write-slot", Fraction: 0.9})
	w.Emit(Event{Kind: Failed, Step: "esp", Err: "no space; adminpw=$6$s$secret", Fraction: 0.9})
}

func TestWebhookDelivers(t *testing.T) {
	var r recorder
	srv := httptest.NewServer(r.handler(func(int32) int { return http.StatusOK }))
	defer srv.Close()
	tail := NewTail(5)
	w := NewWebhook(srv.URL, WebhookOptions{Node: map[string]string{"hostname": "node1"}, Tail: tail.Lines})
	emitRun(Multi{tail, w})
	sent, dropped := w.Close(10 * time.Second)
	if dropped != 0 {
		t.Errorf("dropped %d events with a healthy server", dropped)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sent != len(r.got) {
		t.Errorf("sent %d, server got %d", sent, len(r.got))
	}
	if len(r.got) < 4 || r.got[0].Event != "started" || r.got[len(r.got)-1].Event != "failed" {
		t.Fatalf("got %d payloads, want started first and failed last: %+v", len(r.got), r.got)
	}
	progress := 0
	for i, p := range r.got {
		if p.Node["hostname"] != "node1" {
			t.Errorf("payload %d lacks the node identity", i)
		}
		if i > 0 && p.Seq <= r.got[i-1].Seq {
			t.Errorf("seq not increasing at %d", i)
		}
		if p.Event == "progress" {
			progress++
		}
	}
	if progress == 0 || progress > 81 {
		t.Errorf("%d progress posts, want between 1 and 81 (one per whole percent)", progress)
	}
	last := r.got[len(r.got)-1]
	if strings.Contains(last.Error, "secret") || !strings.Contains(last.Error, "no space") {
		t.Errorf("failed error = %q, want the error with the secret masked", last.Error)
	}
	if len(last.LogTail) == 0 || !strings.Contains(strings.Join(last.LogTail, "\n"), "FAILED") {
		t.Errorf("failed payload log tail = %q, want the tail with the failure", last.LogTail)
	}
}

func TestWebhookRetriesServerErrors(t *testing.T) {
	var r recorder
	// Every request fails twice (500) before it is accepted.
	var mu sync.Mutex
	attempts := 0
	srv := httptest.NewServer(r.handler(func(int32) int {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts%3 != 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}))
	defer srv.Close()
	w := NewWebhook(srv.URL, WebhookOptions{Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	w.Emit(Event{Kind: Started})
	w.Emit(Event{Kind: Done, Message: "installed"})
	sent, dropped := w.Close(10 * time.Second)
	if sent != 2 || dropped != 0 {
		t.Errorf("sent %d dropped %d, want 2 and 0", sent, dropped)
	}
	if got := r.hits.Load(); got != 6 {
		t.Errorf("server saw %d requests, want 6 (two 500s before each success)", got)
	}
}

func TestWebhookAlways500GivesUp(t *testing.T) {
	var r recorder
	srv := httptest.NewServer(r.handler(func(int32) int { return http.StatusInternalServerError }))
	defer srv.Close()
	w := NewWebhook(srv.URL, WebhookOptions{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: 3})
	start := time.Now()
	emitRun(w)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Emit took %v with a failing server", d)
	}
	sent, dropped := w.Close(10 * time.Second)
	if sent != 0 || dropped == 0 {
		t.Errorf("sent %d dropped %d, want 0 sent and some given up", sent, dropped)
	}
	if got := r.hits.Load(); got%3 != 0 || got == 0 {
		t.Errorf("server saw %d requests, want a multiple of MaxAttempts=3", got)
	}
}

func TestWebhookHangingServerNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w := NewWebhook(srv.URL, WebhookOptions{QueueSize: 8, Client: &http.Client{Timeout: 30 * time.Second}})
	start := time.Now()
	for i := 0; i < 100; i++ {
		emitRun(w)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Emit blocked for %v on a hanging server", d)
	}
	w.mu.Lock()
	n := len(w.queue)
	hasFailed := n > 0 && w.queue[n-1].Event == "failed"
	w.mu.Unlock()
	if n > 8 {
		t.Errorf("queue holds %d events, bound is 8", n)
	}
	if !hasFailed {
		t.Error("the final failed event was dropped from a full queue")
	}
	start = time.Now()
	_, dropped := w.Close(200 * time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v, want about its 200ms timeout", d)
	}
	if dropped == 0 {
		t.Error("nothing reported dropped although the server never answered")
	}
}

func TestWebhookUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	w := NewWebhook(url, WebhookOptions{Backoff: time.Millisecond, MaxAttempts: 2})
	w.Emit(Event{Kind: Done})
	if sent, dropped := w.Close(5 * time.Second); sent != 0 || dropped != 1 {
		t.Errorf("sent %d dropped %d, want 0 and 1", sent, dropped)
	}
}
