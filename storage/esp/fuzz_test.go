package esp

import (
	"bytes"
	"io"
	"path"
	"strings"
	"testing"
)

// memDev is a Device over a byte slice.
type memDev []byte

func (m memDev) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(b, m[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (m memDev) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > int64(len(m)) {
		return 0, io.ErrShortWrite
	}
	return copy(m[off:], b), nil
}

// tinyFAT builds a 64 KiB FAT32-structured filesystem (far below FAT32's
// real minimum, which Format enforces, but the reader accepts it) with an
// installation's files: a small seed for fuzzing the reader.
func tinyFAT(t testing.TB) []byte {
	g := geometry{sectorSize: 512, secPerClus: 1, reserved: 8, numFATs: 2, fatSectors: 1, totalSectors: 128}
	g.clusters = g.totalSectors - g.reserved - 2*g.fatSectors
	m := make(memDev, g.totalSectors*512)
	lbl, _ := shortLabel("NODE-EFI")
	copy(m[0:], bootSector(g, 1, lbl))
	copy(m[512:], fsInfoSector(g, uint32(g.clusters-1), 3))
	for k := range 2 {
		fat := m[(g.reserved+k)*512:]
		copy(fat, []byte{0xF8, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0x0F})
	}
	f, err := OpenDevice(m, 0, int64(len(m)), 512)
	if err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{
		"/node/product": "node\n", "/node/A/version": "1.0\n", "/loader/loader.conf": "timeout 3\n",
		"/loader/entries/node-A.conf": "title A\nversion 1.0\n", "/loader/entries/node-B+2-1.conf": "version 1.1\n",
	} {
		if err := f.WriteFile(p, strings.NewReader(s), int64(len(s))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzOpenReadOnly: a mutated FAT never panics or loops the reader.
func FuzzOpenReadOnly(f *testing.F) {
	f.Add(tinyFAT(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := OpenReadOnly(bytes.NewReader(data), 0, int64(len(data)), 0)
		if err != nil {
			return
		}
		var walk func(dir string, depth int)
		walk = func(dir string, depth int) {
			if depth > 4 {
				return // a directory may link back to its parent
			}
			names, err := fsys.List(dir)
			if err != nil {
				return
			}
			for _, n := range names {
				p := path.Join(dir, n)
				if st, err := fsys.Stat(p); err == nil && st.Dir {
					walk(p, depth+1)
				} else {
					fsys.ReadFile(p)
				}
			}
		}
		walk("/", 0)
	})
}

func TestTinyFATReads(t *testing.T) {
	fsys, err := OpenReadOnly(bytes.NewReader(tinyFAT(t)), 0, 0, 512)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fsys.List("/loader/entries")
	if err != nil || strings.Join(names, ",") != "node-A.conf,node-B+2-1.conf" {
		t.Fatalf("List: %v %v", names, err)
	}
}
