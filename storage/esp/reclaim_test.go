package esp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRerunAfterCutLeavesCleanESP replays a kill after every write of an
// upgrade's ESP work (a new kernel and initrd, a replaced version file,
// an old entry removed), then does what the re-run does first (open the
// ESP for writing and close it): fsck.vfat -n must find the result clean
// (no lost clusters, a true free count) at every cut.
func TestRerunAfterCutLeavesCleanESP(t *testing.T) {
	if _, err := exec.LookPath("fsck.vfat"); err != nil {
		t.Skip("fsck.vfat (dosfstools) not installed: test/deps.sh installs it")
	}
	const size = 40 << 20
	m := make(memDev, size)
	if err := Format(m, 0, size, 512, "NODE-EFI"); err != nil {
		t.Fatal(err)
	}
	setup, err := OpenDevice(m, 0, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	for p, n := range map[string]int{"/node/A/vmlinuz": 300 << 10, "/node/A/version": 6, "/loader/entries/node-A.conf": 80} {
		if err := setup.WriteFile(p, bytes.NewReader(bytes.Repeat([]byte{'a'}, n)), int64(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := setup.Close(); err != nil {
		t.Fatal(err)
	}
	base := append([]byte(nil), m...)
	r := &recDev{memDev: append(memDev(nil), m...)}
	f, err := OpenDevice(r, 0, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		p string
		n int
	}{{"/node/B/vmlinuz", 700 << 10}, {"/node/B/initrd.img", 900 << 10}, {"/node/A/version", 9}, {"/loader/entries/node-B+3.conf", 90}} {
		if err := f.WriteFile(w.p, bytes.NewReader(bytes.Repeat([]byte{'b'}, w.n)), int64(w.n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Remove("/loader/entries/node-A.conf"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	img := filepath.Join(t.TempDir(), "esp.img")
	dirty := 0
	eachCut(base, r, func(k int, cut []byte) {
		re := append(memDev(nil), cut...)
		fsys, err := OpenDevice(re, 0, size, 512)
		if err != nil {
			t.Fatalf("cut after write %d: reopen: %v", k, err)
		}
		if err := fsys.Close(); err != nil {
			t.Fatalf("cut after write %d: close: %v", k, err)
		}
		if err := os.WriteFile(img, re, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("fsck.vfat", "-n", img).CombinedOutput(); err != nil {
			dirty++
			if dirty <= 3 {
				t.Errorf("cut after write %d of %d: fsck.vfat -n after the re-run's open: %v\n%s", k, len(r.writes), err, out)
			}
		}
	})
	if dirty > 0 {
		t.Errorf("%d of %d cuts left an unclean ESP", dirty, len(r.writes)+1)
	}
}
