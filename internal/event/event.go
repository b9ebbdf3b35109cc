// Package event is the one stream of install progress: the engine emits,
// and the console printer, the log file, the TUI and the webhook consume.
package event

import "time"

// Kind is the kind of an event.
type Kind string

// Event kinds.
const (
	Started      Kind = "started" // the run began (Message says what it does)
	StepStarted  Kind = "step_started"
	Progress     Kind = "progress"
	StepFinished Kind = "step_finished"
	Warning      Kind = "warning"
	Failed       Kind = "failed"
	Done         Kind = "done"
	Log          Kind = "log" // an informational line
)

// Event is one thing that happened.
type Event struct {
	Time     time.Time `json:"time"`
	Kind     Kind      `json:"kind"`
	Step     string    `json:"step,omitempty"`
	Message  string    `json:"message,omitempty"`
	Bytes    int64     `json:"bytes,omitempty"`
	Total    int64     `json:"total,omitempty"`
	Fraction float64   `json:"fraction,omitempty"` // of the whole run, 0..1
	Err      string    `json:"error,omitempty"`
}

// Sink receives events. Emit must never block for long: a slow consumer
// must not stall the install (see Bus).
type Sink interface {
	Emit(Event)
}

// Discard is a Sink that drops everything.
type Discard struct{}

// Emit drops e.
func (Discard) Emit(Event) {}
