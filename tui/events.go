package tui

import (
	"strings"
	"sync"

	"node-installer/internal/event"
)

// eventQueue is the Sink the engine emits to. Emit never blocks: it
// appends under a short lock (coalescing consecutive progress events) and
// signals the drainer, which hands batches to the UI goroutine.
type eventQueue struct {
	mu      sync.Mutex
	pending []event.Event
	signal  chan struct{}
	max     int
}

func newEventQueue(max int) *eventQueue {
	return &eventQueue{signal: make(chan struct{}, 1), max: max}
}

// Emit queues e for the screen; a slow screen loses progress ticks, never steps.
func (q *eventQueue) Emit(e event.Event) {
	q.mu.Lock()
	n := len(q.pending)
	switch {
	case e.Kind == event.Progress && n > 0 && q.pending[n-1].Kind == event.Progress:
		q.pending[n-1] = e
	case n >= q.max && e.Kind == event.Progress:
		// drop: the next progress event carries the newer fraction anyway
	default:
		q.pending = append(q.pending, e)
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take returns and clears what is pending.
func (q *eventQueue) take() []event.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.pending
	q.pending = nil
	return out
}

// logBuffer keeps the last lines of the run's log for the log viewer.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

func (l *logBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > l.max {
		l.lines = l.lines[len(l.lines)-l.max:]
	}
}

// tail returns the last n lines (all when n <= 0).
func (l *logBuffer) tail(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= 0 || n > len(l.lines) {
		n = len(l.lines)
	}
	return append([]string(nil), l.lines[len(l.lines)-n:]...)
}

func (l *logBuffer) String() string { return strings.Join(l.tail(0), "\n") }

// eventLine is the log line of e.
func eventLine(e event.Event) string {
	ts := ""
	if !e.Time.IsZero() {
		ts = e.Time.Format("15:04:05 ")
	}
	switch e.Kind {
	case event.StepStarted:
		return ts + "start  " + e.Step + msgSuffix(e.Message)
	case event.StepFinished:
		return ts + "done   " + e.Step + msgSuffix(e.Message)
	case event.Warning:
		return ts + "WARN   " + e.Step + msgSuffix(e.Message)
	case event.Failed:
		return ts + "FAILED " + e.Step + msgSuffix(e.Message) + msgSuffix(e.Err)
	case event.Done:
		return ts + "finished" + msgSuffix(e.Message)
	default:
		return ts + "       " + e.Message
	}
}

func msgSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
