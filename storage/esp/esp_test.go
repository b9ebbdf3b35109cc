package esp

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/internal/sparse"
)

// newImage makes a sparse image with an ESP at 1 MiB and returns its path.
func newImage(t *testing.T, espSize int64, sectorSize int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(espSize + 2<<20); err != nil {
		t.Fatal(err)
	}
	if err := Format(f, 1<<20, espSize, sectorSize, "NODE-EFI"); err != nil {
		t.Fatalf("Format: %v", err)
	}
	f.Close()
	return p
}

// fsck runs fsck.vfat -n on a copy of the ESP and fails on any complaint.
func fsck(t *testing.T, img string, espSize int64) {
	t.Helper()
	if _, err := exec.LookPath("fsck.vfat"); err != nil {
		t.Skip("needs fsck.vfat (dosfstools)")
	}
	part := extract(t, img, 1<<20, espSize)
	out, err := exec.Command("fsck.vfat", "-n", "-v", part).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.vfat -n: %v\n%s", err, out)
	}
	for _, bad := range []string{"Invalid", "Fixing", "differ", "Reclaim", "uninitialized", "should be", "Orphan", "broken", "Bad"} {
		if strings.Contains(string(out), bad) {
			t.Fatalf("fsck.vfat -n complains (%q):\n%s", bad, out)
		}
	}
}

// mtype reads a file with mtools, independently of this package.
func mtype(t *testing.T, img, path string) []byte {
	t.Helper()
	if _, err := exec.LookPath("mtype"); err != nil {
		t.Skip("needs mtools")
	}
	cmd := exec.Command("mtype", "-i", img+"@@1M", "::"+path)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtype %s: %v", path, err)
	}
	return out
}

func TestFormatSizes(t *testing.T) {
	cases := []struct {
		name    string
		size    int64
		sector  int
		wantErr bool
	}{
		{"512-byte sectors 512 MiB", 512 << 20, 512, false},
		{"512-byte sectors 40 MiB", 40 << 20, 512, false},
		{"512-byte sectors 64 MiB", 64 << 20, 512, false},
		{"512-byte sectors 33 MiB", 33 << 20, 512, false},
		{"512-byte sectors 100 MiB", 100 << 20, 512, false},
		{"4096-byte sectors 260 MiB", 260 << 20, 4096, false},
		{"4096-byte sectors 200 MiB too small", 200 << 20, 4096, true},
		{"512-byte sectors 16 MiB too small", 16 << 20, 512, true},
		{"bad sector size", 64 << 20, 520, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "disk.img")
			f, _ := os.Create(p)
			defer f.Close()
			f.Truncate(tc.size + 2<<20)
			err := Format(f, 1<<20, tc.size, tc.sector, "NODE-EFI")
			if (err != nil) != tc.wantErr {
				t.Fatalf("Format err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			fsck(t, p, tc.size)
			fsys, err := Open(p, 1<<20, tc.size, tc.sector)
			if err != nil {
				t.Fatal(err)
			}
			defer fsys.Close()
			if fsys.Label() != "NODE-EFI" {
				t.Errorf("label %q", fsys.Label())
			}
			if out, err := exec.Command("blkid", "-p", "-O", "1048576", "-s", "LABEL", "-s", "TYPE", "-o", "export", p).Output(); err == nil {
				if !strings.Contains(string(out), "LABEL=NODE-EFI") || !strings.Contains(string(out), "TYPE=vfat") {
					t.Errorf("blkid: %s", out)
				}
			}
		})
	}
}

func TestWriteRenameRemove(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", ss), func(t *testing.T) {
			size := int64(300 << 20)
			img := newImage(t, size, ss)
			fsys, err := Open(img, 1<<20, size, ss)
			if err != nil {
				t.Fatal(err)
			}
			big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16+7) // 3 MiB + odd tail
			files := map[string][]byte{
				"/EFI/BOOT/BOOTX64.EFI":            []byte("efi binary"),
				"/EFI/systemd/systemd-bootx64.efi": []byte("efi binary"),
				"/loader/loader.conf":              []byte("timeout 3\n"),
				"/loader/entries/node-A.conf":      []byte("title A\nversion 1.0\n"),
				"/loader/entries/node-B+3.conf":    []byte("title B\nversion 1.1\n"),
				"/node/A/initrd.img":               big,
				"/node/A/version":                  []byte("1.0\n"),
				"/node/product":                    []byte("node\n"),
				"/node/empty":                      nil,
				"/a very long file name with spaces and more than 26 characters.txt": []byte("x"),
			}
			for p, data := range files {
				if err := fsys.WriteFile(p, bytes.NewReader(data), int64(len(data))); err != nil {
					t.Fatalf("WriteFile %s: %v", p, err)
				}
			}
			// Many entries: the directory grows past one cluster.
			for i := range 100 {
				p := fmt.Sprintf("/many/file-%03d.data", i)
				if err := fsys.WriteFile(p, strings.NewReader(p), int64(len(p))); err != nil {
					t.Fatal(err)
				}
			}
			fsck(t, img, size)
			for p, want := range files {
				if got := mtype(t, img, p); !bytes.Equal(got, want) {
					t.Errorf("mtype %s: %d bytes, want %d", p, len(got), len(want))
				}
				got, err := fsys.ReadFile(p)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("ReadFile %s: %v (%d bytes)", p, err, len(got))
				}
			}
			// Boot counting renames, an overwrite, removals.
			steps := []struct {
				name string
				do   func() error
			}{
				{"rename +3 to +2-1", func() error {
					return fsys.Rename("/loader/entries/node-B+3.conf", "/loader/entries/node-B+2-1.conf")
				}},
				{"rename to plain", func() error {
					return fsys.Rename("/loader/entries/node-B+2-1.conf", "/loader/entries/node-B.conf")
				}},
				{"overwrite smaller", func() error { return fsys.WriteFile("/node/A/initrd.img", strings.NewReader("small"), 5) }},
				{"remove file", func() error { return fsys.Remove("/node/A/version") }},
				{"remove many", func() error {
					for i := range 100 {
						if err := fsys.Remove(fmt.Sprintf("/many/file-%03d.data", i)); err != nil {
							return err
						}
					}
					return fsys.Remove("/many")
				}},
				{"move file across dirs", func() error { return fsys.Rename("/node/product", "/node/A/product") }},
			}
			for _, s := range steps {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				fsck(t, img, size)
			}
			names, err := fsys.List("/loader/entries")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(names, ","); got != "node-A.conf,node-B.conf" {
				t.Errorf("List = %s", got)
			}
			if got := mtype(t, img, "/node/A/initrd.img"); string(got) != "small" {
				t.Errorf("overwritten file = %q", got)
			}
			if _, err := fsys.Stat("/node/A/version"); !os.IsNotExist(err) && !isNotExist(err) {
				t.Errorf("removed file: Stat err = %v", err)
			}
			if err := fsys.Close(); err != nil {
				t.Fatal(err)
			}
			fsck(t, img, size)
		})
	}
}

func isNotExist(err error) bool {
	return err != nil && strings.Contains(err.Error(), fs.ErrNotExist.Error())
}

func TestErrors(t *testing.T) {
	size := int64(40 << 20)
	img := newImage(t, size, 512)
	fsys, err := Open(img, 1<<20, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.WriteFile("/a/b.txt", strings.NewReader("x"), 1))
	must(fsys.WriteFile("/a/c.txt", strings.NewReader("y"), 1))
	cases := []struct {
		name string
		do   func() error
	}{
		{"short source", func() error { return fsys.WriteFile("/s", strings.NewReader("abc"), 10) }},
		{"long source", func() error { return fsys.WriteFile("/l", strings.NewReader("abcdef"), 3) }},
		{"bad name", func() error { return fsys.WriteFile("/a/b?c", strings.NewReader(""), 0) }},
		{"write over dir", func() error { return fsys.WriteFile("/a", strings.NewReader(""), 0) }},
		{"rename onto existing", func() error { return fsys.Rename("/a/b.txt", "/a/c.txt") }},
		{"rename missing", func() error { return fsys.Rename("/a/x", "/a/y") }},
		{"remove non-empty dir", func() error { return fsys.Remove("/a") }},
		{"too big", func() error { return fsys.WriteFile("/big", strings.NewReader(""), 100<<20) }},
		{"read dir", func() error { _, err := fsys.ReadFile("/a"); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err == nil {
				t.Fatal("no error")
			}
		})
	}
	fsck(t, img, size)
	ro, err := OpenReadOnly(mustOpen(t, img), 1<<20, size, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.WriteFile("/z", strings.NewReader(""), 0); err == nil {
		t.Error("read-only FS accepted a write")
	}
	if got, err := ro.ReadFile("/A/B.TXT"); err != nil || string(got) != "x" {
		t.Errorf("case-insensitive read: %q %v", got, err)
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// extract copies [off, off+size) of img to a new sparse file, copying only
// the data extents so that big sparse images stay cheap.
func extract(t *testing.T, img string, off, size int64) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "part.img")
	if err := sparse.CopyRange(dst, img, off, size); err != nil {
		t.Fatal(err)
	}
	return dst
}

// countingDev records the writes that reach the device.
type countingDev struct {
	*os.File
	writes []int64
}

func (c *countingDev) WriteAt(b []byte, off int64) (int, error) {
	c.writes = append(c.writes, off)
	return c.File.WriteAt(b, off)
}

// A boot-counting rename must be one sector write (atomic on power cut).
func TestRenameIsOneSectorWrite(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", ss), func(t *testing.T) {
			size := int64(300 << 20)
			img := newImage(t, size, ss)
			f, err := os.OpenFile(img, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dev := &countingDev{File: f}
			fsys, err := OpenDevice(dev, 1<<20, size, ss)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"/loader/entries/node-A.conf", "/loader/entries/node-B+3.conf"} {
				if err := fsys.WriteFile(p, strings.NewReader("title x\n"), 8); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range [][2]string{
				{"node-B+3.conf", "node-B+2-1.conf"},
				{"node-B+2-1.conf", "node-B+1-2.conf"},
				{"node-B+1-2.conf", "node-B+0-3.conf"},
				{"node-B+0-3.conf", "node-B.conf"},
				{"node-A.conf", "node-A+3.conf"},
			} {
				dev.writes = nil
				if err := fsys.Rename("/loader/entries/"+r[0], "/loader/entries/"+r[1]); err != nil {
					t.Fatal(err)
				}
				if len(dev.writes) != 1 {
					t.Errorf("rename %s -> %s: %d writes, want 1", r[0], r[1], len(dev.writes))
				}
			}
			fsys.Close()
			fsck(t, img, size)
		})
	}
}

// A name equal to another file's generated alias gets its own alias.
func TestAliasCollision(t *testing.T) {
	size := int64(40 << 20)
	img := newImage(t, size, 512)
	fsys, err := Open(img, 1<<20, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/d/node-B+3.conf", "/d/NODE-B~1.CON", "/d/NODE-B~2.CON"} {
		if err := fsys.WriteFile(p, strings.NewReader(p), int64(len(p))); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/d/node-B+3.conf", "/d/NODE-B~1.CON", "/d/NODE-B~2.CON"} {
		if got, err := fsys.ReadFile(p); err != nil || string(got) != p {
			t.Errorf("%s holds %q (%v)", p, got, err)
		}
	}
	fsys.Close()
	fsck(t, img, size) // duplicate short names would be reported
}
