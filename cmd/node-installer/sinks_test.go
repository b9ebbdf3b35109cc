package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
)

// The TUI's run sends node.webhook what `auto` sends: the node's identity
// in every payload, the log's tail with the last event, all delivered
// before the run returns (before the admin can reboot). Its webhook had
// neither and was never flushed.
func TestTUIRunWebhook(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	pre, ps := installer.ParseCmdline("hostname=node9.example.org node.webhook=" + h.srv.URL)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	fx.tuiInstall(t, pre, " hostname=node9.example.org")
	ev := h.events()
	if len(ev) < 3 || ev[len(ev)-1] != "succeeded" {
		t.Fatalf("webhook events %v, want ... succeeded (delivered before the run returned)", ev)
	}
	last := h.last()
	if last.Node["hostname"] != "node9.example.org" || len(last.LogTail) == 0 {
		t.Errorf("last payload: node %v, log tail %d lines", last.Node, len(last.LogTail))
	}
}

// tuiInstall installs as the TUI does on fx's disk (the pages' Config:
// storage_init, the small volumes, adminpw and extra), with pre the
// kernel's and the answer file's settings.
func (fx autoFixture) tuiInstall(t *testing.T, pre installer.Config, extra string) {
	t.Helper()
	cfg, ps := installer.ParseCmdline("storage_init=" + fx.disk + smallVols + " adminpw=" + autoHash + extra)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	facts, err := probeFacts([]string{fx.disk})
	if err != nil {
		t.Fatal(err)
	}
	b, err := media.Open(fx.bundle)
	if err != nil {
		t.Fatal(err)
	}
	run := runEngine(b, pre, fx.log, installer.RunOptions{EFIVarsDir: filepath.Join(fx.dir, "no-efivars")})
	if err := run(context.Background(), cfg, facts, event.Discard{}); err != nil {
		t.Fatal(err)
	}
}

// Every subcommand reads the kernel command line through kernelCmdline:
// the flag when given (even empty), else the kernel's, trimmed.
func TestKernelCmdline(t *testing.T) {
	old := procCmdline
	t.Cleanup(func() { procCmdline = old })
	procCmdline = filepath.Join(t.TempDir(), "cmdline")
	if _, err := kernelCmdline("", false); err == nil {
		t.Error("a missing /proc/cmdline read without an error")
	}
	os.WriteFile(procCmdline, []byte("BOOT_IMAGE=/vmlinuz storage_init\n"), 0o644)
	for _, tt := range []struct {
		given string
		set   bool
		want  string
	}{{"", false, "BOOT_IMAGE=/vmlinuz storage_init"}, {"upgrade", true, "upgrade"}, {"", true, ""}} {
		if got, err := kernelCmdline(tt.given, tt.set); err != nil || got != tt.want {
			t.Errorf("kernelCmdline(%q, %v) = %q, %v; want %q", tt.given, tt.set, got, err, tt.want)
		}
	}
}
