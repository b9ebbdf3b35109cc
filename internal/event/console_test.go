package event

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"sha512 hash", "adminpw is $6$salt$abcdefABC./0123", "adminpw is <hash>"},
		{"yescrypt", "x $y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7 y", "x <hash> y"},
		{"kernel arg", "cmdline: console=ttyS0 adminpw=$6$a$b rootpw=secret", "cmdline: console=ttyS0 adminpw=*** rootpw=***"},
		{"url password", "fetch https://user:pa55@host/x?token=abc", "fetch https://user:***@host/x?***"},
		{"plain", "write slot A: 10 MiB", "write slot A: 10 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConsolePlain(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsole(&buf, false)
	c.Emit(Event{Kind: StepStarted, Step: "write-slot", Message: "root image to RootA", Fraction: 0.1})
	for i := int64(0); i <= 100; i++ {
		c.Emit(Event{Kind: Progress, Step: "write-slot", Bytes: i << 20, Total: 100 << 20, Fraction: 0.1 + 0.008*float64(i)})
	}
	c.Emit(Event{Kind: StepFinished, Step: "write-slot", Fraction: 0.9})
	c.Emit(Event{Kind: Failed, Step: "esp", Err: "disk full", Fraction: 0.9})
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("plain output contains \\r:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// started + 11 progress lines (0%,10%..100%) + finished + failed
	if len(lines) != 14 {
		t.Errorf("got %d lines, want 14:\n%s", len(lines), out)
	}
	for _, want := range []string{
		"[ 10%] write-slot: root image to RootA ...",
		"[ 50%] write-slot: 50.0 MiB of 100.0 MiB (50%)",
		"[ 90%] write-slot: done",
		"[ 90%] FAILED: esp: disk full",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing line %q in:\n%s", want, out)
		}
	}
}

func TestConsoleTerminalUpdatesInPlace(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsole(&buf, true)
	c.MinInterval = 0
	c.Emit(Event{Kind: Progress, Step: "write", Bytes: 1, Total: 4, Fraction: 0.25})
	c.Emit(Event{Kind: Progress, Step: "write", Bytes: 4, Total: 4, Fraction: 0.5})
	c.Emit(Event{Kind: StepFinished, Step: "write", Fraction: 0.5})
	out := buf.String()
	if n := strings.Count(out, "\r"); n != 2 {
		t.Errorf("got %d carriage returns, want 2: %q", n, out)
	}
	if !strings.HasSuffix(out, "\n[ 50%] write: done\n") {
		t.Errorf("the finished line must start on a fresh line: %q", out)
	}
	for _, l := range strings.Split(out, "\r") {
		if len(strings.TrimRight(l, "\n")) > 79+len("\n[ 50%] write: done") {
			t.Errorf("line wider than the console: %q", l)
		}
	}
}

func TestLogSinkRedacts(t *testing.T) {
	var buf bytes.Buffer
	s := NewLogSink(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.Emit(Event{Kind: StepStarted, Step: "config", Message: "admin hash $6$salt$hashhashhash"})
	s.Emit(Event{Kind: Failed, Step: "config", Err: "bad rootpw=$y$abc$def"})
	out := buf.String()
	if strings.Contains(out, "hashhash") || strings.Contains(out, "$y$") {
		t.Errorf("secret reached the log:\n%s", out)
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "step=config") {
		t.Errorf("missing level or step:\n%s", out)
	}
}
