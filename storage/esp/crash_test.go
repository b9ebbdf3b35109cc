package esp

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// recDev records the writes of an operation so that a power cut after
// any of them can be replayed.
type recDev struct {
	memDev
	writes []struct {
		off  int64
		data []byte
	}
}

func (r *recDev) WriteAt(b []byte, off int64) (int, error) {
	r.writes = append(r.writes, struct {
		off  int64
		data []byte
	}{off, append([]byte(nil), b...)})
	return r.memDev.WriteAt(b, off)
}

// eachCut calls fn with the disk as it would be after a power cut
// following each write of the recorded operation (writes reach the disk
// in order; directory and FAT writes are single sectors). One image
// buffer is reused: the images are big.
func eachCut(base []byte, r *recDev, fn func(k int, img []byte)) {
	img := append([]byte(nil), base...)
	fn(0, img)
	for k, w := range r.writes {
		copy(img[w.off:], w.data)
		fn(k+1, img)
	}
}

// TestPowerCut replays a power cut after every write of a file
// replacement and of boot-counting renames: the file always reads as the
// old or the new content, and an entry always has exactly one name.
func TestPowerCut(t *testing.T) {
	const size = 40 << 20
	m := make(memDev, size)
	if err := Format(m, 0, size, 512, "NODE-EFI"); err != nil {
		t.Fatal(err)
	}
	setup, err := OpenDevice(m, 0, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	oldData := bytes.Repeat([]byte("old-"), 3000)
	newData := bytes.Repeat([]byte("NEW!"), 5000)
	for p, d := range map[string][]byte{
		"/node/A/initrd.img": oldData, "/loader/entries/node-A.conf": []byte("version 1\n"),
		"/loader/entries/node-B+3.conf": []byte("version 2\n"),
	} {
		if err := setup.WriteFile(p, bytes.NewReader(d), int64(len(d))); err != nil {
			t.Fatal(err)
		}
	}
	setup.Close()

	run := func(t *testing.T, op func(*FS) error, check func(t *testing.T, f *FS)) {
		base := append([]byte(nil), m...)
		r := &recDev{memDev: append(memDev(nil), m...)}
		f, err := OpenDevice(r, 0, size, 512)
		if err != nil {
			t.Fatal(err)
		}
		if err := op(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		eachCut(base, r, func(k int, img []byte) {
			ro, err := OpenReadOnly(bytes.NewReader(img), 0, size, 512)
			if err != nil {
				t.Fatalf("cut after %d writes: %v", k, err)
			}
			t.Run("cut after write "+itoa(k), func(t *testing.T) { check(t, ro) })
		})
	}
	t.Run("replace a file", func(t *testing.T) {
		run(t, func(f *FS) error {
			return f.WriteFile("/node/A/initrd.img", bytes.NewReader(newData), int64(len(newData)))
		}, func(t *testing.T, f *FS) {
			got, err := f.ReadFile("/node/A/initrd.img")
			if err != nil || !(bytes.Equal(got, oldData) || bytes.Equal(got, newData)) {
				t.Fatalf("file is neither old nor new: %d bytes, %v", len(got), err)
			}
		})
	})
	for _, r := range [][2]string{{"node-B+3.conf", "node-B+2-1.conf"}, {"node-A.conf", "node-A+3.conf"}} {
		t.Run("rename "+r[0]+" to "+r[1], func(t *testing.T) {
			run(t, func(f *FS) error {
				return f.Rename("/loader/entries/"+r[0], "/loader/entries/"+r[1])
			}, func(t *testing.T, f *FS) {
				_, e1 := f.ReadFile("/loader/entries/" + r[0])
				_, e2 := f.ReadFile("/loader/entries/" + r[1])
				if (e1 == nil) == (e2 == nil) || (e1 != nil && !errors.Is(e1, fs.ErrNotExist)) {
					t.Fatalf("old name: %v, new name: %v; want exactly one", e1, e2)
				}
				names, _ := f.List("/loader/entries")
				if len(names) != 2 {
					t.Fatalf("entries: %s", strings.Join(names, ","))
				}
			})
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
