package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// node.halt_if_installed on an installed disk: the plan decides it
// (Plan.Halt), auto exits 7 and writes nothing; the engine refuses to
// apply a halting plan.
func TestAutoHaltIfInstalled(t *testing.T) {
	fx := newAutoFixture(t)
	line := "storage_init=" + fx.disk + smallVols + " adminpw=" + autoHash
	if code, out := fx.run(t, line); code != installer.ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	sum := func() [32]byte { return contentSum(t, fx.disk) }
	before := sum()
	code, out := fx.run(t, line+" node.halt_if_installed")
	if code != installer.ExitInstalled || !strings.Contains(out, "node.halt_if_installed: "+fx.disk+" holds an installation") {
		t.Errorf("exit %d, want %d:\n%s", code, installer.ExitInstalled, out)
	}
	if sum() != before {
		t.Error("the disk changed under node.halt_if_installed")
	}
	cfg, _ := installer.ParseCmdline(line + " node.halt_if_installed")
	facts, err := probeFacts([]string{fx.disk})
	if err != nil {
		t.Fatal(err)
	}
	plan := installer.MakePlan(cfg, facts)
	if plan.Halt != fx.disk {
		t.Fatalf("plan.Halt = %q, want %s", plan.Halt, fx.disk)
	}
	if err := installer.RunWith(context.Background(), plan, nil, nil, installer.RunOptions{}); installer.ExitCode(err) != installer.ExitInstalled {
		t.Errorf("RunWith of a halting plan: %v (exit %d)", err, installer.ExitCode(err))
	}
	if sum() != before {
		t.Error("the disk changed when a halting plan was run")
	}
}

// contentSum hashes the non-zero 64 KiB blocks of a sparse image with
// their offsets, found through SEEK_DATA: the same for the same content
// however the file system reports its extents (which move under delayed
// allocation), without reading the holes of a 4 GiB image.
func contentSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const block = 64 << 10
	h := sha256.New()
	buf, zero := make([]byte, block), make([]byte, block)
	next := int64(0) // the first block not hashed yet: extents may share one
	for _, e := range dataExtents(t, f) {
		for b := max(e[0]&^(block-1), next); b < e[1]; b += block {
			next = b + block
			n, _ := f.ReadAt(buf, b)
			if !bytes.Equal(buf[:n], zero[:n]) {
				fmt.Fprintf(h, "%d:", b)
				h.Write(buf[:n])
			}
		}
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
