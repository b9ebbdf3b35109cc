package esp

import (
	"encoding/binary"
	"errors"
	"testing"
)

// zeroDev reads as its boot sector followed by zeros, however far.
type zeroDev []byte

func (z zeroDev) ReadAt(b []byte, off int64) (int, error) {
	clear(b)
	if off < int64(len(z)) {
		copy(b, z[off:])
	}
	return len(b), nil
}

// A read-only open (a disk that may not be ours) reads no FAT larger than
// an ESP's and no directory longer than FAT's 65536 entries: a crafted
// stick costs neither hundreds of MiB of memory nor a long read.
func TestReadOnlyCaps(t *testing.T) {
	lbl, _ := shortLabel("STICK")
	// a FAT of 36 MB (9 M clusters of 512 bytes)
	g := geometry{sectorSize: 512, secPerClus: 1, reserved: 8, numFATs: 1, fatSectors: 70400, totalSectors: 8 + 70400 + 9_000_000}
	g.clusters = g.totalSectors - g.reserved - g.fatSectors
	if _, err := OpenReadOnly(zeroDev(bootSector(g, 2, lbl)), 0, 0, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a FAT of %d MiB opened read-only: %v", g.clusters*4>>20, err)
	}

	// a root directory of n clusters of 512 bytes
	for _, tt := range []struct {
		clusters int
		ok       bool
	}{{4096, true}, {4097, false}, {6000, false}} {
		g := geometry{sectorSize: 512, secPerClus: 1, reserved: 8, numFATs: 1, fatSectors: 64}
		g.totalSectors = g.reserved + g.fatSectors + 7000
		g.clusters = 7000
		m := make(memDev, g.totalSectors*512)
		copy(m, bootSector(g, 2, lbl))
		fat := m[g.reserved*512:]
		binary.LittleEndian.PutUint32(fat[0:], 0x0FFFFFF8)
		binary.LittleEndian.PutUint32(fat[4:], 0x0FFFFFFF)
		for c := 2; c < 2+tt.clusters; c++ {
			next := uint32(c + 1)
			if c == 1+tt.clusters {
				next = 0x0FFFFFFF
			}
			binary.LittleEndian.PutUint32(fat[c*4:], next)
		}
		fsys, err := OpenReadOnly(m, 0, int64(len(m)), 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fsys.List("/")
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("root directory of %d clusters (%d entries): %v", tt.clusters, tt.clusters*16, err)
		}
	}
}
