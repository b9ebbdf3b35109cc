package tui

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/internal/event"
	"node-installer/storage"
)

// scriptedRun is a Backend.Run that emits a fixed run and waits on gate
// half-way, so the tests can look at the Progress page mid-run.
func scriptedRun(gate chan struct{}, fail error, got *installer.Config) func(context.Context, installer.Config, installer.Facts, event.Sink) error {
	return func(_ context.Context, cfg installer.Config, _ installer.Facts, s event.Sink) error {
		*got = cfg
		s.Emit(event.Event{Kind: event.StepStarted, Step: "partition", Message: "GPT on sda", Fraction: 0.05})
		s.Emit(event.Event{Kind: event.StepFinished, Step: "partition", Fraction: 0.1})
		s.Emit(event.Event{Kind: event.StepStarted, Step: "write slot A", Fraction: 0.1})
		for i := 1; i <= 20; i++ {
			s.Emit(event.Event{Kind: event.Progress, Step: "write slot A", Bytes: int64(i) << 20, Total: 40 << 20, Fraction: 0.1 + 0.02*float64(i)})
		}
		<-gate
		if fail != nil {
			s.Emit(event.Event{Kind: event.Failed, Step: "write slot A", Err: fail.Error()})
			return fail
		}
		s.Emit(event.Event{Kind: event.StepFinished, Step: "write slot A", Fraction: 0.9})
		s.Emit(event.Event{Kind: event.Done, Message: "installed 4.5.0", Fraction: 1})
		return nil
	}
}

func TestProgressToFinished(t *testing.T) {
	opts := testOptions()
	gate := make(chan struct{})
	var got installer.Config
	opts.Backend.Run = scriptedRun(gate, nil, &got)
	h := newHarness(t, opts)
	h.toPage(pgConfirm)
	h.startRun()
	h.wantPage(pgProgress)
	h.waitFor("50%", 2*time.Second)
	h.want("[x] partition", "[>] write slot A", "start  partition: GPT on sda", "Working - do not power off")
	// No key leaves the page or asks to quit while the engine works.
	h.press(tcell.KeyEscape, tcell.KeyF3, tcell.KeyF10)
	h.key(tcell.KeyRune, 'q', 0)
	h.wantPage(pgProgress)
	h.wantNot("Quit the installer?")
	close(gate)
	h.waitFor("was installed", 2*time.Second)
	h.wantPage(pgFinished)
	h.want("node 4.5.0 was installed on /dev/sda", "Reboot", "Power off", "finished: installed 4.5.0")
	h.wantNot("Shell") // not wired
	// The engine got the typed password as a $6$ hash, never in clear.
	if !strings.HasPrefix(got.Host.AdminPW, "$6$") {
		t.Errorf("admin hash %q", got.Host.AdminPW)
	}
	if ok, _ := CheckPassword("Secr3t-pass", got.Host.AdminPW); !ok {
		t.Error("the hash does not match the typed password")
	}
	js, _ := json.Marshal(got)
	if strings.Contains(string(js), "Secr3t-pass") {
		t.Error("the plain password reached the Config")
	}
	if got.Action != installer.ActionInstall || got.Storage.Disks[0].Path != "/dev/sda" {
		t.Errorf("config action %s disks %v", got.Action, got.Storage.Disks)
	}
	h.press(tcell.KeyRight, tcell.KeyEnter) // Power off
	select {
	case <-h.done:
		h.done <- nil
	case <-time.After(2 * time.Second):
		t.Fatal("Power off did not end the TUI")
	}
	if o := h.a.Outcome(); o != OutcomePowerOff {
		t.Errorf("outcome %s", o)
	}
}

func TestProgressToFailedAndRetry(t *testing.T) {
	opts := testOptions()
	gate := make(chan struct{})
	close(gate)
	var got installer.Config
	opts.Backend.Run = scriptedRun(gate, errors.New("write slot A: sha256 mismatch"), &got)
	opts.Backend.Reprobe = func() (installer.Facts, error) {
		f := testFacts()
		f.Disks[0].Partitions = []storage.Partition{{Number: 1, Size: 512 << 20, PartLabel: "EFI", FSType: "vfat"}}
		return f, nil
	}
	h := newHarness(t, opts)
	h.toPage(pgConfirm)
	h.startRun()
	h.waitFor("did not complete", 2*time.Second)
	h.wantPage(pgFailed)
	h.want("write slot A: sha256 mismatch", "FAILED write slot A", "ERROR: write slot A: sha256 mismatch", "Retry", "Reboot", "The machine was not rebooted")
	h.want("F4 Log")
	h.press(tcell.KeyF4) // the log viewer takes the focus and scrolls
	h.press(tcell.KeyHome)
	h.want("start  partition")
	h.press(tcell.KeyTab) // back to the buttons
	h.press(tcell.KeyEnter)
	h.wantPage(pgConfirm)
	h.want(`partition table with 1 partition(s): 512 MiB vfat "EFI"`) // re-read after the failure
	h.press(tcell.KeyF3)
	h.wantPage(pgPassword) // Back works again before a new run
}

// The Failed page's Shell button ended the installer: the shell runs
// beside it and the page (with its log) is back after it.
func TestFailedShellComesBack(t *testing.T) {
	opts := testOptions()
	gate := make(chan struct{})
	close(gate)
	var got installer.Config
	opts.Backend.Run = scriptedRun(gate, errors.New("mkfs failed"), &got)
	calls := 0
	opts.Backend.Shell = func() error { calls++; return nil }
	h := newHarness(t, opts)
	h.toPage(pgConfirm)
	h.startRun()
	h.waitFor("did not complete", 2*time.Second)
	h.press(tcell.KeyRight) // Retry -> Shell
	h.press(tcell.KeyEnter)
	if calls != 1 {
		t.Fatalf("shell ran %d times", calls)
	}
	h.wantPage(pgFailed)
	h.want("mkfs failed", "Retry")
	h.a.mu.Lock()
	ended := h.a.outcome
	h.a.mu.Unlock()
	if ended != "" {
		t.Errorf("the installer ended with %v", ended)
	}
}

// TestProgressNeverBlocksEngine: with the UI goroutine stuck, the engine
// still emits thousands of events and finishes at once.
func TestProgressNeverBlocksEngine(t *testing.T) {
	opts := testOptions()
	engineDone := make(chan time.Duration, 1)
	opts.Backend.Run = func(_ context.Context, _ installer.Config, _ installer.Facts, s event.Sink) error {
		start := time.Now()
		for i := 0; i < 50000; i++ {
			s.Emit(event.Event{Kind: event.Progress, Fraction: float64(i) / 50000})
			if i%5000 == 0 {
				s.Emit(event.Event{Kind: event.StepStarted, Step: "step"})
			}
		}
		engineDone <- time.Since(start)
		return nil
	}
	h := newHarness(t, opts)
	h.toPage(pgConfirm)
	release := make(chan struct{})
	h.a.tv.QueueUpdate(func() {
		h.a.start() // starts the run from the UI goroutine...
		go func() {
			h.a.tv.QueueUpdate(func() { <-release }) // ...which then stalls
		}()
	})
	select {
	case d := <-engineDone:
		t.Logf("engine emitted 50000 events in %v with the screen stalled", d)
	case <-time.After(5 * time.Second):
		t.Fatal("the engine was blocked by the screen")
	}
	close(release)
	h.waitFor("was installed", 3*time.Second)
}

// After a failed run that wrote, the quit dialog says so instead of
// "Nothing has been written".
func TestQuitAfterFailedRunSaysWritten(t *testing.T) {
	opts := testOptions()
	gate := make(chan struct{})
	close(gate)
	var got installer.Config
	opts.Backend.Run = scriptedRun(gate, errors.New("write slot A: sha256 mismatch"), &got)
	h := newHarness(t, opts)
	h.press(tcell.KeyEscape)
	h.want("Nothing has been written")
	h.press(tcell.KeyEnter) // Stay
	h.toPage(pgConfirm)
	h.startRun()
	h.waitFor("did not complete", 2*time.Second)
	h.press(tcell.KeyEnter) // Retry: back to Confirm
	h.wantPage(pgConfirm)
	h.press(tcell.KeyEscape)
	h.want("A run was started")
	h.wantNot("Nothing has been written")
}
