package storage

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// sparseImage makes an empty file of size bytes.
func sparseImage(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func writeAt(t testing.TB, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func detectFile(t *testing.T, path string) Signature {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	return DetectSignature(f, 0, st.Size())
}

// TestDetectSignatureTools formats images with the real mkfs tools and
// checks the reader names them as blkid would.
func TestDetectSignatureTools(t *testing.T) {
	cases := []struct {
		name, tool string
		args       []string
		want       Signature
	}{
		{"ext4", "mkfs.ext4", []string{"-q", "-F", "-L", "node-data"}, Signature{"ext4", "node-data"}},
		{"ext3", "mkfs.ext3", []string{"-q", "-F", "-L", "old"}, Signature{"ext3", "old"}},
		{"ext2", "mkfs.ext2", []string{"-q", "-F"}, Signature{"ext2", ""}},
		{"swap", "mkswap", []string{"-L", "node-swap"}, Signature{"swap", "node-swap"}},
		{"vfat", "mkfs.vfat", []string{"-F", "32", "-n", "NODE-EFI"}, Signature{"vfat", "NODE-EFI"}},
		{"vfat16", "mkfs.vfat", []string{"-F", "16"}, Signature{"vfat", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := exec.LookPath(c.tool); err != nil {
				t.Skipf("needs %s (test/deps.sh installs it)", c.tool)
			}
			img := sparseImage(t, 64<<20)
			out, err := exec.Command(c.tool, append(c.args, img)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.tool, err, out)
			}
			if got := detectFile(t, img); got != c.want {
				t.Errorf("DetectSignature = %+v, want %+v", got, c.want)
			}
		})
	}
	t.Run("squashfs", func(t *testing.T) {
		if _, err := exec.LookPath("mksquashfs"); err != nil {
			t.Skip("needs mksquashfs (squashfs-tools)")
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
		img := filepath.Join(t.TempDir(), "sq")
		if out, err := exec.Command("mksquashfs", dir, img, "-quiet", "-noappend").CombinedOutput(); err != nil {
			t.Fatalf("mksquashfs: %v\n%s", err, out)
		}
		if got := detectFile(t, img); got.FSType != "squashfs" {
			t.Errorf("got %+v, want squashfs", got)
		}
	})
}

// TestDetectSignatureMagic covers formats whose tools are not installed
// here, by writing their on-disk magic at the documented offsets.
func TestDetectSignatureMagic(t *testing.T) {
	le32 := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	type w struct {
		off int64
		b   []byte
	}
	cases := []struct {
		name   string
		writes []w
		want   Signature
	}{
		{"empty", nil, Signature{}},
		{"xfs", []w{{0, []byte("XFSB")}, {108, []byte("xlabel")}}, Signature{"xfs", "xlabel"}},
		{"btrfs", []w{{65536 + 64, []byte("_BHRfS_M")}, {65536 + 299, []byte("pool")}}, Signature{"btrfs", "pool"}},
		{"lvm2 sector 1", []w{{512, []byte("LABELONE")}, {512 + 24, []byte("LVM2 001")}}, Signature{"LVM2_member", ""}},
		{"mdraid 1.2", []w{{4096, le32(0xa92b4efc)}, {4096 + 32, []byte("host:0")}}, Signature{"linux_raid_member", "host:0"}},
		{"mdraid 1.0 at end", []w{{(64<<20 - 8192) &^ 4095, le32(0xa92b4efc)}}, Signature{"linux_raid_member", ""}},
		{"mdraid 0.90 at end", []w{{64<<20 - 65536, le32(0xa92b4efc)}}, Signature{"linux_raid_member", ""}},
		{"iso9660", []w{{32768, []byte("\x01CD001")}, {32768 + 40, []byte("NODE_LIVE")}}, Signature{"iso9660", "NODE_LIVE"}},
		{"luks", []w{{0, []byte("LUKS\xba\xbe")}}, Signature{"crypto_LUKS", ""}},
		{"swap 64k page", []w{{65536 - 10, []byte("SWAPSPACE2")}}, Signature{"swap", ""}},
		{"mbr is not fat", []w{{510, []byte{0x55, 0xAA}}}, Signature{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := sparseImage(t, 64<<20)
			for _, x := range c.writes {
				writeAt(t, img, x.off, x.b)
			}
			if got := detectFile(t, img); got != c.want {
				t.Errorf("DetectSignature = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestReadTable(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		img := writeGPT(t, 256<<20, ss, []testPart{
			{"EFI", TypeESP, 1 << 20, 100 << 20},
			{"Data", TypeSrv, 101 << 20, 50 << 20},
		})
		f, _ := os.Open(img)
		tb := readPartTable(f, 256<<20, ss)
		f.Close()
		if tb.Kind != "gpt" || len(tb.Parts) != 2 {
			t.Fatalf("ss %d: table %+v", ss, tb)
		}
		e := tb.Parts[1]
		if e.Name != "Data" || e.TypeGUID != TypeSrv || e.Start != 101<<20 || e.Size != 50<<20 {
			t.Errorf("ss %d: entry %+v", ss, e)
		}
	}
}

// An MBR disk with an ext4 primary and an LVM logical partition: the
// probe (behind plan, auto and the TUI) lists both, with their
// signatures, as inspect does; it used to say "an empty DOS table".
func TestProbeDOSPartitions(t *testing.T) {
	img := sparseImage(t, 64<<20)
	le := func(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	entry := func(typ byte, start, n uint32) []byte {
		return append(append([]byte{0, 0, 0, 0, typ, 0, 0, 0}, le(start)...), le(n)...)
	}
	writeAt(t, img, 446, entry(0x83, 2048, 20480))     // 1: ext4, 10 MiB at 1 MiB
	writeAt(t, img, 446+16, entry(0x05, 22528, 40960)) // 2: extended
	writeAt(t, img, 510, []byte{0x55, 0xAA})
	ebr := int64(22528) * 512 // the first EBR: a logical LVM partition 2048 sectors in
	writeAt(t, img, ebr+446, entry(0x8e, 2048, 20480))
	writeAt(t, img, ebr+510, []byte{0x55, 0xAA})
	writeAt(t, img, 2048*512+1024+56, []byte{0x53, 0xEF}) // ext superblock magic
	lvm := ebr + 2048*512 + 512
	writeAt(t, img, lvm, []byte("LABELONE"))
	writeAt(t, img, lvm+24, []byte("LVM2 001"))
	d, err := ProbeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if d.Table != "dos" || len(d.Partitions) != 3 {
		t.Fatalf("table %q partitions %+v, want dos with 3 (ext4, extended, logical LVM)", d.Table, d.Partitions)
	}
	var fs []string
	for _, p := range d.Partitions {
		fs = append(fs, p.FSType)
	}
	if !strings.HasPrefix(fs[0], "ext") || fs[2] != "LVM2_member" || d.Partitions[2].Number != 5 {
		t.Errorf("partitions %+v", d.Partitions)
	}
	if c := Contents(d); !strings.Contains(c, "ext2") || !strings.Contains(c, "LVM2_member") {
		t.Errorf("Contents = %q", c)
	}
}

// A disk that cannot be read is not an empty disk: ReadError is set and
// it is never chosen.
func TestProbeUnreadableDisk(t *testing.T) {
	d := Disk{Name: "sdz", Path: "/dev/sdz", Size: 8 << 30, LogicalSector: 512}
	contents(&d, failingReader{})
	if d.ReadError == "" || d.Table != "" || len(d.Partitions) != 0 {
		t.Fatalf("after a read error: %+v", d)
	}
	if why := Unwritable(d); !strings.Contains(why, "cannot be read") {
		t.Errorf("Unwritable = %q", why)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, syscall.EIO }
