package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
)

func TestEscAsksBeforeQuitting(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgBoot)
	h.press(tcell.KeyEscape)
	h.want("Quit the installer?", "Nothing has been written", "Stay", "Quit")
	h.press(tcell.KeyEnter) // Stay is the default button
	h.wantNot("Quit the installer?")
	h.wantPage(pgBoot)
	h.press(tcell.KeyEscape, tcell.KeyRight, tcell.KeyEnter)
	select {
	case <-h.done:
		h.done <- nil // for the cleanup
	case <-time.After(2 * time.Second):
		t.Fatal("Quit did not end the TUI")
	}
	if o := h.a.Outcome(); o != OutcomeQuit {
		t.Errorf("outcome %s, want quit", o)
	}
}

// TestCtrlCSwallowed sends Ctrl-C through the real event loop (tview
// stops on an uncaptured Ctrl-C), then a key whose effect shows that the
// loop is still alive.
func TestCtrlCSwallowed(t *testing.T) {
	h := newHarness(t, testOptions())
	h.scr.InjectKey(tcell.KeyCtrlC, 0, tcell.ModCtrl)
	h.scr.InjectKey(tcell.KeyEnter, 0, 0)
	h.waitFor("Keyboard layout", 2*time.Second)
	select {
	case <-h.done:
		t.Fatal("Ctrl-C stopped the installer")
	default:
	}
}

func TestTooSmallAndBack(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgKeyboard)
	h.a.tv.QueueUpdate(func() { h.scr.SetSize(60, 20); h.a.tv.ForceDraw() })
	h.want("Terminal too small", "60x20, the installer needs 80x24.")
	h.wantNot("Keyboard layout")
	// Keys typed blind are ignored.
	h.press(tcell.KeyDown, tcell.KeyF10)
	h.wantPage(pgKeyboard)
	h.a.tv.QueueUpdate(func() { h.scr.SetSize(80, 24); h.a.tv.ForceDraw() })
	h.want("Keyboard layout", "F10 Next")
	h.wantNot("Terminal too small")
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	if h.a.fd.Keyboard != "us" {
		t.Errorf("keyboard %q: a key typed on the notice reached the page", h.a.fd.Keyboard)
	}
}

func TestASCIIBorders(t *testing.T) {
	opts := testOptions()
	yes := true
	opts.ASCII = &yes
	h := newHarness(t, opts)
	s := h.screen()
	for _, r := range s {
		if r > 127 {
			t.Fatalf("non-ASCII %q on an ASCII screen:\n%s", r, s)
		}
	}
	h.want("+ Welcome ---", "|This installs")
	// Later tests draw with lines again.
	applyTheme(false)
}

func TestShellKey(t *testing.T) {
	opts := testOptions()
	calls := 0
	opts.Backend.Shell = func() error { calls++; return nil }
	h := newHarness(t, opts)
	h.want("F2 Shell")
	h.press(tcell.KeyF2)
	if calls != 1 {
		t.Fatalf("shell ran %d times", calls)
	}
	h.want("What do you want to do?") // the page is back after the shell
}

// TestPrefilledFromKernelArgs: what the parser made of a PXE command line
// shows on the pages.
func TestPrefilledFromKernelArgs(t *testing.T) {
	cfg, ps := installer.ParseCmdline("keyboard=de storage_init=/dev/nvme0n1 storage_vol=:0::::: BOOTIF=eno2 ip=192.0.2.20 netmask=255.255.255.0 gateway=192.0.2.1 dns=192.0.2.53 hostname=pxe-node ntp=ntp.example.org vlan=7")
	if len(ps) > 0 {
		t.Fatalf("parse: %v", ps)
	}
	opts := testOptions()
	opts.Config = cfg
	h := newHarness(t, opts)
	h.press(tcell.KeyEnter)
	h.press(tcell.KeyF10)
	if h.a.fd.Keyboard != "de" {
		t.Errorf("keyboard %q", h.a.fd.Keyboard)
	}
	h.wantPage(pgBoot)
	h.want("/dev/nvme0n1  960.0 GiB")
	h.press(tcell.KeyF10, tcell.KeyF10)
	h.wantPage(pgSizes)
	if !strings.Contains(h.screen(), "Swap                 0") {
		t.Errorf("swap 0 not pre-filled:\n%s", h.screen())
	}
	h.wantNot("Swap         16384")
	h.press(tcell.KeyF10)
	h.want("192.0.2.20/24", "192.0.2.1", "pxe-node", "192.0.2.53", "ntp.example.org", "static")
	h.press(tcell.KeyF10)
	if h.a.fd.NIC != "eno2" || h.a.fd.VLAN != "7" {
		t.Errorf("nic %q vlan %q", h.a.fd.NIC, h.a.fd.VLAN)
	}
}

// TestCtrlNCtrlP: the serial-terminal stand-ins for F10 and F3.
func TestCtrlNCtrlP(t *testing.T) {
	h := newHarness(t, testOptions())
	h.want("F10 Next")
	h.key(tcell.KeyCtrlN, 0, tcell.ModCtrl)
	h.wantPage(pgKeyboard)
	h.key(tcell.KeyCtrlN, 0, tcell.ModCtrl)
	h.wantPage(pgBoot)
	h.key(tcell.KeyCtrlP, 0, tcell.ModCtrl)
	h.wantPage(pgKeyboard)
}

// TestKeyboardUnknownPreset: a keymap from keyboard= that the list lacks
// is offered as given, not silently replaced by "us".
func TestKeyboardUnknownPreset(t *testing.T) {
	opts := testOptions()
	opts.Config.Host.Keyboard = "de-nodeadkeys"
	h := newHarness(t, opts)
	h.toPage(pgKeyboard)
	h.want("de-nodeadkeys (from the kernel command line)")
	h.press(tcell.KeyF10)
	if h.a.fd.Keyboard != "de-nodeadkeys" {
		t.Errorf("keyboard %q", h.a.fd.Keyboard)
	}
}

// TestPostAfterStop: a late result (a ping answering after the admin
// left) must not hang its goroutine on the stopped event loop.
func TestPostAfterStop(t *testing.T) {
	h := newHarness(t, testOptions())
	h.stop()
	done := make(chan struct{})
	go func() { h.a.post(func() {}); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("post blocked after the TUI ended")
	}
}
