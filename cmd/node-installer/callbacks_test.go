package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"node-installer/installer"
)

// calls records the requests a loopback receiver got.
type calls struct {
	mu   sync.Mutex
	reqs []string // "METHOD PATH?QUERY"
	at   []time.Time
	body []map[string]string
	hdr  []http.Header
}

func (c *calls) add(r *http.Request) {
	var b map[string]string
	_ = json.NewDecoder(r.Body).Decode(&b)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.RequestURI())
	c.at = append(c.at, time.Now())
	c.body = append(c.body, b)
	c.hdr = append(c.hdr, r.Header.Clone())
}

func (c *calls) snapshot() ([]string, []time.Time, []map[string]string, []http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...), append([]time.Time(nil), c.at...), append([]map[string]string(nil), c.body...), append([]http.Header(nil), c.hdr...)
}

// downURL is a loopback URL nothing listens on.
func downURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String() + "/built?token=tok3n"
	l.Close()
	return u
}

// TestAutoDoneCallbacks: an install with Foreman's built URL (answered
// 503 with Retry-After first), Cobbler's nopxe call, a local_boot_trigger
// nobody listens on, and an Ironic-style webhook. Each receiver checks
// the contract (method, path, body); the install succeeds, the dead one
// costs at most doneCallbackTimeout, and no token reaches the console or
// the log.
func TestAutoDoneCallbacks(t *testing.T) {
	fx := newAutoFixture(t)
	old := doneCallbackTimeout
	doneCallbackTimeout = 4 * time.Second
	t.Cleanup(func() { doneCallbackTimeout = old })

	var foreman, cobbler, ironic calls
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreman.add(r)
		if reqs, _, _, _ := foreman.snapshot(); len(reqs) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(fs.Close)
	cs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { cobbler.add(r) }))
	t.Cleanup(cs.Close)
	is := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ironic.add(r)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(is.Close)

	line := "storage_init=" + fx.disk + smallVols + " adminpw=" + autoHash + " hostname=node9.example.org" +
		" node.done_url=" + fs.URL + "/unattended/built?token=tok3n" +
		" node.done_url=" + cs.URL + "/cblr/svc/op/nopxe/system/node9" +
		" local_boot_trigger=" + downURL(t) +
		" node.webhook=" + is.URL + "/v1/heartbeat/7d1a node.webhook_format=ironic node.webhook_token=agent-tok3n"
	start := time.Now()
	code, out := fx.run(t, line)
	took := time.Since(start)
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	t.Logf("install with callbacks: %v", took.Round(time.Millisecond))

	reqs, at, _, _ := foreman.snapshot()
	if len(reqs) != 2 || reqs[0] != "GET /unattended/built?token=tok3n" || reqs[1] != reqs[0] {
		t.Errorf("foreman got %q, want the built GET twice (503, then 200)", reqs)
	} else if gap := at[1].Sub(at[0]); gap < time.Second {
		t.Errorf("retried %v after a 503 with Retry-After: 1", gap)
	}
	if reqs, _, _, _ := cobbler.snapshot(); len(reqs) != 1 || reqs[0] != "GET /cblr/svc/op/nopxe/system/node9" {
		t.Errorf("cobbler got %q", reqs)
	}
	reqs, _, bodies, hdrs := ironic.snapshot()
	var statuses []string
	for i, r := range reqs {
		if r != "PUT /v1/heartbeat/7d1a" || bodies[i]["agent_token"] != "agent-tok3n" ||
			hdrs[i].Get("X-OpenStack-Ironic-API-Version") == "" || hdrs[i].Get("Content-Type") != "application/json" {
			t.Errorf("ironic request %d: %s %v %v", i, r, bodies[i], hdrs[i])
		}
		statuses = append(statuses, bodies[i]["agent_status"])
	}
	if strings.Join(statuses, ",") != "start,end" {
		t.Errorf("ironic agent_status sequence %q, want start,end", statuses)
	}
	log, _ := os.ReadFile(fx.log)
	for name, text := range map[string]string{"console": out, "log": string(log)} {
		if strings.Contains(text, "tok3n") {
			t.Errorf("%s shows a token:\n%s", name, text)
		}
		if !strings.Contains(text, "nopxe/system/node9 answered 200 OK") || !strings.Contains(text, "built?*** answered 200 OK") {
			t.Errorf("%s does not report the delivered callbacks:\n%s", name, text)
		}
		if !strings.Contains(text, "local_boot_trigger: GET http://127.0.0.1") || !strings.Contains(text, "not delivered") {
			t.Errorf("%s does not report the failed callback:\n%s", name, text)
		}
	}
}

// TestCallDoneBounded: a receiver that hangs and one that is down delay
// the end of a run by doneCallbackTimeout, not more; a failed run calls
// nothing.
func TestCallDoneBounded(t *testing.T) {
	old := doneCallbackTimeout
	doneCallbackTimeout = 1500 * time.Millisecond
	t.Cleanup(func() { doneCallbackTimeout = old })
	var hung calls
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.add(r)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	cfg := installer.Defaults()
	cfg.Unattended.DoneURLs = []string{slow.URL + "/hang", downURL(t)}
	var out bytes.Buffer
	r := &autoRun{stdout: &out, stderr: &out, cfg: cfg}
	if err := r.start(t.TempDir() + "/log"); err != nil {
		t.Fatal(err)
	}
	r.callDone(installer.ExitFailed)
	if reqs, _, _, _ := hung.snapshot(); len(reqs) != 0 {
		t.Errorf("a failed run called %q", reqs)
	}
	start := time.Now()
	r.callDone(installer.ExitOK)
	took := time.Since(start)
	r.finish(installer.ExitOK)
	if took < doneCallbackTimeout-100*time.Millisecond || took > doneCallbackTimeout+time.Second {
		t.Errorf("callbacks took %v, want about %v", took, doneCallbackTimeout)
	}
	if reqs, _, _, _ := hung.snapshot(); len(reqs) == 0 {
		t.Error("the slow receiver was never called")
	}
	if n := strings.Count(out.String(), "not delivered"); n != 2 {
		t.Errorf("%d undelivered callbacks reported, want 2:\n%s", n, out.String())
	}
	t.Logf("hung + down receivers: run end delayed %v (bound %v)", took.Round(time.Millisecond), doneCallbackTimeout)
}

// TestTUIRunCallbacks: an install from the TUI calls the kernel's done
// URL after success and keeps the webhook's Ironic format and token (the
// pages set neither).
func TestTUIRunCallbacks(t *testing.T) {
	fx := newAutoFixture(t)
	var done, ironic calls
	ds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { done.add(r) }))
	t.Cleanup(ds.Close)
	is := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ironic.add(r) }))
	t.Cleanup(is.Close)
	pre, ps := installer.ParseCmdline("node.done_url=" + ds.URL + "/unattended/built node.webhook=" + is.URL + "/v1/heartbeat/n1 node.webhook_format=ironic node.webhook_token=tok")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	fx.tuiInstall(t, pre, "")
	if reqs, _, _, _ := done.snapshot(); len(reqs) != 1 || reqs[0] != "GET /unattended/built" {
		t.Errorf("done URL got %q", reqs)
	}
	reqs, _, bodies, _ := ironic.snapshot()
	if len(reqs) == 0 || reqs[len(reqs)-1] != "PUT /v1/heartbeat/n1" || bodies[len(bodies)-1]["agent_status"] != "end" || bodies[len(bodies)-1]["agent_token"] != "tok" {
		t.Errorf("ironic webhook from the TUI got %q %v", reqs, bodies)
	}
}
