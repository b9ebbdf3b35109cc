package event

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"node-installer/internal/retry"
)

// WebhookOptions tunes a Webhook; the zero value is usable.
type WebhookOptions struct {
	// Client sends the requests; default: a client with a 5 s timeout.
	Client *http.Client
	// QueueSize bounds the events waiting for delivery (default 256).
	QueueSize int
	// MaxAttempts per event before it is given up (default 5).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one up to MaxBackoff (defaults 500 ms and 8 s).
	Backoff, MaxBackoff time.Duration
	// Node identifies the machine in every payload (hostname, mac, ...).
	Node map[string]string
	// Tail returns the log tail sent with failed and succeeded events.
	Tail func() []string
	// Logger receives delivery problems (default: discarded).
	Logger *slog.Logger
	// Format is the body and method: FormatJSON (a POST per event) or
	// FormatIronic (a PUT of start, end and error only).
	Format string
	// Token goes into each FormatIronic body as agent_token.
	Token string
}

// Payload is the JSON body POSTed for each event.
type Payload struct {
	// Event is started, step_started, progress, step_finished, warning,
	// log, succeeded or failed.
	Event       string            `json:"event"`
	Seq         int               `json:"seq"` // 1, 2, ... in emission order
	Time        time.Time         `json:"time"`
	Step        string            `json:"step,omitempty"`
	Percent     int               `json:"percent"` // of the whole run
	StepPercent *int              `json:"step_percent,omitempty"`
	Bytes       int64             `json:"bytes,omitempty"`
	Total       int64             `json:"total,omitempty"`
	Message     string            `json:"message,omitempty"`
	Error       string            `json:"error,omitempty"`
	LogTail     []string          `json:"log_tail,omitempty"`
	Node        map[string]string `json:"node,omitempty"`
}

// Webhook is a Sink that POSTs every event as JSON to a URL (node.webhook).
// Emit only queues: delivery runs in its own goroutine with retries and
// exponential backoff, the queue is bounded (progress is coalesced and
// dropped first), and a failing or hanging server never blocks or fails
// the install.
type Webhook struct {
	url  string
	o    WebhookOptions
	ctx  context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	queue    []Payload
	seq      int
	lastPct  int
	closed   bool
	sent     int
	dropped  int
	kick     chan struct{}
	finished chan struct{}
}

// NewWebhook starts delivering to url.
func NewWebhook(url string, o WebhookOptions) *Webhook {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 8 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhook{url: url, o: o, ctx: ctx, stop: cancel, lastPct: -1,
		kick: make(chan struct{}, 1), finished: make(chan struct{})}
	go w.run()
	return w
}

func important(kind string) bool {
	return kind != string(Progress) && kind != string(Log)
}

// Emit queues e for delivery; it never blocks on the network.
func (w *Webhook) Emit(e Event) {
	if w.o.Format == FormatIronic && ironicStatus(e.Kind) == "" {
		return // Ironic's contract knows start, end and error only
	}
	e = Redacted(e)
	p := Payload{Event: string(e.Kind), Time: e.Time, Step: e.Step, Percent: pct(e.Fraction),
		Bytes: e.Bytes, Total: e.Total, Message: e.Message, Error: e.Err, Node: w.o.Node}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	if sp := stepPct(e); sp >= 0 {
		p.StepPercent = &sp
	}
	switch e.Kind {
	case Done:
		p.Event = "succeeded"
	case Failed:
		p.Event = "failed"
	}
	if (e.Kind == Done || e.Kind == Failed) && w.o.Tail != nil {
		p.LogTail = w.o.Tail()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if e.Kind == Progress {
		// A heartbeat per whole percent of the run is enough.
		if p.Percent == w.lastPct {
			return
		}
		w.lastPct = p.Percent
	}
	w.seq++
	p.Seq = w.seq
	if n := len(w.queue); n > 0 && e.Kind == Progress && w.queue[n-1].Event == string(Progress) {
		w.queue[n-1] = p // coalesce: only the newest heartbeat matters
		return
	}
	if len(w.queue) >= w.o.QueueSize && !w.makeRoom(important(p.Event)) {
		w.dropped++
		return
	}
	w.queue = append(w.queue, p)
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// makeRoom drops one queued event: a progress or log line first, and
// for an important new event the oldest step event. Failures and the
// final result are never dropped.
func (w *Webhook) makeRoom(forImportant bool) bool {
	for i, q := range w.queue {
		if !important(q.Event) {
			w.queue = append(w.queue[:i], w.queue[i+1:]...)
			w.dropped++
			return true
		}
	}
	if !forImportant {
		return false
	}
	for i, q := range w.queue {
		if q.Event != "failed" && q.Event != "succeeded" {
			w.queue = append(w.queue[:i], w.queue[i+1:]...)
			w.dropped++
			return true
		}
	}
	return false
}

func (w *Webhook) run() {
	defer close(w.finished)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			closed := w.closed
			w.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-w.kick:
				continue
			case <-w.ctx.Done():
				return
			}
		}
		p := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if w.deliver(p) {
			w.mu.Lock()
			w.sent++
			w.mu.Unlock()
		} else if w.ctx.Err() != nil {
			return
		}
	}
}

// deliver sends p with retries; false when it was given up.
func (w *Webhook) deliver(p Payload) bool {
	r, err := w.request(p)
	if err != nil {
		return false
	}
	b := retry.Backoff{First: w.o.Backoff, Max: w.o.MaxBackoff, Attempts: w.o.MaxAttempts}
	attempts, err := b.Do(w.ctx, func() (bool, time.Duration, error) {
		_, again, after, err := send(w.ctx, w.o.Client, r)
		if err != nil && again {
			w.o.Logger.Debug("webhook: retrying", "event", p.Event, "error", Redact(err.Error()))
		}
		return again, after, err
	})
	if err != nil {
		w.o.Logger.Warn("webhook: event not delivered", "event", p.Event, "seq", p.Seq, "attempts", attempts, "error", Redact(err.Error()))
		w.mu.Lock()
		w.dropped++
		w.mu.Unlock()
		return false
	}
	return true
}

// request is the HTTP request carrying p in the webhook's format.
func (w *Webhook) request(p Payload) (request, error) {
	if w.o.Format == FormatIronic {
		return ironicRequest(w.url, w.o.Token, p)
	}
	body, err := json.Marshal(p)
	return request{method: http.MethodPost, url: w.url, body: body,
		header: map[string]string{"Content-Type": "application/json"}}, err
}

// Close stops accepting events and waits up to timeout for the queue to
// be delivered (so the final result goes out before a reboot); then it
// abandons what is left. It returns how many events were sent and how
// many were dropped or given up.
func (w *Webhook) Close(timeout time.Duration) (sent, dropped int) {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.finished:
	case <-t.C:
		w.stop()
		<-w.finished
	}
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent, w.dropped + len(w.queue)
}
