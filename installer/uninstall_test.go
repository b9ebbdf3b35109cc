package installer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"node-installer/installer/media"
	"node-installer/storage"
)

// makeForeign writes an image with another system's GPT (an "EFI" and a
// "Data" partition, the first one FAT32-formatted by mkfs.vfat when present).
func makeForeign(t *testing.T, dir string) storage.Disk {
	t.Helper()
	img := filepath.Join(dir, "foreign.img")
	d, err := diskfs.Create(img, 64<<20, diskfs.SectorSizeDefault)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Partition(&gpt.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, ProtectiveMBR: true, Partitions: []*gpt.Partition{
		{Index: 1, Start: 2048, End: 2048 + 40*2048 - 1, Type: gpt.EFISystemPartition, Name: "EFI"},
		{Index: 2, Start: 2048 + 40*2048, End: 2048 + 60*2048 - 1, Type: gpt.LinuxFilesystem, Name: "Data"},
	}}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	disk, err := storage.ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	return disk
}

func TestUninstallDisks(t *testing.T) {
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 3<<20)
	// A real squashfs root image, so RootB carries a signature.
	if err := media.BuildDemo(filepath.Join(dir, "v2"), "1.2.0"); err != nil {
		t.Fatal(err)
	}
	v2, err := media.Open(filepath.Join(dir, "v2"))
	if err != nil {
		t.Fatal(err)
	}
	d := makeInstalled(t, filepath.Join(dir, "node"), v1)
	if _, err := UpgradeDisk(context.Background(), d, v2, Defaults(), nil); err != nil {
		t.Fatal(err)
	}
	other := makeForeign(t, dir)
	otherSHA := fileSHA(t, other.Path)
	d, _ = storage.ProbeImage(d.Path)

	set := PlanUninstallSet(storage.Spec{}, []storage.Disk{d, other})
	if len(set.Problems) > 0 || len(set.Disks) != 1 || set.Disks[0].Path != d.Path {
		t.Fatalf("set %+v", set)
	}
	rec := &recorder{}
	rep, err := UninstallDisks(context.Background(), set, UninstallOptions{EFIVarsDir: filepath.Join(dir, "no-efivars")}, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"open", "marker", "remove-entries", "remove-files", "firmware-entries", "wipe-signatures", "wipe-table", "report"}
	if d := cmp.Diff(want, rec.steps()); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	rec.checkFractions(t)
	text := rep.Text()
	for _, s := range []string{"file /loader/entries/node-A.conf", "file /loader/entries/node-B+3.conf", "file /node/B/vmlinuz",
		"file /EFI/BOOT/BOOTX64.EFI", "signature partition 1 (EFI) vfat NODE-EFI", "signature partition 3 (RootB) squashfs",
		"partition-table protective MBR and primary GPT (1048576 bytes at 0)", "partition-table backup GPT", "not touched " + other.Path} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q:\n%s", s, text)
		}
	}
	after, err := storage.ProbeImage(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Table != "" || after.Signature != "" || len(after.Partitions) != 0 || after.Installation != nil {
		t.Errorf("after uninstall: table %q signature %q partitions %v", after.Table, after.Signature, after.Partitions)
	}
	f, _ := os.Open(d.Path)
	defer f.Close()
	for _, p := range d.Partitions {
		if s := storage.DetectSignature(f, p.Start, p.Size); s.FSType != "" {
			t.Errorf("partition %s: signature %s left", p.PartLabel, s.FSType)
		}
	}
	if blkid, err := exec.LookPath("blkid"); err == nil {
		out, err := exec.Command(blkid, "-p", "-o", "export", d.Path).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("blkid -p still finds something (%v):\n%s", err, out)
		}
	}
	if fileSHA(t, other.Path) != otherSHA {
		t.Error("the other disk changed")
	}
	// A rerun finds nothing left to uninstall.
	if set := PlanUninstallSet(storage.Spec{}, []storage.Disk{after, other}); len(set.Problems) == 0 {
		t.Errorf("rerun set %+v, want 'nothing to uninstall'", set)
	}
}

func TestParseFirmwareEntries(t *testing.T) {
	listing := "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: 0003,0001\n" +
		"Boot0001* UEFI QEMU HARDDISK\tPciRoot(0x0)/Pci(0x2,0x0)\n" +
		"Boot0003* node\tHD(1,GPT,1B4E28BA-2FA1-11D2-883F-B9A761BDE3FB,0x800,0x14000)/File(\\EFI\\systemd\\systemd-bootx64.efi)\n" +
		"Boot0004  node  HD(1,MBR,0x1234,0x800,0x1000)/File(\\x.efi)\n" +
		"BootNext: 0003\n"
	got := ParseFirmwareEntries(listing)
	want := []FirmwareEntry{
		{Num: "0001", Label: "UEFI QEMU HARDDISK"},
		{Num: "0003", Label: "node", PartUUID: "1b4e28ba-2fa1-11d2-883f-b9a761bde3fb"},
		{Num: "0004", Label: "node"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseFirmwareEntries (-want +got):\n%s", d)
	}
}

func TestGPTPartUUID(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "d.img")
	d, err := diskfs.Create(img, 8<<20, diskfs.SectorSizeDefault)
	if err != nil {
		t.Fatal(err)
	}
	const guid = "1B4E28BA-2FA1-11D2-883F-B9A761BDE3FB"
	if err := d.Partition(&gpt.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, ProtectiveMBR: true, Partitions: []*gpt.Partition{
		{Index: 1, Start: 2048, End: 4095, Type: gpt.EFISystemPartition, Name: "EFI", GUID: guid}}}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	f, _ := os.Open(img)
	defer f.Close()
	if got := gptPartUUID(f, 512, 1); got != strings.ToLower(guid) {
		t.Errorf("gptPartUUID = %q, want %q", got, strings.ToLower(guid))
	}
	if got := gptPartUUID(f, 512, 200); got != "" {
		t.Errorf("gptPartUUID of a missing entry = %q", got)
	}
}
