package storage

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"node-installer/internal/testutil"
	"node-installer/storage/esp"
)

// manyEntriesESP is a 40 MiB FAT32 ESP holding 4000 loader entries named
// like ours (a crafted USB stick), kept gzipped: writing it takes the ESP
// writer half a minute (it is made for a handful of files), so it is
// written only with -update.
const manyEntriesESP = "testdata/esp-4000-entries.img.gz"

type memImage []byte

func (m memImage) ReadAt(b []byte, off int64) (int, error)  { return copy(b, m[off:]), nil }
func (m memImage) WriteAt(b []byte, off int64) (int, error) { return copy(m[off:], b), nil }

func writeManyEntriesESP(t *testing.T) {
	const size = 40 << 20
	m := make(memImage, size)
	if err := esp.Format(m, 0, size, 512, "STICK"); err != nil {
		t.Fatal(err)
	}
	fsys, err := esp.OpenDevice(m, 0, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4000 {
		body := fmt.Sprintf("title x\nlinux /node/A/vmlinuz\nversion 1.%d\n", i)
		if err := fsys.WriteFile(fmt.Sprintf("/loader/entries/node-A+%d.conf", i), strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(m)
	zw.Close()
	if err := os.WriteFile(manyEntriesESP, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// manyEntriesImage is the ESP of manyEntriesESP, unpacked.
func manyEntriesImage(t *testing.T) []byte {
	t.Helper()
	zf, err := os.Open(manyEntriesESP)
	if err != nil {
		t.Fatalf("%v (go test -run TestInspectManyLoaderEntries -update writes it)", err)
	}
	defer zf.Close()
	zr, err := gzip.NewReader(zf)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Reading that ESP is linear and capped: well under half a second, with a
// note that says what was left out. It took 12.5 s before (every lookup
// parsed the whole directory again).
func TestInspectManyLoaderEntries(t *testing.T) {
	if testutil.Updating() {
		writeManyEntriesESP(t)
	}
	data := manyEntriesImage(t)
	size := int64(len(data))
	start := time.Now()
	inst, notes, err := InstallationOf(bytes.NewReader(data), 0, size)
	took := time.Since(start)
	if err != nil || inst == nil {
		t.Fatalf("InstallationOf: %v %v", inst, err)
	}
	t.Logf("InstallationOf with 4000 entries: %v", took)
	if took > 500*time.Millisecond {
		t.Errorf("took %v, want < 0.5 s", took)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "only the first 64 were read") {
		t.Errorf("no note about the cap: %d notes", len(notes))
	}

	// Inspect of a disk image holding it as its ESP.
	img := writeGPT(t, size+4<<20, 512, []testPart{{"EFI", TypeESP, 1 << 20, size}})
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start = time.Now()
	rep := Inspect(img)
	took = time.Since(start)
	t.Logf("Inspect: %v", took)
	if rep.Installation == nil || took > 500*time.Millisecond {
		t.Errorf("Inspect took %v, installation %v", took, rep.Installation)
	}
	start = time.Now()
	d, err := ProbeImage(img)
	t.Logf("ProbeImage: %v", time.Since(start))
	if err != nil || d.Installation == nil || time.Since(start) > 500*time.Millisecond {
		t.Errorf("ProbeImage: %v, installation %v, %v", err, d.Installation, time.Since(start))
	}
	if len(d.Notes) != 1 || !strings.HasPrefix(d.Notes[0], "ESP (partition 1): more than 64 loader entries") {
		t.Errorf("the probe does not say what it left unread: %q", d.Notes)
	}
}

// An ESP whose /loader/entries is a file, or whose marker holds garbage,
// says so instead of a bare "none found" or raw bytes.
func TestInstallationOfDamagedESP(t *testing.T) {
	const size = 40 << 20
	m := make(memImage, size)
	if err := esp.Format(m, 0, size, 512, "NODE-EFI"); err != nil {
		t.Fatal(err)
	}
	fsys, err := esp.OpenDevice(m, 0, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{"/loader/entries": "not a dir", "/node/unfinished": "install\x1b[2J\x00garbage",
		"/node/product": "node", "/EFI/x/node-A+99999999999999999999999.conf": ""} {
		if err := fsys.WriteFile(p, strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	fsys.Close()
	_, notes, err := InstallationOf(m, 0, size)
	all := strings.Join(notes, "\n")
	if err != nil || !strings.Contains(all, "ESP /loader/entries:") || strings.ContainsAny(all, "\x1b\x00") {
		t.Errorf("err %v, notes:\n%q", err, all)
	}
}

// A loader entry whose counter overflows is not a bogus slot.
func TestInstallationOfCounterOverflow(t *testing.T) {
	const size = 40 << 20
	m := make(memImage, size)
	if err := esp.Format(m, 0, size, 512, "NODE-EFI"); err != nil {
		t.Fatal(err)
	}
	fsys, _ := esp.OpenDevice(m, 0, size, 512)
	for p, body := range map[string]string{"/node/product": "node\n", "/node/A/version": "1.0\n",
		"/loader/entries/node-A.conf":                         "linux /node/A/vmlinuz\nversion 1.0\n",
		"/loader/entries/node-B+99999999999999999999999.conf": "linux /node/B/vmlinuz\nversion 2.0\n"} {
		if err := fsys.WriteFile(p, strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	fsys.Close()
	inst, notes, err := InstallationOf(m, 0, size)
	if err != nil || inst == nil {
		t.Fatal(inst, err)
	}
	for _, s := range inst.Slots {
		if s.Name != "A" && s.Name != "B" {
			t.Errorf("bogus slot %q", s.Name)
		}
		if s.Default && s.Name != "A" {
			t.Errorf("default slot %s", s.Name)
		}
	}
	if !strings.Contains(strings.Join(notes, "\n"), "boot counter out of range") {
		t.Errorf("notes %q", notes)
	}
}

// slowReader answers every read after a pause (a failing USB stick).
type slowReader struct {
	r     io.ReaderAt
	pause time.Duration
}

func (s slowReader) ReadAt(b []byte, off int64) (int, error) {
	time.Sleep(s.pause)
	return s.r.ReadAt(b, off)
}

// What the probe reads of one ESP is bounded in bytes and time: past
// either, it stops and says so, and the plan warns naming the disk.
func TestESPReadBudget(t *testing.T) {
	data := manyEntriesImage(t)
	saved := espBudget
	t.Cleanup(func() { espBudget = saved })
	for _, tt := range []struct {
		name  string
		bytes int64
		time  time.Duration
		pause time.Duration
		want  string
	}{
		{"bytes", 256 << 10, time.Minute, 0, "not read to the end (more than 256.0 KiB to read)"},
		{"time", 1 << 30, 20 * time.Millisecond, 5 * time.Millisecond, "not read to the end (still reading after 20ms)"},
		{"within", 1 << 30, time.Minute, 0, "more than 64 loader entries named like this product's"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			espBudget.bytes, espBudget.time = tt.bytes, tt.time
			start := time.Now()
			_, _, capped, _ := readESP(slowReader{bytes.NewReader(data), tt.pause}, 0, int64(len(data)))
			if !strings.Contains(capped, tt.want) {
				t.Errorf("capped %q, want %q", capped, tt.want)
			}
			if took := time.Since(start); took > tt.time+time.Second {
				t.Errorf("took %v with a budget of %v", took, tt.time)
			}
		})
	}
}
