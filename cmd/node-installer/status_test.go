package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"node-installer/installer"
)

func writeFileT(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStatusJSONAndRollback: a node upgraded to slot B (on trial) shows
// both slots in `status --json`; `rollback --once` makes slot A the
// next boot's one-shot, which the status then reports.
func TestStatusJSONAndRollback(t *testing.T) {
	root, vars := t.TempDir(), t.TempDir()
	esp := filepath.Join(root, "boot/efi")
	writeFileT(t, filepath.Join(esp, "loader/entries/node-B+2-1.conf"), "title Node 2.1\nversion 2.1\nsort-key node-999998\nlinux /node/B/vmlinuz\ninitrd /node/B/initrd.img\noptions root=PARTLABEL=RootB node.slot=B\n")
	writeFileT(t, filepath.Join(esp, "loader/entries/node-A.conf"), "title Node 2.0\nversion 2.0\nlinux /node/A/vmlinuz\ninitrd /node/A/initrd.img\noptions root=PARTLABEL=RootA node.slot=A\n")
	for _, s := range []string{"A", "B"} {
		writeFileT(t, filepath.Join(esp, "node", s, "vmlinuz"), "k")
		writeFileT(t, filepath.Join(esp, "node", s, "initrd.img"), "i")
	}
	writeFileT(t, filepath.Join(root, "proc/cmdline"), "root=PARTLABEL=RootB node.slot=B\n")
	flags := []string{"--root", root, "--efivars", vars}

	status := func() nodeStatus {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := statusMain(append([]string{"--json"}, flags...), &out, &errOut); code != 0 {
			t.Fatalf("status: exit %d: %s", code, errOut.String())
		}
		var ns nodeStatus
		if err := json.Unmarshal(out.Bytes(), &ns); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out.String())
		}
		return ns
	}
	ns := status()
	if ns.BootedSlot != "B" || len(ns.Slots) != 2 || ns.Slots[0].Slot != "B" || ns.Slots[0].TriesLeft != 2 || !ns.Slots[1].Complete || ns.OneShot != "" {
		t.Fatalf("status %+v", ns)
	}
	var out, errOut bytes.Buffer
	if code := rollbackMain(append([]string{"--once"}, flags...), &out, &errOut); code != 0 {
		t.Fatalf("rollback: exit %d: %s", code, errOut.String())
	}
	if ns := status(); ns.OneShot != "node-A" || ns.DefaultOverride != "" {
		t.Errorf("after rollback --once: one_shot %q, default %q", ns.OneShot, ns.DefaultOverride)
	}
	// Slot A without its kernel: refused (exit 3), nothing written.
	vars2 := t.TempDir()
	os.Remove(filepath.Join(esp, "node/A/vmlinuz"))
	if code := rollbackMain([]string{"--root", root, "--efivars", vars2}, &out, &errOut); code != installer.ExitInvalid {
		t.Errorf("incomplete slot: exit %d, want %d", code, installer.ExitInvalid)
	}
	if des, _ := os.ReadDir(vars2); len(des) != 0 {
		t.Errorf("a refused rollback wrote %d variable(s)", len(des))
	}
}
