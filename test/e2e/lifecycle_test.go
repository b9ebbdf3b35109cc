//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
	"node-installer/storage/esp"
	"node-installer/test/vm"
)

// Lifecycle scenarios (docs/lifecycle.md): upgrade, automatic rollback,
// power cut during an upgrade, wipe-reinstall and uninstall, each booted
// for real through OVMF and systemd-boot.

const v3 = "3.0.0" // its root image does not boot (rollback scenario)

// lcAdminHash is `openssl passwd -6 -salt e2etestsalt node1pass`.
const lcAdminHash = "$6$e2etestsalt$XdISaNdqNyBXPJdYdet9hsUYawN/VJn6vSVDHVUK/v06dnF4NYuPeSzk6j/87sKUxiPBS1mRtODbz2Qe143gw/"

var markerRE = regexp.MustCompile(`^NODE-MARKER version=(\S+) slot=(\S+) hostname=(\S+)$`)

// lcInstaller boots the installer (PID 1) with bundle's media and args on
// the kernel command line against disks. A timeout kills qemu: that is how
// the power-cut scenario cuts the power.
func (e *env) lcInstaller(t *testing.T, name, bundle, args string, disks []vm.Disk, timeout time.Duration) *vm.Result {
	t.Helper()
	return e.lcInstallerVars(t, name, bundle, args, disks, timeout, "")
}

// lcInstallerVars is lcInstaller with a persistent UEFI variable store.
func (e *env) lcInstallerVars(t *testing.T, name, bundle, args string, disks []vm.Disk, timeout time.Duration, vars string) *vm.Result {
	t.Helper()
	m := e.installerVM(t, name, vm.InstallerSpec{Bundle: bundle, Exec: true}, args, disks)
	m.Timeout, m.UEFIVars = timeout, vars
	res, _ := boot(t, m)
	return res
}

// lcMust fails t unless the installer run ended by itself with success.
func lcMust(t *testing.T, res *vm.Result) {
	t.Helper()
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("installer vm: %s; last lines:\n%s", res.Summary(), res.Tail(40))
	}
}

// lcBoot boots the disk through OVMF and returns the marker line's
// version, slot and hostname, or ok=false when the root image did not
// come up (its boot counter still went down).
func lcBoot(t *testing.T, name, disk string) (version, slot, hostname string, ok bool) {
	t.Helper()
	m := vm.Machine{Name: name, UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute,
		StopOn: vm.DefaultStopOn, Log: filepath.Join(t.TempDir(), name+".log")}
	keepLog(t, m.Log, name)
	res, err := m.Run(context.Background())
	if err != nil {
		t.Fatalf("vm %s: %v", name, err)
	}
	t.Logf("timing: vm %s %.2fs (%s)", name, res.Duration.Seconds(), res.Summary())
	if res.TimedOut || res.StoppedOn != "" {
		t.Fatalf("vm %s booted nothing: %s; last lines:\n%s", name, res.Summary(), res.Tail(30))
	}
	if sub := res.Find(markerRE); sub != nil {
		return sub[1], sub[2], sub[3], true
	}
	return "", "", "", false
}

// lcState reads the lifecycle state of a disk image's ESP from the host.
func lcState(t *testing.T, disk string) (storage.Disk, installer.ESPState) {
	t.Helper()
	d, err := storage.ProbeImage(disk)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Partitions {
		if p.PartLabel != "EFI" {
			continue
		}
		f, err := os.Open(disk)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fsys, err := esp.OpenReadOnly(f, p.Start, p.Size, 512)
		if err != nil {
			t.Fatalf("%s: ESP: %v", disk, err)
		}
		st, err := installer.ReadESP(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return d, st
	}
	t.Fatalf("%s: no EFI partition", disk)
	return d, installer.ESPState{}
}

func entryNames(st installer.ESPState) string {
	var n []string
	for _, e := range st.BootOrder() {
		n = append(n, e.File)
	}
	return strings.Join(n, " ")
}

// lcBlessed makes sure the entry of slot is marked as a good boot: the
// test image's init should have renamed it; if it did not, the test does
// it from the host (what systemd-bless-boot does on the node) and says so.
func lcBlessed(t *testing.T, disk, slot string) {
	t.Helper()
	d, st := lcState(t, disk)
	for _, e := range st.Entries {
		if installer.EntrySlot(e) != slot || !e.Counting() {
			continue
		}
		t.Logf("the test image did not mark its good boot (%s): renaming it to %s from the host", e.File, installer.EntryBase(slot)+".conf")
		var part storage.Partition
		for _, p := range d.Partitions {
			if p.PartLabel == "EFI" {
				part = p
			}
		}
		fsys, err := esp.Open(disk, part.Start, part.Size, 512)
		if err != nil {
			t.Fatal(err)
		}
		if err := fsys.Rename(installer.EntriesDir+"/"+e.File, installer.EntriesDir+"/"+installer.EntryBase(slot)+".conf"); err != nil {
			t.Fatal(err)
		}
		if err := fsys.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// lcCopy copies a sparse disk image.
func lcCopy(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp %s: %v\n%s", src, err, out)
	}
}

// lcBrokenBundle is the v3 bundle with a root image that is not a
// filesystem: the node initramfs cannot mount it and powers off, so the
// entry never gets marked good.
func (e *env) lcBrokenBundle(t *testing.T) string {
	t.Helper()
	good, err := e.tc.Bundle(context.Background(), vm.BundleSpec{Version: v3})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "v3-broken")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{vm.BundleKernel, vm.BundleInitrd, vm.BundleBootloader} {
		lcCopy(t, filepath.Join(good, n), filepath.Join(dir, n))
	}
	junk := make([]byte, 4<<20)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(junk)
	if err := os.WriteFile(filepath.Join(dir, vm.BundleRoot), junk, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := media.Create(dir, "node", v3, "1"); err != nil {
		t.Fatal(err)
	}
	if err := media.SignBundle(dir, vm.TestSigner()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lcInstalledV1 installs v1 with hostname onto a fresh 20 GiB disk.
func (e *env) lcInstalledV1(t *testing.T, hostname string) string {
	t.Helper()
	return e.lcInstalledV1Vars(t, hostname, "")
}

// lcInstalledV1Vars is lcInstalledV1 with a persistent UEFI variable store.
func (e *env) lcInstalledV1Vars(t *testing.T, hostname, vars string) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	lcMust(t, e.lcInstallerVars(t, "install-v1", e.bundles[v1],
		"storage_init=/dev/vda adminpw="+lcAdminHash+" hostname="+hostname, []vm.Disk{{Path: disk, Serial: "NODE0001"}}, 5*time.Minute, vars))
	return disk
}

// TestLifecycleUpgradeAndRollback: install v1; upgrade with v2 media: the
// disk boots v2 from slot B with the hostname kept; upgrade to a v3 whose
// root image does not boot: within its 3 tries the disk is back on v2.
func TestLifecycleUpgradeAndRollback(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	disk := e.lcInstalledV1(t, "node1.example.org")
	disks := []vm.Disk{{Path: disk, Serial: "NODE0001"}}

	tUp := time.Now()
	lcMust(t, e.lcInstaller(t, "upgrade-v2", e.bundles[v2], "upgrade", disks, 5*time.Minute))
	_, st := lcState(t, disk)
	if order := st.BootOrder(); len(order) != 2 || order[0].File != "node-B+3.conf" || st.Marker {
		t.Fatalf("after the upgrade: entries %s, marker %v", entryNames(st), st.Marker)
	}
	ver, slot, host, ok := lcBoot(t, "boot-v2", disk)
	if !ok || ver != v2 || slot != "B" || host != "node1.example.org" {
		t.Fatalf("boot after the upgrade: version=%s slot=%s hostname=%s (ok %v), want %s B node1.example.org", ver, slot, host, ok, v2)
	}
	t.Logf("timing: upgrade v1 -> v2 and boot %.2fs", time.Since(tUp).Seconds())
	lcBlessed(t, disk, "B")

	tRb := time.Now()
	broken := e.lcBrokenBundle(t)
	lcMust(t, e.lcInstaller(t, "upgrade-v3", broken, "upgrade", disks, 5*time.Minute))
	if _, st := lcState(t, disk); !strings.HasPrefix(entryNames(st), "node-A+3.conf ") {
		t.Fatalf("after the v3 upgrade: entries %s", entryNames(st))
	}
	for try := 1; try <= installer.BootTries+1; try++ {
		ver, slot, host, ok := lcBoot(t, fmt.Sprintf("boot-%d", try), disk)
		_, st := lcState(t, disk)
		t.Logf("boot %d: ok=%v version=%s slot=%s; entries now %s", try, ok, ver, slot, entryNames(st))
		if !ok {
			if try > installer.BootTries {
				t.Fatalf("boot %d: still not back on v2 after %d tries", try, installer.BootTries)
			}
			continue
		}
		if ver != v2 || slot != "B" || host != "node1.example.org" {
			t.Fatalf("boot %d: version=%s slot=%s hostname=%s, want the rollback to %s in slot B", try, ver, slot, host, v2)
		}
		if try != installer.BootTries+1 {
			t.Errorf("boot %d came back to v2; expected after exactly %d failed tries", try, installer.BootTries)
		}
		break
	}
	t.Logf("timing: v3 upgrade and rollback %.2fs; scenario %.2fs", time.Since(tRb).Seconds(), time.Since(start).Seconds())
}

// cutPoints are console lines of an upgrade run (its step events): the
// power is cut the moment one shows, so the cut lands inside the upgrade
// (a cut timed from qemu's start mostly lands in the kernel's boot under
// emulation, whose speed varies with the machine's load).
var cutPoints = []string{
	"] marker: write /node/unfinished",
	"] remove-old-entries:",
	"] write-slot: " + vm.BundleRoot,
	"(50%)", // half of the slot written
	"] write-kernel:",
	"] write-initrd:",
	"] write-version:",
	"] commit: node-",
	"] finish: remove",
}

// TestLifecyclePowerCut: qemu is killed at a random moment of the v2
// upgrade (3 seeds, each picking a step of the upgrade); the disk then
// boots v1 or v2, never neither.
func TestLifecyclePowerCut(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	base := e.lcInstalledV1(t, "cut.example.org")
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 20261126))
		cut := cutPoints[rng.IntN(len(cutPoints))]
		disk := filepath.Join(t.TempDir(), fmt.Sprintf("cut-%d.img", seed))
		lcCopy(t, base, disk)
		name := fmt.Sprintf("upgrade-cut-%d", seed)
		m := e.installerVM(t, name, vm.InstallerSpec{Bundle: e.bundles[v2], Exec: true}, "upgrade", []vm.Disk{{Path: disk, Serial: "NODE0001"}})
		m.StopOn = append([]string{cut}, vm.DefaultStopOn...)
		res, _ := boot(t, m)
		if res.StoppedOn != cut {
			t.Errorf("seed %d: the upgrade run was not cut at %q: %s; last lines:\n%s", seed, cut, res.Summary(), res.Tail(20))
		}
		_, st := lcState(t, disk)
		ver, slot, host, ok := lcBoot(t, fmt.Sprintf("boot-after-cut-%d", seed), disk)
		t.Logf("seed %d: power cut at %q after %.2fs: entries %s, marker %v; boots version=%s slot=%s",
			seed, cut, res.Duration.Seconds(), entryNames(st), st.Marker, ver, slot)
		switch {
		case !ok:
			t.Errorf("seed %d: the disk boots neither v1 nor v2 after a power cut at %q", seed, cut)
		case ver == v1 && slot == "A", ver == v2 && slot == "B":
			if host != "cut.example.org" {
				t.Errorf("seed %d: hostname %s", seed, host)
			}
		default:
			t.Errorf("seed %d: boots version=%s slot=%s", seed, ver, slot)
		}
	}
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestLifecycleReinstall: a wipe-reinstall gives a fresh Config: the old
// hostname is gone.
func TestLifecycleReinstall(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	disk := e.lcInstalledV1(t, "old.example.org")
	lcMust(t, e.lcInstaller(t, "reinstall", e.bundles[v1], "reinstall storage_init=/dev/vda adminpw="+lcAdminHash+" hostname=fresh.example.org",
		[]vm.Disk{{Path: disk, Serial: "NODE0001"}}, 5*time.Minute))
	ver, slot, host, ok := lcBoot(t, "boot-reinstalled", disk)
	if !ok || ver != v1 || slot != "A" || host != "fresh.example.org" {
		t.Fatalf("after the reinstall: version=%s slot=%s hostname=%s (ok %v), want %s A fresh.example.org", ver, slot, host, ok, v1)
	}
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestLifecycleUninstall: an uninstall leaves no partition table and no
// known signature on the installed disk; the second disk is untouched.
func TestLifecycleUninstall(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	// install with a persistent variable store, so the uninstall has a
	// firmware boot entry to remove
	vars := filepath.Join(t.TempDir(), "vars.fd")
	if err := vm.NewUEFIVars(vars); err != nil {
		t.Skipf("no OVMF variable store: %v", err)
	}
	disk := e.lcInstalledV1Vars(t, "gone.example.org", vars)
	other := filepath.Join(t.TempDir(), "other.img")
	if err := vm.CreateSparse(other, 4*vm.GiB); err != nil {
		t.Fatal(err)
	}
	if err := vm.FillPattern(other, 9, 1<<20, 0, 2*vm.GiB, 4*vm.GiB-(1<<20)); err != nil {
		t.Fatal(err)
	}
	before, err := vm.Digest(other)
	if err != nil {
		t.Fatal(err)
	}
	res := e.lcInstallerVars(t, "uninstall", e.bundles[v1], "uninstall",
		[]vm.Disk{{Path: disk, Serial: "NODE0001"}, {Path: other, Serial: "OTHER0002"}}, 5*time.Minute, vars)
	if res.Has("not supported yet") {
		t.Skip("node-installer auto does not dispatch uninstall yet (installer.RunWith: ActionUninstall -> UninstallDisks)")
	}
	lcMust(t, res)
	if !res.Has("firmware-entry Boot") {
		t.Errorf("the uninstall reported no firmware boot entry removed; last lines:\n%s", res.Tail(30))
	}
	if out, err := exec.Command("blkid", "-p", "-o", "export", disk).CombinedOutput(); err == nil || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("blkid -p still finds something on the uninstalled disk (%v):\n%s", err, out)
	}
	d, err := storage.ProbeImage(disk)
	if err != nil {
		t.Fatal(err)
	}
	if d.Table != "" || len(d.Partitions) != 0 || d.Signature != "" {
		t.Errorf("after uninstall: table %q signature %q partitions %v", d.Table, d.Signature, d.Partitions)
	}
	if after, err := vm.Digest(other); err != nil || after != before {
		t.Errorf("the second disk changed (digest %s -> %s, %v)", before, after, err)
	}
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}
