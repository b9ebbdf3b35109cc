//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"node-installer/test/vm"
)

// TestMediaUpgrade: a disk with v1 installed boots the v2 ISO (as a CD)
// whose embedded answer file says action: upgrade; with no key pressed
// the Automated entry upgrades (slot B), and the disk then boots v2 from
// slot B with its hostname kept.
func TestMediaUpgrade(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	e.needCommand(t, "media", "media customize")
	start := time.Now()
	disk := e.lcInstalledV1(t, "node8.example.org")
	m := e.mediaOf(t, v2, vm.KernelFlavor())
	dir := t.TempDir()
	iso := filepath.Join(dir, "upgrade.iso")
	e.automatedISO(t, m.ISO, iso, "action: upgrade\n")
	res, _ := boot(t, vm.Machine{Name: "media-upgrade", UEFI: true, CDROM: iso, Disks: []vm.Disk{{Path: disk, Serial: "NODE0001"}},
		Timeout: 4 * time.Minute, StopOn: append([]string{"The node stays here", "Welcome"}, vm.DefaultStopOn...)})
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("the Automated entry must upgrade and power off by itself: %s; last lines:\n%s", res.Summary(), res.Tail(40))
	}
	ver, slot, host, ok := lcBoot(t, "media-upgrade-boot", disk)
	if !ok || ver != v2 || slot != "B" || host != "node8.example.org" {
		t.Fatalf("boot after the upgrade from media: version=%s slot=%s hostname=%s (ok %v), want %s B node8.example.org", ver, slot, host, ok, v2)
	}
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}
