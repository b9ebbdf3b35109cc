package event

import (
	"sync"
	"time"
)

// maxQueued bounds the events held for one slow subscriber. Progress
// events are coalesced (one per step) and Log lines are dropped beyond
// it; step boundaries, warnings, failures and Done are always kept.
const maxQueued = 4096

// Bus fans events out to subscribers. Emit never blocks: every
// subscriber has its own queue drained into its channel by its own
// goroutine, so a subscriber that reads slowly (a serial console, a
// webhook) or not at all never stalls the install.
type Bus struct {
	mu     sync.Mutex
	subs   []*subscriber
	closed bool
}

type subscriber struct {
	ch      chan Event
	stop    chan struct{} // closed by Unsubscribe
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []Event
	closed  bool // no more events will be queued
	stopped bool // Unsubscribe: drop everything and end
	dropped int  // Log events dropped because the queue was full
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{} }

// Subscribe returns a channel receiving every event emitted from now on,
// buffered with buf slots. The channel is closed after Close once every
// queued event was delivered.
func (b *Bus) Subscribe(buf int) <-chan Event {
	if buf < 0 {
		buf = 0
	}
	s := &subscriber{ch: make(chan Event, buf), stop: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	b.mu.Lock()
	if b.closed {
		s.closed = true
	} else {
		b.subs = append(b.subs, s)
	}
	b.mu.Unlock()
	go s.pump()
	return s.ch
}

// Unsubscribe stops delivering to ch (from Subscribe), drops what is
// queued for it and closes it. Use it for a consumer that goes away.
func (b *Bus) Unsubscribe(ch <-chan Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, s := range b.subs {
		if (<-chan Event)(s.ch) == ch {
			b.subs = append(b.subs[:i], b.subs[i+1:]...)
			s.mu.Lock()
			s.stopped, s.closed, s.queue = true, true, nil
			s.cond.Broadcast()
			s.mu.Unlock()
			close(s.stop)
			return
		}
	}
}

// Emit queues e for every subscriber; it never blocks on a subscriber.
// A zero Time is set to now.
func (b *Bus) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	for _, s := range b.subs {
		s.push(e)
	}
}

// Close ends the stream: subscribers get what is queued, then their
// channels are closed. Emit after Close is a no-op.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for _, s := range b.subs {
		s.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// push queues e, coalescing progress: a progress event replaces a queued
// progress event of the same step that was not delivered yet.
func (s *subscriber) push(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if e.Kind == Progress {
		for i := len(s.queue) - 1; i >= 0; i-- {
			q := s.queue[i]
			if q.Kind == Progress && q.Step == e.Step {
				s.queue[i] = e
				return
			}
			if q.Kind != Progress {
				break // keep the order of progress relative to step boundaries
			}
		}
	}
	if len(s.queue) >= maxQueued && (e.Kind == Progress || e.Kind == Log) {
		s.dropped++
		return
	}
	s.queue = append(s.queue, e)
	s.cond.Signal()
}

// pump moves queued events into the channel; it is the only goroutine
// that may block on the subscriber.
func (s *subscriber) pump() {
	defer close(s.ch)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.stopped || len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil // let the backing array go
		}
		s.mu.Unlock()
		select {
		case s.ch <- e:
		case <-s.stop:
			return
		}
	}
}

// Attach subscribes sink to b with a buffer of buf events and forwards
// in its own goroutine. The returned wait blocks until the bus is closed
// and every event was handed to sink.
func Attach(b *Bus, sink Sink, buf int) (wait func()) {
	ch := b.Subscribe(buf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			sink.Emit(e)
		}
	}()
	return func() { <-done }
}

// Multi is a Sink that emits to every sink in order.
type Multi []Sink

// Emit forwards e to each sink.
func (m Multi) Emit(e Event) {
	for _, s := range m {
		s.Emit(e)
	}
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Emit calls f(e).
func (f SinkFunc) Emit(e Event) { f(e) }
