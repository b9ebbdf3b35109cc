package installer

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"node-installer/installer/media"
	"node-installer/internal/bls"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// Fixture sizes: the ESP must hold FAT32's 65525 clusters.
const (
	fixESPMiB  = 40
	fixSlotMiB = 24
	fixMiB     = 1 << 20
)

// makeBundle writes a media bundle of product "node" and version into
// dir: a pseudo-random root image of rootfsSize bytes (seeded by the
// version, so two versions differ) and small kernel, initrd and loader.
func makeBundle(t testing.TB, dir, version string, rootfsSize int) *media.Bundle {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var seed [32]byte
	copy(seed[:], "lifecycle "+version)
	rnd := rand.NewChaCha8(seed)
	for role, size := range map[media.Role]int{media.RoleRootfs: rootfsSize, media.RoleKernel: 96 << 10, media.RoleInitrd: 64 << 10, media.RoleBootloader: 32 << 10} {
		data := make([]byte, size)
		_, _ = rnd.Read(data)
		copy(data, "node "+version+" "+string(role)+"\n")
		if err := os.WriteFile(filepath.Join(dir, media.DefaultNames[role]), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := media.Create(dir, "node", version, ""); err != nil {
		t.Fatal(err)
	}
	b, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeInstalled writes an image file holding an installation of b in
// slot A as the on-disk contract describes it (GPT names, ESP files, the
// entry node-A.conf without sort-key or counter) and returns it probed.
func makeInstalled(t testing.TB, dir string, b *media.Bundle) storage.Disk {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	size := int64(2+fixESPMiB+2*fixSlotMiB+8+2) * fixMiB
	d, err := diskfs.Create(img, size, diskfs.SectorSizeDefault)
	if err != nil {
		t.Fatal(err)
	}
	parts := []*gpt.Partition{}
	start := uint64(2048)
	for i, p := range []struct {
		name string
		mib  uint64
		typ  gpt.Type
	}{{"EFI", fixESPMiB, gpt.EFISystemPartition}, {"RootA", fixSlotMiB, gpt.LinuxFilesystem}, {"RootB", fixSlotMiB, gpt.LinuxFilesystem}, {"Config", 8, gpt.LinuxFilesystem}} {
		n := p.mib * fixMiB / 512
		parts = append(parts, &gpt.Partition{Index: i + 1, Start: start, End: start + n - 1, Size: n * 512, Type: p.typ, Name: p.name})
		start += n
	}
	if err := d.Partition(&gpt.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, ProtectiveMBR: true, Partitions: parts}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	espStart, espSize := int64(parts[0].Start)*512, int64(parts[0].Size)
	if err := esp.Format(f, espStart, espSize, 512, "NODE-EFI"); err != nil {
		t.Fatal(err)
	}
	fsys, err := esp.OpenDevice(f, espStart, espSize, 512)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Manifest
	ver := MediaVersion(m)
	put := func(p string, data []byte) {
		t.Helper()
		if err := fsys.WriteFile(p, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	read := func(role media.Role) []byte {
		data, err := os.ReadFile(b.Path(role))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	put("/EFI/BOOT/BOOTX64.EFI", read(media.RoleBootloader))
	put("/loader/loader.conf", []byte("timeout 0\neditor no\n"))
	put("/node/product", []byte(m.Product+"\n"))
	put("/node/A/vmlinuz", read(media.RoleKernel))
	put("/node/A/initrd.img", read(media.RoleInitrd))
	put("/node/A/version", []byte(ver+"\n"))
	e := bls.Entry{Title: m.Product + " " + ver, Version: ver, Linux: "/node/A/vmlinuz", Initrd: []string{"/node/A/initrd.img"},
		Options: "root=PARTLABEL=RootA node.slot=A console=ttyS0"}
	put("/loader/entries/node-A.conf", e.Render())
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(read(media.RoleRootfs), int64(parts[1].Start)*512); err != nil {
		t.Fatal(err)
	}
	disk, err := storage.ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	return disk
}

// readState reads the lifecycle state of an image's ESP read-only.
func readState(t testing.TB, d storage.Disk) ESPState {
	t.Helper()
	f, err := os.Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := ReadESP(readOnlyESP(t, d, f))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// readOnlyESP opens the ESP of d read-only through f.
func readOnlyESP(t testing.TB, d storage.Disk, f *os.File) *esp.FS {
	t.Helper()
	p, err := partitionByName(d, "EFI")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := esp.OpenReadOnly(f, p.Start, p.Size, 512)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}
