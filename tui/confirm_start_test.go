package tui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/internal/event"
)

// A held F10 (key repeat) from Welcome with a preset password, a double
// F10 from the password page, stray Enters and a lower-case word never
// start the run; ERASE typed after the dialog settled does.
func TestStartNeedsDeliberateAct(t *testing.T) {
	opts := testOptions()
	hash, err := HashPassword("Secr3t-pass")
	if err != nil {
		t.Fatal(err)
	}
	opts.Config.Host.AdminPW = hash // adminpw= on the kernel command line
	var runs atomic.Int32
	opts.Backend.Run = func(context.Context, installer.Config, installer.Facts, event.Sink) error {
		runs.Add(1)
		return nil
	}
	h := newHarness(t, opts)
	h.a.settle = settle // the real one
	for range 40 {
		h.press(tcell.KeyF10) // the key held down from Welcome on
	}
	h.press(tcell.KeyEnter, tcell.KeyEnter, tcell.KeyF10, tcell.KeyEnter)
	h.wantPage(pgConfirm)
	h.want("Type ERASE")
	if runs.Load() != 0 {
		t.Fatal("held keys started the run")
	}
	// Typed within the settle time: ignored, still nothing started.
	h.typeText("ERASE")
	h.press(tcell.KeyEnter)
	h.wantPage(pgConfirm)
	time.Sleep(settle + 100*time.Millisecond)
	h.typeText("erase")
	h.press(tcell.KeyEnter)
	h.want("Nothing started: type ERASE in capitals")
	h.wantPage(pgConfirm)
	if runs.Load() != 0 {
		t.Fatal("a wrong word started the run")
	}
	h.press(tcell.KeyEscape) // closes the dialog, back on Confirm
	h.wantNot("Type ERASE")
	h.wantPage(pgConfirm)
	h.press(tcell.KeyF10)
	time.Sleep(settle + 100*time.Millisecond)
	h.typeText("ERASE")
	h.press(tcell.KeyEnter)
	h.waitFor("was installed", 2*time.Second)
	if runs.Load() != 1 {
		t.Fatalf("%d runs, want 1", runs.Load())
	}
}
