package event

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether f is a terminal (the progress line is then
// updated in place).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Console prints events for a person: on a terminal one progress line
// updated in place with \r, otherwise plain lines (a progress line every
// 10% of a step) that read well in a serial log or a CI log.
type Console struct {
	w   io.Writer
	tty bool
	// Width of the in-place line; the console may be 80 columns.
	Width int
	// MinInterval throttles in-place updates (a 115200 baud serial line
	// writes ~11 KB/s).
	MinInterval time.Duration

	mu        sync.Mutex
	inLine    bool // a \r progress line is on screen
	lastDraw  time.Time
	lastTenth map[string]int // plain mode: last 10% mark printed per step
}

// NewConsole returns a printer writing to w; tty selects in-place updates.
func NewConsole(w io.Writer, tty bool) *Console {
	return &Console{w: w, tty: tty, Width: 79, MinInterval: 200 * time.Millisecond, lastTenth: map[string]int{}}
}

func pct(f float64) int {
	p := int(f*100 + 0.5)
	return max(0, min(100, p))
}

// stepPct is the percentage within the step, or -1 when unknown.
func stepPct(e Event) int {
	if e.Total <= 0 {
		return -1
	}
	return int(e.Bytes * 100 / e.Total)
}

// Emit prints e.
func (c *Console) Emit(e Event) {
	e = Redacted(e)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Kind == Progress {
		c.progress(e)
		return
	}
	if c.inLine {
		fmt.Fprint(c.w, "\n")
		c.inLine = false
	}
	fmt.Fprintln(c.w, FormatLine(e))
}

func (c *Console) progress(e Event) {
	line := fmt.Sprintf("[%3d%%] %s", pct(e.Fraction), e.Step)
	if e.Total > 0 {
		line += fmt.Sprintf(": %s of %s (%d%%)", HumanBytes(e.Bytes), HumanBytes(e.Total), stepPct(e))
	}
	if e.Message != "" {
		line += " " + e.Message
	}
	if !c.tty {
		tenth := stepPct(e) / 10
		if last, ok := c.lastTenth[e.Step]; ok && tenth <= last {
			return
		}
		c.lastTenth[e.Step] = tenth
		fmt.Fprintln(c.w, line)
		return
	}
	now := time.Now()
	if c.inLine && now.Sub(c.lastDraw) < c.MinInterval && e.Bytes != e.Total {
		return
	}
	c.lastDraw = now
	if len(line) > c.Width {
		line = line[:c.Width]
	}
	fmt.Fprintf(c.w, "\r%-*s", c.Width, line)
	c.inLine = true
}

// FormatLine is the one-line text form of e used by the console, the
// failure screen's tail and the webhook's log tail.
func FormatLine(e Event) string {
	p := fmt.Sprintf("[%3d%%] ", pct(e.Fraction))
	switch e.Kind {
	case StepStarted:
		return p + join(e.Step, e.Message) + " ..."
	case StepFinished:
		return p + join(e.Step, orText(e.Message, "done"))
	case Progress:
		return p + join(e.Step, fmt.Sprintf("%s of %s", HumanBytes(e.Bytes), HumanBytes(e.Total)))
	case Warning:
		return p + "WARNING: " + join(e.Step, e.Message)
	case Failed:
		return p + "FAILED: " + join(e.Step, join(e.Message, e.Err))
	case Done:
		return "[100%] " + orText(e.Message, "finished")
	default:
		return "       " + join(e.Step, e.Message)
	}
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// HumanBytes formats n in binary units (KiB, MiB, GiB).
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// LogSink writes events to a slog.Logger: failures at Error, warnings at
// Warn, progress at Debug (every 10% of a step), the rest at Info.
// Messages are redacted.
type LogSink struct {
	l         *slog.Logger
	mu        sync.Mutex
	lastTenth map[string]int
}

// NewLogSink returns a sink logging to l.
func NewLogSink(l *slog.Logger) *LogSink { return &LogSink{l: l, lastTenth: map[string]int{}} }

// Emit logs e.
func (s *LogSink) Emit(e Event) {
	e = Redacted(e)
	attrs := []any{slog.String("kind", string(e.Kind))}
	if e.Step != "" {
		attrs = append(attrs, slog.String("step", e.Step))
	}
	if e.Total > 0 {
		attrs = append(attrs, slog.Int64("bytes", e.Bytes), slog.Int64("total", e.Total))
	}
	attrs = append(attrs, slog.Int("percent", pct(e.Fraction)))
	if e.Err != "" {
		attrs = append(attrs, slog.String("error", e.Err))
	}
	msg := strings.TrimSpace(orText(e.Message, string(e.Kind)))
	switch e.Kind {
	case Failed:
		s.l.Error(msg, attrs...)
	case Warning:
		s.l.Warn(msg, attrs...)
	case Progress:
		s.mu.Lock()
		tenth := stepPct(e) / 10
		last, ok := s.lastTenth[e.Step]
		if ok && tenth <= last {
			s.mu.Unlock()
			return
		}
		s.lastTenth[e.Step] = tenth
		s.mu.Unlock()
		s.l.Debug(msg, attrs...)
	default:
		s.l.Info(msg, attrs...)
	}
}

// Tail keeps the last lines (FormatLine) of the stream for a failure
// screen or a webhook report.
type Tail struct {
	mu    sync.Mutex
	n     int
	lines []string
}

// NewTail keeps the last n lines.
func NewTail(n int) *Tail { return &Tail{n: n} }

// Emit records e (progress events are not recorded: they are noise in a tail).
func (t *Tail) Emit(e Event) {
	if e.Kind == Progress {
		return
	}
	t.Add(FormatLine(Redacted(e)))
}

// Add records one line.
func (t *Tail) Add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = append(t.lines[:0:0], t.lines[len(t.lines)-t.n:]...)
	}
}

// Lines returns a copy of the kept lines, oldest first.
func (t *Tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}
