//go:build e2e

package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"node-installer/test/vm"
)

// TestMediaUSB writes the ISO (Debian's amd64 live kernel: the cloud
// kernel has no USB) to a "stick" attached as usb-storage on an xHCI
// controller and boots it through OVMF with a blank virtio disk beside
// it. The embedded answer file says only storage.init: true (the first
// eligible disk): the installer must pass over the stick it runs from,
// install on /dev/vda and leave every byte of the stick as it was; the
// disk then boots.
func TestMediaUSB(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	e.needCommand(t, "media", "media customize")
	m := e.mediaOf(t, v1, "amd64")
	start := time.Now()
	dir := t.TempDir()
	stick := filepath.Join(dir, "stick.img")
	e.automatedISO(t, m.ISO, stick, "action: install\nstorage:\n  init: true\n"+
		"host:\n  adminpw: '"+adminHash+"'\nnetwork:\n  hostname: node7.example.org\n")
	before, err := vm.Digest(stick)
	if err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	mc := vm.Machine{Name: "media-usb", UEFI: true, Disks: []vm.Disk{{Path: disk, Serial: "NODE0007"}}, Timeout: 4 * time.Minute,
		StopOn: append([]string{"The node stays here", "Welcome"}, vm.DefaultStopOn...),
		Extra: []string{"-device", "qemu-xhci,id=xhci", "-drive", "if=none,id=usb0,format=raw,file=" + stick,
			"-device", "usb-storage,bus=xhci.0,drive=usb0,bootindex=0"}}
	res, found := boot(t, mc,
		regexp.MustCompile(`^live: boot medium (/dev/\S+) \(label NODE_1_0_0\)`),
		regexp.MustCompile(`^\s*plan:\s+(/dev/\S+)\s+usb\s.*not chosen: boot media`),
		regexp.MustCompile(`^\s*plan:\s+\* (/dev/\S+)\s+virtio\s.*chosen as boot disk`))
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("the installer must install and power off by itself: %s; last lines:\n%s", res.Summary(), res.Tail(40))
	}
	if found[0][1] != found[1][1] || found[2][1] != "/dev/vda" {
		t.Errorf("boot medium %s, USB disk passed over %s, chosen %s: want the stick passed over and /dev/vda chosen",
			found[0][1], found[1][1], found[2][1])
	}
	if after, err := vm.Digest(stick); err != nil || after != before {
		t.Errorf("the USB stick changed: %s -> %s (%v)", before, after, err)
	}
	e.checkInstalled(t, disk)
	bootsInto(t, "media-usb-installed", disk, "", "node7.example.org")
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}
