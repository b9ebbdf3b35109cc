package tui

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

func TestFallbackTerm(t *testing.T) {
	for dev, want := range map[string]string{
		"/dev/tty1": "linux", "/dev/tty12": "linux", "/dev/tty0": "linux",
		"/dev/ttyS0": "vt100", "/dev/ttyAMA0": "vt100", "/dev/hvc0": "vt100", "/dev/pts/3": "vt100", "": "vt100",
	} {
		if got := fallbackTerm(dev); got != want {
			t.Errorf("fallbackTerm(%q) = %s, want %s", dev, got, want)
		}
	}
}

// vt100's entry pads a clear with 50 ms and each cursor move with 5 ms:
// a redraw took half a second. The screen's copy never sleeps.
func TestWithoutPadding(t *testing.T) {
	ti, err := tcell.LookupTerminfo("vt100")
	if err != nil {
		t.Skipf("no vt100 entry: %v", err)
	}
	timed := func(put func()) time.Duration {
		start := time.Now()
		put()
		return time.Since(start)
	}
	moves := strings.Repeat(ti.TGoto(1, 1), 20)
	if d := timed(func() { ti.TPuts(io.Discard, ti.Clear+moves) }); d < 100*time.Millisecond {
		t.Fatalf("the vt100 entry itself waited only %v: the test proves nothing", d)
	}
	fast := withoutPadding(ti)
	if d := timed(func() { fast.TPuts(io.Discard, fast.Clear+moves) }); d > 20*time.Millisecond {
		t.Errorf("without padding a clear and 20 moves took %v", d)
	}
	if ti.PadChar == "" {
		t.Error("withoutPadding changed the shared entry")
	}
}

// In tmux: an unset or unknown TERM draws for vt100 with a notice (it
// ended with "terminal entry not found"); SIGTERM restores the terminal
// and exits 130 (it left the terminal in raw mode).
func TestTmuxTerminal(t *testing.T) {
	bin := tmuxBinary(t, "tmux", "go")
	for _, tc := range []struct{ name, env, notice string }{
		{"unset", "TERM=", "TERM is not set: the screen is drawn for vt100."},
		{"unknown", "TERM=no-such-terminal", "TERM=no-such-terminal is not known: the screen is drawn for vt100."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &tmuxSession{t: t, sock: fmt.Sprintf("node-installer-term-%d-%s", os.Getpid(), tc.name)}
			t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.sock, "kill-server").Run() })
			shell := fmt.Sprintf("env %s LANG=C %s demo --dir %s; echo DEMO-EXIT=$?; stty -a | grep -q ' icanon' && echo TTY-COOKED; sleep 300", tc.env, bin, t.TempDir())
			s.run("new-session", "-d", "-s", "main", "-x", "80", "-y", "25", "sh", "-c", shell)
			s.wait(10*time.Second, "Install 4.5.0", tc.notice)
			pane := strings.TrimSpace(s.run("display-message", "-p", "-t", "main", "#{pane_pid}"))
			out, err := exec.Command("pgrep", "-P", pane, "-f", "demo").Output()
			if err != nil {
				t.Fatalf("the demo's pid under %s: %v", pane, err)
			}
			pid := strings.Fields(string(out))[0]
			if err := exec.Command("kill", "-TERM", pid).Run(); err != nil {
				t.Fatal(err)
			}
			s.wait(10*time.Second, "interrupted by a signal", "DEMO-EXIT=130", "TTY-COOKED")
		})
	}
}
