package storage

import (
	"bytes"
	"os"
	"testing"
)

// FuzzProbeContents feeds arbitrary disk heads (mutated GPT, MBR and
// filesystem superblocks) to the table and signature readers: they must
// never panic, and what they report must stay within the disk.
func FuzzProbeContents(f *testing.F) {
	for _, ss := range []int{512, 4096} {
		img := writeGPT(f, 4<<20, ss, []testPart{{"EFI", TypeESP, 1 << 20, 1 << 20}, {"RootA", TypeRootX86_64, 2 << 20, 1 << 20}})
		b, err := os.ReadFile(img)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:24<<10], ss == 4096)
	}
	ext := make([]byte, 4096)
	ext[1024+56], ext[1024+57] = 0x53, 0xEF
	f.Add(ext, false)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, data []byte, fourK bool) {
		d := Disk{Name: "fuzz", Size: int64(len(data)), LogicalSector: 512}
		if fourK {
			d.LogicalSector = 4096
		}
		contents(&d, bytes.NewReader(data))
		for _, p := range d.Partitions {
			if p.Number <= 0 || p.Number > 1024 {
				t.Errorf("partition number %d", p.Number)
			}
		}
		if d.Table == "" && len(d.Partitions) > 0 {
			t.Errorf("partitions %+v without a table", d.Partitions)
		}
	})
}
