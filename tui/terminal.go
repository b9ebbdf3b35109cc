package tui

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/gdamore/tcell/v2"
	"github.com/gdamore/tcell/v2/terminfo"
)

// openScreen opens the console by $TERM. An unset or unknown TERM (init
// often starts a console without one) falls back to linux on a virtual
// console and vt100 on anything else, with a notice for the screen. The
// padding delays of old entries (vt100's clear waits 50 ms, each cursor
// move 5 ms) are dropped: no console of today needs them, and with them
// a redraw took half a second.
func openScreen() (tcell.Screen, string, error) {
	name := os.Getenv("TERM")
	notice := ""
	ti, err := tcell.LookupTerminfo(name)
	if err != nil {
		fallback := fallbackTerm(consoleDevice())
		if ti, err = tcell.LookupTerminfo(fallback); err != nil {
			return nil, "", fmt.Errorf("terminal %q: %w", fallback, err)
		}
		what := "TERM is not set"
		if name != "" {
			what = fmt.Sprintf("TERM=%s is not known", name)
		}
		notice = fmt.Sprintf("%s: the screen is drawn for %s.", what, fallback)
		os.Setenv("TERM", fallback) // for a shell started from here
	}
	s, err := tcell.NewTerminfoScreenFromTtyTerminfo(nil, withoutPadding(ti))
	return s, notice, err
}

// withoutPadding is a copy of ti that never sleeps for padding.
func withoutPadding(ti *terminfo.Terminfo) *terminfo.Terminfo {
	c := *ti
	c.PadChar = ""
	return &c
}

var vtRE = regexp.MustCompile(`^/dev/tty[0-9]+$`)

// fallbackTerm is the terminal type of the console device dev: linux on
// a virtual console, vt100 (what every serial terminal understands) on a
// serial line or an unknown device.
func fallbackTerm(dev string) string {
	if vtRE.MatchString(dev) || dev == "/dev/tty0" {
		return "linux"
	}
	return "vt100"
}

// OnVirtualConsole tells whether standard input is a virtual console
// (where a keymap can be loaded), not a serial line or a terminal window.
func OnVirtualConsole() bool { return fallbackTerm(consoleDevice()) == "linux" }

// consoleDevice is the device standard input is, with /dev/console
// resolved to the kernel's active console (its last console=).
func consoleDevice() string {
	dev, _ := os.Readlink("/proc/self/fd/0")
	if dev == "/dev/console" {
		if b, err := os.ReadFile("/sys/class/tty/console/active"); err == nil {
			if f := strings.Fields(string(b)); len(f) > 0 {
				dev = "/dev/" + f[len(f)-1]
			}
		}
	}
	return dev
}

// handleSignals ends the TUI cleanly on SIGTERM, SIGHUP and SIGINT (the
// terminal was left in raw mode): a run in progress is cancelled first
// and the screen restored when it has stopped.
func (a *App) handleSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			a.post(a.interrupt)
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// interrupt (UI goroutine) stops a run and ends the TUI.
func (a *App) interrupt() {
	a.interrupted = true
	if a.running {
		a.cancelRun()
		a.log.add("interrupted: stopping the run")
		return // runOver ends the TUI
	}
	a.finish(OutcomeInterrupted)
}

// runContext is the context of the next run and its cancel function.
func (a *App) runContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancelRun = cancel
	return ctx
}
