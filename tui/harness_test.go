package tui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/internal/testutil"
	"node-installer/network"
	"node-installer/storage"
)

// harness runs an App on a simulated 80x25 screen. Keys go through the
// application's input capture and the root handler on the UI goroutine,
// exactly as tview's event loop routes them, so each key is processed
// before the next and before the screen is read.
type harness struct {
	t       testing.TB
	a       *App
	scr     tcell.SimulationScreen
	done    chan error
	stopped bool
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	scr := tcell.NewSimulationScreen("UTF-8")
	opts.Screen = scr
	if opts.ASCII == nil {
		f := false
		opts.ASCII = &f
	}
	a := New(opts)
	a.settle = 0 // TestStartNeedsDeliberateAct checks the real one
	scr.SetSize(80, 25)
	h := &harness{t: t, a: a, scr: scr, done: make(chan error, 1)}
	go func() { _, err := a.Run(); h.done <- err }()
	a.tv.QueueUpdate(func() {}) // the first frame is drawn before updates run
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	h.a.tv.Stop()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		h.t.Error("the application did not stop")
	}
}

// key sends one key and redraws.
func (h *harness) key(k tcell.Key, r rune, mod tcell.ModMask) {
	h.a.tv.QueueUpdate(func() { routeKey(h.a.tv, h.a.outer, tcell.NewEventKey(k, r, mod)) })
}

// routeKey routes ev through tv's input capture and root's handler, as
// tview's event loop does, and redraws; call it on the UI goroutine.
func routeKey(tv *tview.Application, root tview.Primitive, ev *tcell.EventKey) {
	if c := tv.GetInputCapture(); c != nil {
		ev = c(ev)
	}
	if ev != nil {
		if handler := root.InputHandler(); handler != nil {
			handler(ev, func(p tview.Primitive) { tv.SetFocus(p) })
		}
	}
	tv.ForceDraw()
}

func (h *harness) press(keys ...tcell.Key) {
	for _, k := range keys {
		h.key(k, 0, 0)
	}
}

// typeText types s rune by rune.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.key(tcell.KeyRune, r, 0)
	}
}

// startRun starts the run from the Confirm page as an admin must: F10
// opens the dialog, then ERASE and Enter (a run that erases) or the
// dialog's second button (one that keeps the disks).
func (h *harness) startRun() {
	h.t.Helper()
	h.wantPage(pgConfirm)
	h.press(tcell.KeyF10)
	if h.a.fd.Choice.erases() {
		h.want("Type ERASE")
		h.typeText("ERASE")
		h.press(tcell.KeyEnter)
		return
	}
	h.press(tcell.KeyTab, tcell.KeyEnter)
}

// sync waits for queued updates (event drainer) to be drawn.
func (h *harness) sync() { h.a.tv.QueueUpdate(func() { h.a.tv.ForceDraw() }) }

// screen is the visible text, one line per row, trailing spaces trimmed.
func (h *harness) screen() string {
	var out string
	h.a.tv.QueueUpdate(func() { out = simText(h.scr) })
	return out
}

// simText is a simulated screen's text, one line per row, trailing
// spaces trimmed.
func simText(scr tcell.SimulationScreen) string {
	cells, w, ht := scr.GetContents()
	lines := make([]string, ht)
	for y := 0; y < ht; y++ {
		var b strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 || c.Runes[0] == 0 {
				b.WriteByte(' ')
				continue
			}
			b.WriteString(string(c.Runes))
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	return strings.Join(lines, "\n")
}

// want fails unless the screen shows every one of subs.
func (h *harness) want(subs ...string) {
	h.t.Helper()
	s := h.screen()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			h.t.Fatalf("screen lacks %q:\n%s", sub, s)
		}
	}
}

// wantNot fails if the screen shows any of subs.
func (h *harness) wantNot(subs ...string) {
	h.t.Helper()
	s := h.screen()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			h.t.Fatalf("screen shows %q:\n%s", sub, s)
		}
	}
}

// waitFor polls until the screen shows sub.
func (h *harness) waitFor(sub string, d time.Duration) {
	h.t.Helper()
	waitScreen(h.t, h.screen, sub, d)
}

// waitScreen polls screen until it shows sub, for at most d.
func waitScreen(t testing.TB, screen func() string, sub string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(screen(), sub) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q:\n%s", sub, screen())
}

func (h *harness) page() pageID {
	var id pageID
	h.a.tv.QueueUpdate(func() { id = h.a.cur })
	return id
}

func (h *harness) wantPage(id pageID) {
	h.t.Helper()
	if got := h.page(); got != id {
		h.t.Fatalf("page = %s, want %s; screen:\n%s", got, id, h.screen())
	}
}

// golden compares the screen with testdata/NAME.golden (-update rewrites).
func (h *harness) golden(name string) {
	h.t.Helper()
	goldenScreen(h.t, name, h.screen())
}

// goldenScreen compares a screen's text with testdata/NAME.golden.
func goldenScreen(t testing.TB, name, screen string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name+".golden"), screen+"\n")
}

const gib = int64(1) << 30

// testFacts is a small server: two SATA disks, an NVMe, a USB stick that
// is the boot media, two NICs.
func testFacts() installer.Facts {
	return installer.Facts{
		Name: "test", Firmware: "uefi", MemBytes: 16 * gib,
		Disks: []storage.Disk{
			{Name: "sda", Path: "/dev/sda", Size: 480 * gib, LogicalSector: 512, PhysicalSector: 4096, Model: "SAMSUNG MZ7LH480", Vendor: "ATA", Serial: "S45NNA0M123456", Transport: "ata",
				Table: "gpt", Partitions: []storage.Partition{{Number: 1, Start: 1 << 20, Size: 100 * gib, FSType: "ext4", Label: "old-root"}}},
			{Name: "sdb", Path: "/dev/sdb", Size: 2000 * gib, LogicalSector: 512, PhysicalSector: 4096, Model: "ST2000NM0055", Vendor: "ATA", Serial: "ZBS1ABCD", Transport: "ata", Rotational: true},
			{Name: "nvme0n1", Path: "/dev/nvme0n1", Size: 960 * gib, LogicalSector: 512, PhysicalSector: 512, Model: "INTEL SSDPE2KX010T8", Serial: "PHLJ9123", Transport: "nvme"},
			{Name: "sdc", Path: "/dev/sdc", Size: 16 * gib, LogicalSector: 512, PhysicalSector: 512, Model: "Ultra USB 3.0", Vendor: "SanDisk", Serial: "4C530001", Transport: "usb", Removable: true, BootMedia: true},
		},
		NICs: []network.NIC{
			{Name: "lo", Loopback: true, Carrier: true},
			{Name: "eno1", MAC: "52:54:00:12:34:56", Driver: "igb", Carrier: true, SpeedMbps: 1000},
			{Name: "eno2", MAC: "52:54:00:12:34:57", Driver: "igb"},
		},
	}
}

// testOptions is a TUI on testFacts with the installer's real planning.
func testOptions() Options {
	return Options{
		Config:  installer.Defaults(),
		Facts:   testFacts(),
		Media:   MediaInfo{Product: "node", Version: "4.5.0"},
		Backend: Backend{Plan: PlanFacts},
	}
}

func newKey(k tcell.Key) *tcell.EventKey { return tcell.NewEventKey(k, 0, 0) }
