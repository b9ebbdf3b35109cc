package tui

import (
	"strings"
	"sync"

	"node-installer/internal/event"
)

// eventQueue is the Sink the engine emits to. Emit never blocks: it
// records the event under a short lock and signals the drainer, which hands
// batches to the UI goroutine. Progress is coalesced to the newest one;
// beyond max pending events the oldest log lines are dropped, while step,
// warning, failure and done events (a handful per run) are always kept.
type eventQueue struct {
	mu       sync.Mutex
	pending  []event.Event
	progress *event.Event
	signal   chan struct{}
	max      int
}

func newEventQueue(max int) *eventQueue {
	return &eventQueue{signal: make(chan struct{}, 1), max: max}
}

// Emit queues e for the screen.
func (q *eventQueue) Emit(e event.Event) {
	q.mu.Lock()
	if e.Kind == event.Progress {
		q.progress = &e
	} else {
		if len(q.pending) >= q.max && e.Kind == event.Log {
			for i, old := range q.pending {
				if old.Kind == event.Log {
					q.pending = append(q.pending[:i], q.pending[i+1:]...)
					break
				}
			}
		}
		q.pending = append(q.pending, e)
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take returns and clears what is pending, the newest progress last.
func (q *eventQueue) take() []event.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.pending
	if q.progress != nil {
		out = append(out, *q.progress)
	}
	q.pending, q.progress = nil, nil
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
