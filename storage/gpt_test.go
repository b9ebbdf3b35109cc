package storage

import (
	"path/filepath"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

// testPart is a partition for writeGPT, in bytes.
type testPart struct {
	name, typ   string
	start, size int64
}

// writeGPT writes an image file of size bytes with a GPT (and protective
// MBR) holding parts, with the given logical sector size.
func writeGPT(t testing.TB, size int64, ss int, parts []testPart) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gpt.img")
	d, err := diskfs.Create(p, size, diskfs.SectorSize(ss))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tab := &gpt.Table{LogicalSectorSize: ss, PhysicalSectorSize: ss, ProtectiveMBR: true}
	for _, tp := range parts {
		tab.Partitions = append(tab.Partitions, &gpt.Partition{Index: len(tab.Partitions) + 1,
			Start: uint64(tp.start / int64(ss)), End: uint64((tp.start+tp.size)/int64(ss) - 1),
			Type: gpt.Type(tp.typ), Name: tp.name,
		})
	}
	if err := d.Partition(tab); err != nil {
		t.Fatal(err)
	}
	return p
}
