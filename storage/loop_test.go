package storage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needLoop skips unless loop devices can be attached here.
func needLoop(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: attaches loop devices")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("needs losetup (mount package)")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("needs the loop driver: /dev/loop-control missing")
	}
}

// attachLoop attaches img to a free loop device (detached on cleanup).
func attachLoop(t testing.TB, img string, sectorSize int) string {
	t.Helper()
	args := []string{"-f", "--show"}
	if sectorSize != 512 {
		args = append(args, "--sector-size", strconv.Itoa(sectorSize))
	}
	out, err := exec.Command("losetup", append(args, img)...).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup %s: %v\n%s", img, err, out)
	}
	dev := strings.TrimSpace(string(out))
	// Partitions added with BLKPG outlive a detach on this kernel: drop
	// stale ones left by an earlier user of the same loop device.
	exec.Command("partx", "-d", dev).Run()
	t.Cleanup(func() {
		exec.Command("partx", "-d", dev).Run()
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
		}
	})
	return dev
}

func mustRun(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// probeDev probes the live system and returns the disk at dev.
func probeDev(t *testing.T, dev string) Disk {
	t.Helper()
	disks, err := Probe("/sys", "/dev")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range disks {
		if d.Path == dev {
			return d
		}
	}
	t.Fatalf("Probe does not list %s", dev)
	return Disk{}
}

// TestProbeLoopGPT probes real loop devices holding a GPT, with 512 and
// 4096-byte sectors: the kernel here does not scan the table, so the
// partitions come from the probe's own GPT reader.
func TestProbeLoopGPT(t *testing.T) {
	needLoop(t)
	for _, ss := range []int{512, 4096} {
		t.Run(strconv.Itoa(ss), func(t *testing.T) {
			img := writeGPT(t, 64<<20, ss, []testPart{
				{"EFI", TypeESP, 1 << 20, 8 << 20},
				{"Data", TypeSrv, 9 << 20, 32 << 20},
			})
			if _, err := exec.LookPath("mkfs.ext4"); err != nil {
				t.Skip("needs mkfs.ext4 (e2fsprogs)")
			}
			mustRun(t, "mkfs.ext4", "-q", "-F", "-b", "4096", "-L", "loopdata", "-E", "offset="+strconv.Itoa(9<<20), img, "8M")
			dev := attachLoop(t, img, ss)
			d := probeDev(t, dev)
			if d.Transport != "loop" || d.BackingFile != img || d.Size != 64<<20 || d.LogicalSector != ss || d.Table != "gpt" {
				t.Errorf("disk %+v", d)
			}
			if len(d.Partitions) != 2 {
				t.Fatalf("partitions %+v", d.Partitions)
			}
			p := d.Partitions[1]
			if p.PartLabel != "Data" || p.TypeGUID != TypeSrv || p.Start != 9<<20 || p.Size != 32<<20 || p.FSType != "ext4" || p.Label != "loopdata" {
				t.Errorf("partition 2: %+v", p)
			}
			if d.InUse != "" || d.BootMedia {
				t.Errorf("in use %q, boot media %v", d.InUse, d.BootMedia)
			}
			big := d
			big.Size = 100 << 30 // past the size check: the table is what refuses it
			if ch, err := Choose(Spec{Init: true, Disks: []DiskRef{{Raw: dev, Path: dev}}}, []Disk{big}); err == nil || !strings.Contains(err.Error(), "holds a gpt partition table") {
				t.Errorf("Choose of a disk with a GPT: %v %+v", err, ch.Boot)
			}
		})
	}
}

// TestProbeLoopInUse mounts a loop device, a partition of one (added
// with BLKPG through partx) and a swap area, and checks each is in use.
func TestProbeLoopInUse(t *testing.T) {
	needLoop(t)
	for _, tool := range []string{"mkfs.ext4", "mkswap", "swapon", "partx", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	t.Run("mounted", func(t *testing.T) {
		img := sparseImage(t, 64<<20)
		mustRun(t, "mkfs.ext4", "-q", "-F", img)
		dev := attachLoop(t, img, 512)
		mnt := t.TempDir()
		mustRun(t, "mount", dev, mnt)
		t.Cleanup(func() { exec.Command("umount", mnt).Run() })
		d := probeDev(t, dev)
		if d.InUse != "mounted at "+mnt || d.Signature != "ext4" {
			t.Errorf("in use %q, signature %q", d.InUse, d.Signature)
		}
		if _, err := Choose(Spec{Init: true, Wipe: "force", Disks: []DiskRef{{Raw: dev, Path: dev}}}, []Disk{d}); err == nil || !strings.Contains(err.Error(), "in use: mounted at "+mnt) {
			t.Errorf("Choose of a mounted disk: %v", err)
		}
	})
	t.Run("partition mounted", func(t *testing.T) {
		img := writeGPT(t, 64<<20, 512, []testPart{{"Data", TypeSrv, 1 << 20, 32 << 20}})
		mustRun(t, "mkfs.ext4", "-q", "-F", "-E", "offset="+strconv.Itoa(1<<20), img, "32M")
		dev := attachLoop(t, img, 512)
		mustRun(t, "partx", "-a", dev)
		part := dev + "p1"
		for i := 0; i < 50; i++ { // no udev: devtmpfs makes the node, soon
			if _, err := os.Stat(part); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		mnt := t.TempDir()
		mustRun(t, "mount", part, mnt)
		t.Cleanup(func() { exec.Command("umount", mnt).Run() })
		d := probeDev(t, dev)
		name := filepath.Base(part)
		if len(d.Partitions) != 1 || d.Partitions[0].Name != name || d.Partitions[0].Mounted != mnt || d.Partitions[0].PartLabel != "Data" {
			t.Errorf("partitions %+v", d.Partitions)
		}
		if d.InUse != name+" mounted at "+mnt {
			t.Errorf("in use %q", d.InUse)
		}
	})
	t.Run("swap", func(t *testing.T) {
		img := sparseImage(t, 32<<20)
		mustRun(t, "mkswap", "-q", "-L", "loopswap", img)
		dev := attachLoop(t, img, 512)
		mustRun(t, "swapon", dev)
		t.Cleanup(func() { exec.Command("swapoff", dev).Run() })
		d := probeDev(t, dev)
		if d.InUse != "active swap" || d.Signature != "swap" || d.Label != "loopswap" {
			t.Errorf("in use %q, signature %q label %q", d.InUse, d.Signature, d.Label)
		}
	})
}

// TestProbeLoopBootMedia mounts an ISO-like loop device where live
// systems mount their media: it must be flagged and never chosen.
func TestProbeLoopBootMedia(t *testing.T) {
	needLoop(t)
	img := sparseImage(t, 16<<20)
	mustRun(t, "mkfs.ext4", "-q", "-F", "-L", "LIVE", img)
	dev := attachLoop(t, img, 512)
	mnt := t.TempDir()
	mustRun(t, "mount", "-o", "ro", dev, mnt)
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	// The live mount point is taken from a mountinfo line; the device is real.
	mounts := readMountinfo("/proc/self/mountinfo")
	d := probeDev(t, dev)
	d.InUse = ""
	disks := []Disk{d}
	markBootMedia(disks, append(mounts, mount{Point: "/run/initramfs/live", FSType: "ext4", Source: dev}), "")
	if !disks[0].BootMedia {
		t.Fatalf("%s under /run/initramfs/live is not boot media", dev)
	}
	disks[0].BootMedia = false
	markBootMedia(disks, nil, "BOOT_IMAGE=/vmlinuz root=live:LABEL=LIVE rd.live.image")
	if !disks[0].BootMedia {
		t.Errorf("root=live:LABEL=LIVE does not flag %s", dev)
	}
	disks[0].BootMedia = false
	markBootMedia(disks, nil, "node.media="+dev)
	if !disks[0].BootMedia {
		t.Errorf("node.media=%s does not flag it", dev)
	}
}

// BenchmarkProbe64Loop attaches 64 small sparse-file loop devices (not
// timed), then times Probe of the whole machine.
func BenchmarkProbe64Loop(b *testing.B) {
	needLoop(b)
	start := time.Now()
	dir := b.TempDir()
	for i := 0; i < 64; i++ {
		img := filepath.Join(dir, "d"+strconv.Itoa(i))
		if err := os.WriteFile(img, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Truncate(img, 16<<20); err != nil {
			b.Fatal(err)
		}
		attachLoop(b, img, 512)
	}
	setup := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		disks, err := Probe("/sys", "/dev")
		if err != nil {
			b.Fatal(err)
		}
		if len(disks) < 64 {
			b.Fatalf("Probe lists %d disks, want at least 64", len(disks))
		}
	}
	b.ReportMetric(float64(setup.Milliseconds()), "setup-ms")
}
