package nodeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// upgradedNode: slot B (2.1, committed and booted good) is the default,
// slot A (2.0) the fallback; kernels of both on the ESP.
func upgradedNode(t *testing.T) (Options, string) {
	t.Helper()
	o, root := installedNode(t)
	o.EFIVarsDir = t.TempDir()
	esp := filepath.Join(root, "boot/efi")
	writeT(t, filepath.Join(esp, "loader/entries/node-B.conf"), "title Node 2.1\nversion 2.1\nsort-key node-999998\nlinux /node/B/vmlinuz\ninitrd /node/B/initrd.img\noptions root=PARTLABEL=RootB node.slot=B\n", 0o644)
	writeT(t, filepath.Join(esp, "loader/entries/node-A.conf"), "title Node 2.0\nversion 2.0\nlinux /node/A/vmlinuz\ninitrd /node/A/initrd.img\noptions root=PARTLABEL=RootA node.slot=A\n", 0o644)
	for _, s := range []string{"A", "B"} {
		writeT(t, filepath.Join(esp, "node", s, "vmlinuz"), "k", 0o644)
		writeT(t, filepath.Join(esp, "node", s, "initrd.img"), "i", 0o644)
		writeT(t, filepath.Join(esp, "node", s, "version"), map[string]string{"A": "2.0\n", "B": "2.1\n"}[s], 0o644)
	}
	writeT(t, filepath.Join(root, "proc/cmdline"), "root=PARTLABEL=RootB node.slot=B\n", 0o644)
	return o, root
}

func TestRollback(t *testing.T) {
	o, root := upgradedNode(t)
	st := ReadStatus(o)
	slots := Slots(o, st)
	if len(slots) != 2 || slots[0].Slot != "B" || !slots[0].Default || !slots[0].Booted || slots[1].Version != "2.0" || !slots[1].Complete {
		t.Fatalf("slots %+v", slots)
	}
	e, err := Rollback(o, true)
	if err != nil || e.Base != "node-A" {
		t.Fatalf("rollback --once: %v, %v", e.File, err)
	}
	if v, err := LoaderVar(o, "LoaderEntryOneShot"); v != "node-A" || err != nil {
		t.Errorf("LoaderEntryOneShot = %q, %v", v, err)
	}
	if v, _ := LoaderVar(o, "LoaderEntryDefault"); v != "" {
		t.Errorf("a one-shot rollback set LoaderEntryDefault %q", v)
	}
	if _, err := Rollback(o, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := LoaderVar(o, "LoaderEntryDefault"); v != "node-A" {
		t.Errorf("LoaderEntryDefault = %q, want node-A", v)
	}

	// An incomplete other slot: refused, no variable written.
	o.EFIVarsDir = t.TempDir()
	os.Remove(filepath.Join(root, "boot/efi/node/A/initrd.img"))
	if _, err := Rollback(o, true); err == nil || !strings.Contains(err.Error(), "not complete") {
		t.Errorf("incomplete slot A: %v", err)
	}
	if des, _ := os.ReadDir(o.EFIVarsDir); len(des) != 0 {
		t.Errorf("a refused rollback wrote %d EFI variable(s)", len(des))
	}
	// Not an installation: no node.slot= on the command line.
	writeT(t, filepath.Join(root, "proc/cmdline"), "root=/dev/sda1\n", 0o644)
	if _, err := Rollback(o, true); err == nil || !strings.Contains(err.Error(), "not an installation") {
		t.Errorf("no node.slot: %v", err)
	}
}
