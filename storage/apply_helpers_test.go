package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"node-installer/internal/sparse"
	"node-installer/internal/testutil"
)

// testLayout builds the SPEC §4 layout with small sizes (MiB) on a disk of
// size bytes, 1 MiB aligned; Data fills the rest.
func apLayout(path string, size int64, ss int) DiskLayout {
	efi := int64(64)
	if ss == 4096 {
		efi = 260
	}
	vols := []struct {
		name    string
		typ     string
		mib     int64
		content Content
		label   string
	}{
		{"EFI", TypeESP, efi, ContentESP, "NODE-EFI"},
		{"RootA", RootTypeGUID(), 64, ContentSlot, ""},
		{"RootB", RootTypeGUID(), 64, ContentSlot, ""},
		{"Config", TypeLinuxData, 16, ContentExt4, "node-config"},
		{"Logging", TypeLinuxData, 32, ContentExt4, "node-logging"},
		{"Swap", TypeSwap, 16, ContentSwap, "node-swap"},
		{"Data", TypeSrv, -1, ContentExt4, "node-data"},
	}
	s := int64(ss)
	dl := DiskLayout{Disk: Disk{Name: filepath.Base(path), Path: path, Size: size, LogicalSector: ss, PhysicalSector: ss, Transport: "file"},
		Role: "boot", SectorSize: ss}
	start := int64(1 << 20)
	for i, v := range vols {
		n := v.mib << 20
		if v.mib < 0 {
			end := (size - 1<<20) &^ (1<<20 - 1) // leave room for the backup GPT
			n = end - start
		}
		dl.Partitions = append(dl.Partitions, PlannedPartition{Number: i + 1, Name: v.name, Vol: Vol(v.name), TypeGUID: v.typ,
			Start: uint64(start / s), Size: uint64(n / s), Content: v.content, Label: v.label})
		start += n
	}
	return dl
}

// apSparse creates a sparse image file of size bytes.
func apSparse(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

func apNeed(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("needs %s (see test/deps.sh)", n)
		}
	}
}

func apRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// apExtract copies [off, off+size) of img into a new sparse file, copying
// only the data extents, so big sparse images stay cheap to check.
func apExtract(t testing.TB, img string, off, size int64) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "part.img")
	if err := sparse.CopyRange(dst, img, off, size); err != nil {
		t.Fatal(err)
	}
	return dst
}

// golden compares got with testdata/NAME, rewriting it with -update.
func apGolden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got)
}

var guidRe = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// apNormDump makes an sfdisk --dump stable: random GUIDs and the
// image path are replaced.
func apNormDump(dump, img string) string {
	var out []string
	for _, l := range strings.Split(dump, "\n") {
		l = strings.ReplaceAll(l, img, "IMG")
		if strings.HasPrefix(l, "label-id:") {
			l = "label-id: GUID"
		}
		if i := strings.Index(l, "uuid="); i >= 0 {
			l = l[:i] + "uuid=GUID" + guidRe.ReplaceAllString(l[i+5+36:], "GUID")
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// apBlkid probes the area at off with blkid (low-level, no cache).
func apBlkid(t testing.TB, img string, off, size int64) map[string]string {
	t.Helper()
	out, _ := exec.Command("blkid", "-p", "-O", apItoa(off), "-S", apItoa(size), "-o", "export", img).Output()
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func apItoa(n int64) string { return strconv.FormatInt(n, 10) }

func apCmd(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// apSHA fingerprints a disk's content with SHA-256. For a regular file
// only the data extents are read (SEEK_DATA), in 64 KiB blocks, and
// all-zero blocks are skipped, so a big sparse image is cheap and the
// result depends on the content only, not on how it is allocated.
func apSHA(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() {
		if _, err := io.Copy(h, f); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	const seekData, seekHole, blk = 3, 4, 64 << 10
	fmt.Fprintf(h, "size %d\n", st.Size())
	buf := make([]byte, blk)
	zero := make([]byte, blk)
	next := int64(-1) // first block not yet hashed
	for pos := int64(0); pos < st.Size(); {
		d, err := f.Seek(pos, seekData)
		if err != nil {
			break // no more data
		}
		e, err := f.Seek(d, seekHole)
		if err != nil {
			t.Fatal(err)
		}
		for b := d / blk * blk; b < e; b += blk {
			if b <= next {
				continue
			}
			next = b
			n, _ := f.ReadAt(buf, b)
			if !bytes.Equal(buf[:n], zero[:n]) {
				fmt.Fprintf(h, "block %d\n", b)
				h.Write(buf[:n])
			}
		}
		pos = e
	}
	return hex.EncodeToString(h.Sum(nil))
}
