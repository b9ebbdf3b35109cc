package event

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"node-installer/internal/retry"
)

func TestWebhookIronicFormat(t *testing.T) {
	var mu sync.Mutex
	var got []ironicBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b ironicBody
		if r.Method != http.MethodPut || r.URL.Path != "/v1/heartbeat/node-1" || r.Header.Get("X-OpenStack-Ironic-API-Version") != "1.72" ||
			json.NewDecoder(r.Body).Decode(&b) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	}))
	defer srv.Close()
	w := NewWebhook(srv.URL+"/v1/heartbeat/node-1", WebhookOptions{Format: FormatIronic, Token: "tok"})
	emitRun(w)
	if sent, dropped := w.Close(10 * time.Second); sent != 2 || dropped != 0 {
		t.Fatalf("sent %d dropped %d, want start and error only", sent, dropped)
	}
	if len(got) != 2 || got[0].AgentStatus != "start" || got[1].AgentStatus != "error" || got[0].AgentToken != "tok" {
		t.Fatalf("got %+v", got)
	}
}

func TestCallDownAndSlowReceiversAreBounded(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/cblr/svc/op/nopxe/system/node1" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer ok.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String() + "/unattended/built?token=secret"
	l.Close()
	ctx, cancel := contextTimeout(2 * time.Second)
	defer cancel()
	start := time.Now()
	res := Call(ctx, []Callback{{"node.done_url", ok.URL + "/cblr/svc/op/nopxe/system/node1"}, {"local_boot_trigger", slow.URL}, {"node.done_url", down}},
		CallOptions{Backoff: retry.Backoff{First: 50 * time.Millisecond, Max: 200 * time.Millisecond}})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Call took %v, want the 2 s bound", d)
	}
	if res[0].Err != nil || res[1].Err == nil || res[2].Err == nil || res[2].Attempts < 2 {
		t.Fatalf("results %v", res)
	}
	for _, r := range res {
		if s := r.String(); contains(s, "secret") {
			t.Errorf("secret in %q", s)
		}
	}
}

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
