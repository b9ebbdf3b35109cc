package storage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeDisk is one block device of a fake sysfs tree.
type fakeDisk struct {
	name    string
	devPath string // under sys/devices, ending in block/NAME
	size    int64  // bytes
	lsec    int
	psec    int
	files   map[string]string // relative to /sys/block/NAME: "device/model", "serial", ...
	parts   []fakePart
	image   string // file backing /dev/NAME ("" = none: contents unreadable)
}

type fakePart struct {
	num         int
	start, size int64 // bytes
	holders     []string
}

// fakeTree writes a sysfs/dev/proc tree into a temp dir the way the
// kernel lays it out: /sys/block/NAME symlinks into /sys/devices.
func fakeTree(t *testing.T, disks []fakeDisk, mountinfo, swaps, cmdline string) ProbeOptions {
	t.Helper()
	root := t.TempDir()
	o := ProbeOptions{SysRoot: filepath.Join(root, "sys"), DevRoot: filepath.Join(root, "dev"), ProcRoot: filepath.Join(root, "proc")}
	mk := func(p, v string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(o.SysRoot, "block"), 0o755)
	os.MkdirAll(o.DevRoot, 0o755)
	for _, d := range disks {
		dir := filepath.Join(o.SysRoot, "devices", d.devPath)
		mk(filepath.Join(dir, "size"), strconv.FormatInt(d.size/512, 10))
		mk(filepath.Join(dir, "queue", "logical_block_size"), strconv.Itoa(d.lsec))
		mk(filepath.Join(dir, "queue", "physical_block_size"), strconv.Itoa(d.psec))
		os.MkdirAll(filepath.Join(dir, "holders"), 0o755)
		for f, v := range d.files {
			if strings.HasPrefix(f, "holders/") {
				os.MkdirAll(filepath.Join(dir, f), 0o755)
				continue
			}
			mk(filepath.Join(dir, f), v)
		}
		for _, p := range d.parts {
			pn := d.name + strconv.Itoa(p.num)
			if strings.HasPrefix(d.name, "nvme") || strings.HasPrefix(d.name, "loop") {
				pn = d.name + "p" + strconv.Itoa(p.num)
			}
			mk(filepath.Join(dir, pn, "partition"), strconv.Itoa(p.num))
			mk(filepath.Join(dir, pn, "start"), strconv.FormatInt(p.start/512, 10))
			mk(filepath.Join(dir, pn, "size"), strconv.FormatInt(p.size/512, 10))
			for _, h := range p.holders {
				os.MkdirAll(filepath.Join(dir, pn, "holders", h), 0o755)
			}
		}
		rel, _ := filepath.Rel(filepath.Join(o.SysRoot, "block"), dir)
		if err := os.Symlink(rel, filepath.Join(o.SysRoot, "block", d.name)); err != nil {
			t.Fatal(err)
		}
		if d.image != "" {
			if err := os.Symlink(d.image, filepath.Join(o.DevRoot, d.name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk(filepath.Join(o.ProcRoot, "self", "mountinfo"), mountinfo)
	mk(filepath.Join(o.ProcRoot, "swaps"), "Filename\tType\tSize\tUsed\tPriority\n"+swaps)
	mk(filepath.Join(o.ProcRoot, "cmdline"), cmdline)
	return o
}

// mountLine is a mountinfo line for source mounted at point.
func mountLine(id int, point, fstype, source string) string {
	return strconv.Itoa(id) + " 1 8:1 / " + point + " rw,relatime - " + fstype + " " + source + " rw\n"
}

// TestProbeFakeSysfs probes a machine with SATA, USB (the live media),
// NVMe 4Kn, virtio, SAS, loop devices and the devices the probe skips.
func TestProbeFakeSysfs(t *testing.T) {
	// sda: GPT with EFI + ext4 Data (written for real), only sda1 known to the kernel
	sdaImg := writeGPT(t, 64<<20, 512, []testPart{
		{"EFI", TypeESP, 1 << 20, 8 << 20},
		{"Data", TypeSrv, 9 << 20, 32 << 20},
	})
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("needs mkfs.ext4 (e2fsprogs)")
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "old-data", "-E", "offset="+strconv.Itoa(9<<20), sdaImg, "32M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	isoImg := sparseImage(t, 1<<20)
	writeAt(t, isoImg, 32768, []byte("\x01CD001"))
	writeAt(t, isoImg, 32768+40, []byte("NODE_LIVE"))
	disks := []fakeDisk{
		{name: "sda", devPath: "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda", size: 500107862016, lsec: 512, psec: 4096,
			files: map[string]string{"device/model": "Samsung SSD 860", "device/vendor": "ATA     ", "device/vpd_pg80": "\x00\x80\x00\x0cS3Z9NB0K1234", "device/wwid": "naa.5002538e40a1b2c3", "queue/rotational": "0", "removable": "0", "ro": "0"},
			parts: []fakePart{{num: 1, start: 1 << 20, size: 8 << 20}}, image: sdaImg},
		{name: "sdb", devPath: "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb", size: 16013942784, lsec: 512, psec: 512,
			files: map[string]string{"device/model": "Cruzer Blade", "device/vendor": "SanDisk", "removable": "1", "queue/rotational": "1"},
			parts: []fakePart{{num: 1, start: 1 << 20, size: 4 << 30}}},
		{name: "nvme0n1", devPath: "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1", size: 1920383410176, lsec: 4096, psec: 4096,
			files: map[string]string{"device/model": "SAMSUNG MZQL21T9HCJR", "device/serial": "S64GNE0R123456", "wwid": "eui.36344730526054940025384500000001", "queue/rotational": "0"}},
		{name: "vda", devPath: "pci0000:00/0000:00:02.0/virtio1/block/vda", size: 21474836480, lsec: 512, psec: 512,
			files: map[string]string{"serial": "VIRTIO-1", "device/vendor": "0x1af4", "queue/rotational": "1"},
			parts: []fakePart{{num: 1, start: 1 << 20, size: 1 << 30}, {num: 2, start: 1<<20 + 1<<30, size: 2 << 30}}},
		{name: "sdc", devPath: "pci0000:00/0000:00:17.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sdc", size: 1200243695616, lsec: 4096, psec: 4096,
			files: map[string]string{"device/model": "AL15SEB120N", "device/vendor": "TOSHIBA", "device/vpd_pg80": "\x00\x80\x00\x0cY9A0A01XFXYZ", "queue/rotational": "1", "ro": "1"},
			parts: []fakePart{{num: 1, start: 1 << 20, size: 1 << 30, holders: []string{"md127"}}}},
		{name: "loop0", devPath: "virtual/block/loop0", size: 1 << 30, lsec: 512, psec: 512,
			files: map[string]string{"loop/backing_file": "/run/initramfs/live/LiveOS/squashfs.img", "ro": "1"}},
		{name: "loop1", devPath: "virtual/block/loop1", size: 0, lsec: 512, psec: 512},
		{name: "loop2", devPath: "virtual/block/loop2", size: 8 << 30, lsec: 512, psec: 512,
			files: map[string]string{"loop/backing_file": "/var/tmp/disk.img"}},
		{name: "sr0", devPath: "pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sr0", size: 1 << 20, lsec: 2048, psec: 2048,
			files: map[string]string{"device/model": "DVD-ROM", "removable": "1"}, image: isoImg},
		{name: "mmcblk0", devPath: "platform/fe320000.mmc/mmc_host/mmc0/mmc0:aaaa/block/mmcblk0", size: 31914983424, lsec: 512, psec: 512,
			files: map[string]string{"device/name": "SD32G", "device/serial": "0x1234abcd", "removable": "0"}},
		{name: "zram0", devPath: "virtual/block/zram0", size: 1 << 30, lsec: 4096, psec: 4096},
		{name: "dm-0", devPath: "virtual/block/dm-0", size: 1 << 30, lsec: 512, psec: 512},
		{name: "md127", devPath: "virtual/block/md127", size: 1 << 30, lsec: 4096, psec: 4096},
	}
	mountinfo := mountLine(20, "/run/initramfs/live", "vfat", "/dev/sdb1") +
		mountLine(21, "/run/rootfsbase", "squashfs", "/dev/loop0") +
		mountLine(22, "/mnt/old", "ext4", "/dev/vda2")
	// the USB device above sdb carries the stick's serial
	usbDev := "pci0000:00/0000:00:14.0/usb2/2-1/"
	o := fakeTree(t, disks, mountinfo, "/dev/vda1 partition 1048572 0 -2\n", "BOOT_IMAGE=/vmlinuz root=live:CDLABEL=NODE_LIVE rd.live.image")
	for f, v := range map[string]string{"idVendor": "0781", "serial": "4C530001230517113134"} {
		if err := os.WriteFile(filepath.Join(o.SysRoot, "devices", usbDev, f), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(o.DevRoot, "disk", "by-id"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Symlink("../../nvme0n1", filepath.Join(o.DevRoot, "disk", "by-id", "nvme-SAMSUNG_MZQL21T9HCJR_S64GNE0R123456"))
	os.Symlink("../../nvme0n1p1", filepath.Join(o.DevRoot, "disk", "by-id", "nvme-SAMSUNG_MZQL21T9HCJR_S64GNE0R123456-part1"))
	got, err := ProbeWith(o)
	if err != nil {
		t.Fatal(err)
	}
	dev := func(n string) string { return filepath.Join(o.DevRoot, n) }
	want := []Disk{
		{Name: "loop0", Path: dev("loop0"), Size: 1 << 30, LogicalSector: 512, PhysicalSector: 512, ReadOnly: true, Transport: "loop",
			BackingFile: "/run/initramfs/live/LiveOS/squashfs.img", InUse: "mounted at /run/rootfsbase", BootMedia: true},
		{Name: "loop2", Path: dev("loop2"), Size: 8 << 30, LogicalSector: 512, PhysicalSector: 512, Transport: "loop", BackingFile: "/var/tmp/disk.img"},
		{Name: "mmcblk0", Path: dev("mmcblk0"), Size: 31914983424, LogicalSector: 512, PhysicalSector: 512, Model: "SD32G", Serial: "0x1234abcd", Transport: "mmc"},
		{Name: "nvme0n1", Path: dev("nvme0n1"), Size: 1920383410176, LogicalSector: 4096, PhysicalSector: 4096, Model: "SAMSUNG MZQL21T9HCJR",
			Serial: "S64GNE0R123456", WWID: "eui.36344730526054940025384500000001", Transport: "nvme",
			ByID: []string{"/dev/disk/by-id/nvme-SAMSUNG_MZQL21T9HCJR_S64GNE0R123456"}},
		{Name: "sda", Path: dev("sda"), Size: 500107862016, LogicalSector: 512, PhysicalSector: 4096, Model: "Samsung SSD 860", Vendor: "ATA",
			Serial: "S3Z9NB0K1234", WWID: "naa.5002538e40a1b2c3", Transport: "ata", Table: "gpt",
			ByID: []string{"/dev/disk/by-id/ata-Samsung_SSD_860_S3Z9NB0K1234", "/dev/disk/by-id/wwn-0x5002538e40a1b2c3"},
			Partitions: []Partition{
				{Number: 1, Name: "sda1", Start: 1 << 20, Size: 8 << 20, PartLabel: "EFI", TypeGUID: TypeESP},
				{Number: 2, Start: 9 << 20, Size: 32 << 20, PartLabel: "Data", TypeGUID: TypeSrv, FSType: "ext4", Label: "old-data"},
			}},
		{Name: "sdb", Path: dev("sdb"), Size: 16013942784, LogicalSector: 512, PhysicalSector: 512, Model: "Cruzer Blade", Vendor: "SanDisk",
			Removable: true, Rotational: true, Transport: "usb", BootMedia: true, InUse: "sdb1 mounted at /run/initramfs/live",
			Serial: "4C530001230517113134", ByID: []string{"/dev/disk/by-id/usb-SanDisk_Cruzer_Blade_4C530001230517113134-0:0"},
			Partitions: []Partition{{Number: 1, Name: "sdb1", Start: 1 << 20, Size: 4 << 30, Mounted: "/run/initramfs/live"}}},
		{Name: "sdc", Path: dev("sdc"), Size: 1200243695616, LogicalSector: 4096, PhysicalSector: 4096, Model: "AL15SEB120N", Vendor: "TOSHIBA",
			Serial: "Y9A0A01XFXYZ", Rotational: true, ReadOnly: true, Transport: "scsi", Holders: []string{"sdc1:md127"}, InUse: "held by sdc1:md127",
			ByID:       []string{"/dev/disk/by-id/scsi-STOSHIBA_AL15SEB120N_Y9A0A01XFXYZ"},
			Partitions: []Partition{{Number: 1, Name: "sdc1", Start: 1 << 20, Size: 1 << 30}}},
		{Name: "sr0", Path: dev("sr0"), Size: 1 << 20, LogicalSector: 2048, PhysicalSector: 2048, Model: "DVD-ROM", Removable: true,
			Transport: "ata", Signature: "iso9660", Label: "NODE_LIVE", BootMedia: true},
		{Name: "vda", Path: dev("vda"), Size: 21474836480, LogicalSector: 512, PhysicalSector: 512, Serial: "VIRTIO-1", Rotational: true,
			Transport: "virtio", ByID: []string{"/dev/disk/by-id/virtio-VIRTIO-1"}, InUse: "vda1 is active swap; vda2 mounted at /mnt/old",
			Partitions: []Partition{{Number: 1, Name: "vda1", Start: 1 << 20, Size: 1 << 30, Mounted: "[SWAP]"}, {Number: 2, Name: "vda2", Start: 1<<20 + 1<<30, Size: 2 << 30, Mounted: "/mnt/old"}}},
	}
	// The disks the tree has no device node for cannot be read: their
	// contents are unknown, which the probe says instead of "empty".
	for i := range want {
		if want[i].Table == "gpt" { // random, written with the image
			for _, g := range got {
				if g.Name == want[i].Name && len(g.DiskGUID) == 36 {
					want[i].DiskGUID = g.DiskGUID
				}
			}
		}
		if _, err := os.Stat(want[i].Path); err != nil {
			want[i].ReadError = "open " + want[i].Path + ": no such file or directory"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Probe (-want +got):\n%s", diff)
	}
}

func TestNameOrder(t *testing.T) {
	names := []string{"sdaa", "nvme10n1", "sdb", "loop10", "vda", "sda", "nvme2n1", "loop2", "sdz", "mmcblk0"}
	ds := make([]Disk, len(names))
	for i, n := range names {
		ds[i].Name = n
	}
	SortDisks(ds)
	var got []string
	for _, d := range ds {
		got = append(got, d.Name)
	}
	want := []string{"loop2", "loop10", "mmcblk0", "nvme2n1", "nvme10n1", "sda", "sdb", "sdz", "sdaa", "vda"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestProbeImage(t *testing.T) {
	img := writeGPT(t, 32<<20, 512, []testPart{{"RootA", TypeRootX86_64, 1 << 20, 4 << 20}, {"RootB", TypeRootX86_64, 5 << 20, 4 << 20}, {"EFI", TypeESP, 9 << 20, 4 << 20}})
	d, err := ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if d.Transport != "file" || d.LogicalSector != 512 || d.Size != 32<<20 || d.Table != "gpt" || len(d.Partitions) != 3 || d.Installation == nil {
		t.Errorf("ProbeImage = %+v", d)
	}
	if _, err := ProbeImage(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: err = %v", err)
	}
	empty := filepath.Join(t.TempDir(), "e")
	os.WriteFile(empty, nil, 0o644)
	if _, err := ProbeImage(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: err = %v", err)
	}
}

// TestProbeImageInstallation probes an image holding an installation
// (written by Apply and the ESP package, as the engine does): the probe
// reads slots and versions from the ESP.
func TestProbeImageInstallation(t *testing.T) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("needs mkfs.ext4 (e2fsprogs)")
	}
	img, _ := apInstalled(t, 512, map[string]string{
		"/loader/loader.conf":         "timeout 3\n",
		"/node/product":               "node\n",
		"/node/A/version":             "4.5.1\n",
		"/loader/entries/node-A.conf": apEntry("A", "4.5.1"),
	})
	d, err := ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	in := d.Installation
	if in == nil || in.Product != "node" || len(in.Slots) == 0 || in.Slots[0].Name != "A" || in.Slots[0].Version != "4.5.1" || !in.Slots[0].Default {
		t.Fatalf("installation %+v", in)
	}
	if _, err := Choose(Spec{Init: true, Disks: []DiskRef{{Raw: img, Path: img}}}, []Disk{d}); err == nil || !strings.Contains(err.Error(), "holds an installation of this product") {
		t.Errorf("Choose of an installed image: %v", err)
	}
}

// The fingerprint tells a disk partitioned again with the same layout
// (what a second install or reinstall writes) from the one judged before,
// where Contents reads alike; reading the same disk twice gives the same.
func TestFingerprint(t *testing.T) {
	parts := []testPart{{"EFI", TypeESP, 1 << 20, 8 << 20}, {"Data", TypeSrv, 9 << 20, 32 << 20}}
	img := writeGPT(t, 64<<20, 512, parts)
	d, err := ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if again := Reread(d); Fingerprint(again) != Fingerprint(d) {
		t.Errorf("the same disk read twice:\n%s\n%s", Fingerprint(d), Fingerprint(again))
	}
	other, err := os.ReadFile(writeGPT(t, 64<<20, 512, parts))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, other, 0o644); err != nil {
		t.Fatal(err)
	}
	now := Reread(d)
	if Contents(now) != Contents(d) {
		t.Fatalf("contents differ: %q, %q", Contents(d), Contents(now))
	}
	if Fingerprint(now) == Fingerprint(d) {
		t.Errorf("partitioned again, same fingerprint:\n%s", Fingerprint(d))
	}
}
