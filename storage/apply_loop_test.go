package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"node-installer/storage/esp"
)

// loopAttach attaches img as a loop device with partition support and
// the given logical sector size; detached when the test ends.
func apLoop(t *testing.T, img string, ss int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loop devices")
	}
	apNeed(t, "losetup")
	out, err := exec.Command("losetup", "-P", "--sector-size", strconv.Itoa(ss), "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("needs loop device support: losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Logf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

func apDevSize(t *testing.T, p string) int64 {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := blkGetSize64(f)
	if err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

func apIsBlock(p string) bool {
	var st unix.Stat_t
	return unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK
}

// TestApplyLoop applies the layout to loop devices with 512 and 4096-byte
// sectors: partition nodes must appear with the planned sizes, the tools
// must accept the result, in-use partitions must block wipe and apply
// without a byte written, and a wipe must remove the kernel partitions.
func TestApplyLoop(t *testing.T) {
	apNeed(t, "mkfs.ext4", "sgdisk", "sfdisk", "blkid", "e2fsck", "fsck.vfat", "mount", "swapon", "debugfs")
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", ss), func(t *testing.T) {
			img := apSparse(t, 1<<30)
			dev := apLoop(t, img, ss)
			size := apDevSize(t, dev)
			dl := apLayout(dev, size, ss)
			dl.Disk.Transport = "loop"
			rec := &apRecorder{}
			if err := Apply(context.Background(), dl, rec); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			part := func(n int) string { return fmt.Sprintf("%sp%d", dev, n) }
			for _, p := range dl.Partitions {
				if !apIsBlock(part(p.Number)) {
					t.Fatalf("%s: no block device node", part(p.Number))
				}
				if got, want := apDevSize(t, part(p.Number)), int64(p.Size)*int64(ss); got != want {
					t.Errorf("%s: %d bytes, planned %d", part(p.Number), got, want)
				}
			}
			// Without udev or devtmpfs a node may be missing: ensureNode
			// creates it from the sysfs device number.
			if err := os.Remove(part(3)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { // our node is not devtmpfs's: it stays after the partition goes
				if _, err := os.Stat("/sys/class/block/" + filepath.Base(part(3))); err != nil {
					os.Remove(part(3))
				}
			})
			for _, k := range kernelParts("/sys/block", filepath.Base(dev)) {
				if err := ensureNode(k); err != nil {
					t.Fatal(err)
				}
			}
			if !apIsBlock(part(3)) || apDevSize(t, part(3)) != int64(dl.Partitions[2].Size)*int64(ss) {
				t.Errorf("%s not recreated", part(3))
			}
			// sfdisk reads the device with its real sector size.
			apGolden(t, fmt.Sprintf("apply/sfdisk-loop-%d.dump", ss), apNormDump(apRun(t, "sfdisk", "--dump", dev), dev))
			if out := apRun(t, "sgdisk", "-v", dev); !strings.Contains(out, "No problems found") {
				t.Errorf("sgdisk -v %s:\n%s", dev, out)
			}
			for n, want := range map[int]string{1: "vfat NODE-EFI", 4: "ext4 node-config", 5: "ext4 node-logging", 6: "swap node-swap", 7: "ext4 node-data"} {
				m := apBlkid(t, part(n), 0, 0)
				if got := m["TYPE"] + " " + m["LABEL"]; got != want {
					t.Errorf("blkid %s: %q, want %q", part(n), got, want)
				}
			}
			apRun(t, "e2fsck", "-fn", part(4))
			if out, err := apExecOut("fsck.vfat", "-n", part(1)); err != nil || strings.Contains(out, "Fixing") {
				t.Errorf("fsck.vfat -n %s: %v\n%s", part(1), err, out)
			}

			for _, e := range rec.events {
				if strings.HasPrefix(e.Step, "kernel partitions") && e.Message != "" {
					t.Logf("kernel partitions via %s", e.Message)
				}
			}
			// The engine's path: hold the target, fill Config with mkfs.ext4
			// -d and write the ESP through the same descriptor.
			tg, err := OpenDisk(dev)
			if err != nil {
				t.Fatal(err)
			}
			src := t.TempDir()
			os.WriteFile(filepath.Join(src, "hostname"), []byte("node1\n"), 0o644)
			cfg := dl.Partitions[3]
			if err := tg.MakeExt4(context.Background(), int64(cfg.Start)*int64(ss), int64(cfg.Size)*int64(ss), "node-config", src); err != nil {
				t.Fatalf("Target.MakeExt4: %v", err)
			}
			efi := dl.Partitions[0]
			fsys, err := esp.OpenDevice(tg, int64(efi.Start)*int64(ss), int64(efi.Size)*int64(ss), ss)
			if err != nil {
				t.Fatal(err)
			}
			for p, c := range map[string]string{"/node/product": "node\n", "/loader/entries/node-A+3.conf": "version 2.0\nlinux /node/A/vmlinuz\n"} {
				if err := fsys.WriteFile(p, strings.NewReader(c), int64(len(c))); err != nil {
					t.Fatal(err)
				}
			}
			fsys.Close()
			tg.Close()
			if out := apRun(t, "debugfs", "-R", "cat /hostname", part(4)); !strings.Contains(out, "node1") {
				t.Errorf("Config partition content: %s", out)
			}
			ir := Inspect(dev)
			if ir.SectorSize != ss || ir.Installation == nil || len(ir.Installation.Slots) != 1 ||
				ir.Installation.Slots[0].Version != "2.0" || !ir.Installation.Slots[0].Default {
				t.Errorf("Inspect(%s):\n%s", dev, ir.Text())
			}

			refused := func(what, why string) {
				t.Helper()
				old := lockWait
				lockWait = 100 * time.Millisecond
				defer func() { lockWait = old }()
				before := apSHA(t, img)
				if err := Apply(context.Background(), dl, nil); !errors.Is(err, ErrBusy) {
					t.Errorf("%s: Apply error %v, want ErrBusy", what, err)
				}
				all, _ := Probe("/sys", "/dev")
				found := false
				for _, d := range all {
					if d.Path == dev {
						found = true
						if !strings.Contains(d.InUse, why) || Unwritable(d) == "" {
							t.Errorf("%s: the probe's in-use reason %q does not say %q", what, d.InUse, why)
						}
					}
				}
				if !found {
					t.Errorf("%s: the probe does not list %s", what, dev)
				}
				if apSHA(t, img) != before {
					t.Errorf("%s: the disk changed although every write was refused", what)
				}
			}
			// A mounted partition (read-only, no journal replay: the mount
			// itself must not write, so the checksum stays meaningful).
			mnt := filepath.Join(t.TempDir(), "mnt")
			os.Mkdir(mnt, 0o755)
			apRun(t, "mount", "-t", "ext4", "-o", "ro,noload", part(4), mnt)
			mounted := true
			t.Cleanup(func() {
				if mounted {
					exec.Command("umount", mnt).Run()
				}
			})
			refused("mounted partition", filepath.Base(part(4))+" mounted at "+mnt)
			apRun(t, "umount", mnt)
			mounted = false
			// An active swap partition.
			apRun(t, "swapon", "-p", "-2", part(6))
			swapped := true
			t.Cleanup(func() {
				if swapped {
					exec.Command("swapoff", part(6)).Run()
				}
			})
			refused("active swap", filepath.Base(part(6))+" is active swap")
			apRun(t, "swapoff", part(6))
			swapped = false

			// Re-partitioning replaces the kernel's stale partitions.
			small := dl
			small.Partitions = append([]PlannedPartition(nil), dl.Partitions[:3]...)
			if err := Apply(context.Background(), small, nil); err != nil {
				t.Fatalf("Apply over the old layout: %v", err)
			}
			if ps := kernelParts("/sys/block", filepath.Base(dev)); len(ps) != 3 {
				t.Errorf("kernel partitions after re-partitioning: %v", ps)
			}

			// The image file itself is in use while a loop device serves
			// it: the probe says so, and no disk rule lets it be written.
			id, err := ProbeImage(img)
			if err != nil || !strings.Contains(id.InUse, "attached to "+dev) || Unwritable(id) == "" {
				t.Errorf("the image behind %s: in use %q, unwritable %q (%v)", dev, id.InUse, Unwritable(id), err)
			}
		})
	}
}

// TestInspectDOSLoop4096: MBR sector numbers count 4096-byte sectors on a
// 4Kn disk.
func TestInspectDOSLoop4096(t *testing.T) {
	apNeed(t, "sfdisk")
	img := apSparse(t, 64<<20)
	dev := apLoop(t, img, 4096)
	cmd := exec.Command("sfdisk", "-q", "--no-reread", dev)
	cmd.Stdin = strings.NewReader("label: dos\nstart=256,size=2560,type=83\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v: %s", err, out)
	}
	rep := Inspect(dev)
	if rep.Table != "dos" || len(rep.Partitions) != 1 || rep.Partitions[0].Start != 1<<20 || rep.Partitions[0].Size != 10<<20 {
		t.Fatalf("Inspect(%s):\n%s", dev, rep.Text())
	}
}
