package esp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWriteFile64M writes a 64 MiB file (a kernel+initrd's order of
// size) to a 512 MiB ESP on an image file, replacing it each round.
func BenchmarkWriteFile64M(b *testing.B) {
	size := int64(512 << 20)
	p := filepath.Join(b.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	f.Truncate(size + 2<<20)
	if err := Format(f, 1<<20, size, 512, "NODE-EFI"); err != nil {
		b.Fatal(err)
	}
	fsys, err := OpenDevice(f, 1<<20, size, 512)
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte{0x5a}, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := fsys.WriteFile("/node/A/initrd.img", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
	if err := fsys.Close(); err != nil {
		b.Fatal(err)
	}
}
