package storage

import (
	"context"
	"testing"
)

// benchLayout is the SPEC §4 default layout on a 64 GiB disk: EFI 512 MiB,
// two 4 GiB slots, Config 64 MiB, Logging 2 GiB, Swap 8 GiB, Data the rest.
func apBenchLayout(path string, size int64) DiskLayout {
	vols := []struct {
		name    string
		typ     string
		mib     int64
		content Content
		label   string
	}{
		{"EFI", TypeESP, 512, ContentESP, "NODE-EFI"},
		{"RootA", RootTypeGUID(), 4096, ContentSlot, ""},
		{"RootB", RootTypeGUID(), 4096, ContentSlot, ""},
		{"Config", TypeLinuxData, 64, ContentExt4, "node-config"},
		{"Logging", TypeLinuxData, 2048, ContentExt4, "node-logging"},
		{"Swap", TypeSwap, 8192, ContentSwap, "node-swap"},
		{"Data", TypeSrv, -1, ContentExt4, "node-data"},
	}
	dl := DiskLayout{Disk: Disk{Path: path, Size: size}, Role: "boot", SectorSize: 512}
	start := int64(1 << 20)
	for i, v := range vols {
		n := v.mib << 20
		if v.mib < 0 {
			n = (size-1<<20)&^(1<<20-1) - start
		}
		dl.Partitions = append(dl.Partitions, PlannedPartition{Number: i + 1, Name: v.name, TypeGUID: v.typ,
			Start: uint64(start / 512), Size: uint64(n / 512), Content: v.content, Label: v.label})
		start += n
	}
	return dl
}

// BenchmarkApply64G: the whole apply (signatures, GPT, ESP, three ext4,
// swap) on a 64 GiB sparse image.
func BenchmarkApply64G(b *testing.B) {
	apNeed(b, "mkfs.ext4")
	size := int64(64 << 30)
	img := apSparse(b, size)
	dl := apBenchLayout(img, size)
	for b.Loop() {
		if err := Apply(context.Background(), dl, nil); err != nil {
			b.Fatal(err)
		}
	}
}
