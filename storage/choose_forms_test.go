package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceForms: the device names oVirt's storage_init took (cciss
// bus and paths, udev ID_SERIAL with the model, by-path, multipath
// names) pick the disk they name, or are refused saying why.
func TestDeviceForms(t *testing.T) {
	const gib = int64(1) << 30
	cciss := Disk{Name: "cciss!c0d0", Path: "/dev/cciss/c0d0", Size: 300 * gib, LogicalSector: 512, PhysicalSector: 512,
		Transport: "cciss", Serial: "5001438012345678", ByID: []string{"/dev/disk/by-id/cciss-3600508b1001c5e5a0000000000000000"}}
	sda := Disk{Name: "sda", Path: "/dev/sda", Size: 500 * gib, LogicalSector: 512, PhysicalSector: 512, Transport: "ata",
		Model: "Samsung SSD 860 EVO 500GB", Serial: "S3Z9NB0K123456A", WWID: "naa.5002538e40a1b2c3",
		ByID:   []string{"/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z9NB0K123456A", "/dev/disk/by-id/wwn-0x5002538e40a1b2c3"},
		ByPath: []string{"/dev/disk/by-path/pci-0000:00:17.0-ata-1"}}
	sdb := Disk{Name: "sdb", Path: "/dev/sdb", Size: 900 * gib, LogicalSector: 512, PhysicalSector: 512, Transport: "scsi",
		Model: "LOGICAL VOLUME", Vendor: "HP", Serial: "PDNLH0BRH9F2E9", WWID: "naa.600508b1001c5e5a",
		ByID: []string{"/dev/disk/by-id/scsi-3600508b1001c5e5a"}}
	// one LUN seen through two paths, no multipathd: the same WWID twice
	mp1 := Disk{Name: "sdc", Path: "/dev/sdc", Size: 100 * gib, LogicalSector: 512, PhysicalSector: 512, Transport: "scsi", WWID: "naa.60014059f1b2c3d4"}
	mp2 := mp1
	mp2.Name, mp2.Path = "sdd", "/dev/sdd"
	held := Disk{Name: "sde", Path: "/dev/sde", Size: 100 * gib, LogicalSector: 512, PhysicalSector: 512, Transport: "scsi",
		WWID: "naa.6001405aaaaaaaaa", InUse: "held by dm-0"}
	disks := []Disk{cciss, sda, sdb, mp1, mp2, held}
	cases := []struct {
		item, boot, reason, err string
	}{
		{"/dev/cciss/c0d0", "cciss!c0d0", "path /dev/cciss/c0d0", ""},
		{"cciss", "cciss!c0d0", "bus cciss", ""},
		{"cciss:5001438012345678", "cciss!c0d0", "serial 5001438012345678", ""},
		{"cciss:3600508b1001c5e5a0000000000000000", "cciss!c0d0", "ID_SERIAL", ""},
		{"ata:Samsung_SSD_860_EVO_500GB_S3Z9NB0K123456A", "sda", "ID_SERIAL Samsung_SSD_860_EVO_500GB_S3Z9NB0K123456A", ""},
		{"scsi:3600508b1001c5e5a", "sdb", "ID_SERIAL 3600508b1001c5e5a", ""},
		{"/dev/disk/by-path/pci-0000:00:17.0-ata-1", "sda", "path /dev/disk/by-path/pci-0000:00:17.0-ata-1", ""},
		{"/dev/disk/by-path/pci-0000:00:17.0-*", "sda", "by-path", ""},
		{"/dev/mapper/3600508b1001c5e5a", "sdb", "the multipath name of WWID naa.600508b1001c5e5a", ""},
		{"/dev/mapper/360014059f1b2c3d4", "", "", "one multipath LUN seen through sdc, sdd: installing onto a multipath device is not supported"},
		{"/dev/mapper/36001405aaaaaaaaa", "", "", "in use: held by dm-0"},
		{"ata:Samsung_SSD_860_EVO_500GB", "", "", "matches no disk"},
	}
	for _, c := range cases {
		t.Run(c.item, func(t *testing.T) {
			ref := DiskRef{Raw: c.item}
			if strings.HasPrefix(c.item, "/") {
				ref.Path = c.item
			} else {
				ref.Bus, ref.Serial, _ = strings.Cut(c.item, ":")
			}
			ch, err := Choose(Spec{Init: true, Disks: []DiskRef{ref}}, disks)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Boot.Name != c.boot {
				t.Fatalf("boot %s, want %s", ch.Boot.Name, c.boot)
			}
			for _, cand := range ch.Candidates {
				if cand.Disk.Name == c.boot && !strings.Contains(cand.Reason, c.reason) {
					t.Errorf("reason %q, want %q", cand.Reason, c.reason)
				}
			}
		})
	}
}

func TestMultipathWWID(t *testing.T) {
	for in, want := range map[string]string{
		"naa.600508B1001C5E5A": "3600508b1001c5e5a", "eui.0025385b71b0e1d2": "20025385b71b0e1d2",
		"t10.ATA     QEMU HARDDISK": "", "": "", "naa.": "",
	} {
		if got := MultipathWWID(in); got != want {
			t.Errorf("MultipathWWID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProbeCciss: an HP Smart Array logical drive of the cciss driver is
// the block device cciss!c0d0 in sysfs and /dev/cciss/c0d0 in /dev; its
// bus is cciss and its udev by-id link is found.
func TestProbeCciss(t *testing.T) {
	o := fakeTree(t, []fakeDisk{{name: "cciss!c0d0", devPath: "pci0000:00/0000:00:03.0/0000:06:00.0/cciss0/c0d0/block/cciss!c0d0",
		size: 300 << 30, lsec: 512, psec: 512}}, "", "", "")
	byID := filepath.Join(o.DevRoot, "disk", "by-id")
	if err := os.MkdirAll(byID, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../cciss/c0d0", filepath.Join(byID, "cciss-3600508b1001c5e5a")); err != nil {
		t.Fatal(err)
	}
	ds, err := ProbeWith(o)
	if err != nil || len(ds) != 1 {
		t.Fatalf("probe: %v %v", ds, err)
	}
	d := ds[0]
	if d.Path != filepath.Join(o.DevRoot, "cciss", "c0d0") || d.Transport != "cciss" {
		t.Errorf("path %s transport %s, want %s/cciss/c0d0 and cciss", d.Path, d.Transport, o.DevRoot)
	}
	if len(d.ByID) != 1 || d.ByID[0] != "/dev/disk/by-id/cciss-3600508b1001c5e5a" {
		t.Errorf("by-id %v", d.ByID)
	}
}
