package installer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/internal/bls"
	"node-installer/internal/event"
	"node-installer/storage"
)

// recorder keeps every event.
type recorder struct{ events []event.Event }

func (r *recorder) Emit(e event.Event) { r.events = append(r.events, e) }

// checkFractions fails unless the run's fraction never goes back, moves
// on at every step and ends at 1 (the bar stayed at 0 % through an
// uninstall and an upgrade).
func (r *recorder) checkFractions(t *testing.T) {
	t.Helper()
	last, moves := 0.0, 0
	for _, e := range r.events {
		if e.Fraction < last {
			t.Errorf("%s %s: fraction %.3f after %.3f", e.Kind, e.Step, e.Fraction, last)
		}
		if e.Fraction > last {
			moves++
		}
		last = max(last, e.Fraction)
	}
	if last != 1 || moves < len(r.steps())-1 {
		t.Errorf("the fraction ends at %.3f after %d moves over %d steps, want 1", last, moves, len(r.steps()))
	}
}

func (r *recorder) steps() []string {
	var out []string
	for _, e := range r.events {
		if e.Kind == event.StepStarted {
			out = append(out, e.Step)
		}
	}
	return out
}

// slotBytes reads n bytes of the named partition.
func slotBytes(t *testing.T, d storage.Disk, name string, n int64) []byte {
	t.Helper()
	p, err := partitionByName(d, name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, p.Start); err != nil {
		t.Fatal(err)
	}
	return b
}

func fsckESP(t *testing.T, d storage.Disk) {
	t.Helper()
	fsck, err := exec.LookPath("fsck.vfat")
	if err != nil {
		t.Log("fsck.vfat not installed: ESP consistency not checked")
		return
	}
	p, _ := partitionByName(d, "EFI")
	img := filepath.Join(t.TempDir(), "esp.img")
	src, err := os.Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	err = copyNonZero(dst, io.NewSectionReader(src, p.Start, p.Size), p.Size)
	if cerr := dst.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if out, err := exec.Command(fsck, "-n", img).CombinedOutput(); err != nil {
		t.Errorf("fsck.vfat -n: %v\n%s", err, out)
	}
}

func TestUpgradeDiskSequence(t *testing.T) {
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 5<<20)
	v2 := makeBundle(t, filepath.Join(dir, "v2"), "1.2.0", 9<<20)
	v21 := makeBundle(t, filepath.Join(dir, "v21"), "1.3.0", 6<<20)
	d := makeInstalled(t, dir, v1)
	cfg := Defaults()

	// v1 -> v2 into slot B.
	rec := &recorder{}
	p, err := UpgradeDisk(context.Background(), d, v2, cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"open", "marker", "remove-old-entries", "write-slot", "write-kernel", "write-initrd", "write-version", "commit", "finish"}
	if got := rec.steps(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps %v, want %v", got, want)
	}
	rec.checkFractions(t)
	if p.Target != "B" || p.Entry.File != "node-B+3.conf" {
		t.Errorf("plan target %s entry %s", p.Target, p.Entry.File)
	}
	st := readState(t, d)
	order := st.BootOrder()
	if len(order) != 2 || order[0].File != "node-B+3.conf" || order[1].File != "node-A.conf" || st.Marker {
		t.Fatalf("after v2: order %v marker %v others %v", files(order), st.Marker, st.Others)
	}
	root2, _ := os.ReadFile(v2.Path("rootfs"))
	if !bytes.Equal(slotBytes(t, d, "RootB", int64(len(root2))), root2) {
		t.Error("slot B does not hold the v2 image")
	}
	root1, _ := os.ReadFile(v1.Path("rootfs"))
	if !bytes.Equal(slotBytes(t, d, "RootA", int64(len(root1))), root1) {
		t.Error("slot A (fallback) changed")
	}
	if st.SlotVersion["B"] != "1.2.0" || st.SlotVersion["A"] != "1.1.0" {
		t.Errorf("versions %v", st.SlotVersion)
	}
	fsckESP(t, d)

	// A second upgrade before v2 booted is refused, writing nothing.
	before, _ := os.ReadFile(d.Path)
	if _, err := UpgradeDisk(context.Background(), d, v21, cfg, nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("upgrade over a pending entry: err %v, want ErrRefused", err)
	}
	after, _ := os.ReadFile(d.Path)
	if !bytes.Equal(before, after) {
		t.Error("a refused upgrade changed the disk")
	}

	// The node blesses its boot (what systemd-boot and the booted system
	// do: +3 -> +2-1 -> node-B.conf), then v2 -> v2.1 goes into slot A.
	bless(t, d, "node-B+3.conf", "node-B+2-1.conf")
	bless(t, d, "node-B+2-1.conf", "node-B.conf")
	if _, err := UpgradeDisk(context.Background(), d, v21, cfg, nil); err != nil {
		t.Fatal(err)
	}
	st = readState(t, d)
	order = st.BootOrder()
	if len(order) != 2 || order[0].File != "node-A+3.conf" || order[1].File != "node-B.conf" || st.SlotVersion["A"] != "1.3.0" {
		t.Fatalf("after v2.1: order %v versions %v", files(order), st.SlotVersion)
	}
	// Its tries run out: the disk falls back to v2 in slot B.
	bless(t, d, "node-A+3.conf", "node-A+0-3.conf")
	st = readState(t, d)
	if in := st.Installation(); !in.Slots[1].Default || in.Slots[1].Version != "1.2.0" {
		t.Errorf("after exhausting v2.1: %+v", in)
	}
	fsckESP(t, d)

	// Same version again is a same-version reinstall into slot A.
	p, err = UpgradeDisk(context.Background(), d, v2, cfg, nil)
	if err != nil || p.Change != ChangeSame || p.Target != "A" {
		t.Fatalf("same-version reinstall: %v %+v", err, p)
	}
	// Downgrade without permission is refused.
	bless(t, d, "node-A+3.conf", "node-A.conf")
	if _, err := UpgradeDisk(context.Background(), d, v1, cfg, nil); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "allow_downgrade") {
		t.Fatalf("downgrade: %v", err)
	}
	cfg.Unattended.AllowDowngrade = true
	if p, err := UpgradeDisk(context.Background(), d, v1, cfg, nil); err != nil || p.Change != ChangeDowngrade || p.Target != "B" {
		t.Fatalf("allowed downgrade: %v %+v", err, p)
	}
	fsckESP(t, d)
}

func files(es []bls.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.File)
	}
	return out
}

// bless renames a loader entry the way systemd-boot (counting down) and
// the booted system (marking a good boot) do.
func bless(t *testing.T, d storage.Disk, from, to string) {
	t.Helper()
	h, err := claimDisk(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fsys, err := openESP(h, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename(EntriesDir+"/"+from, EntriesDir+"/"+to); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeDiskBadMediaKeepsOldDefault(t *testing.T) {
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 5<<20)
	v2 := makeBundle(t, filepath.Join(dir, "v2"), "1.2.0", 9<<20)
	d := makeInstalled(t, dir, v1)
	// Corrupt one byte of the v2 image after its manifest was written.
	f, err := os.OpenFile(v2.Path("rootfs"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xFF, 0x00, 0xFF}, 5<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = UpgradeDisk(context.Background(), d, v2, Defaults(), nil)
	if err == nil || !strings.Contains(err.Error(), "slot RootB") {
		t.Fatalf("corrupt image: err %v, want a slot write error", err)
	}
	st := readState(t, d)
	order := st.BootOrder()
	if len(order) != 1 || order[0].File != "node-A.conf" || !st.Marker {
		t.Fatalf("after a failed upgrade: order %v marker %v", files(order), st.Marker)
	}
	if in := st.Installation(); !in.Slots[0].Default || !in.NotFinished {
		t.Errorf("installation %+v", in)
	}
	// A rerun with good media completes.
	v2ok := makeBundle(t, filepath.Join(dir, "v2ok"), "1.2.0", 9<<20)
	if _, err := UpgradeDisk(context.Background(), d, v2ok, Defaults(), nil); err != nil {
		t.Fatal(err)
	}
	if st := readState(t, d); st.Marker || st.BootOrder()[0].File != "node-B+3.conf" {
		t.Errorf("rerun: marker %v order %v", st.Marker, files(st.BootOrder()))
	}
}

// copyNonZero copies size bytes of r to the start of w, leaving holes
// where r has all-zero 64 KiB blocks (an ESP is mostly empty).
func copyNonZero(w *os.File, r io.Reader, size int64) error {
	if err := w.Truncate(size); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for off := int64(0); off < size; {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), size-off)])
		if n > 0 && !allZero(buf[:n]) {
			if _, werr := w.WriteAt(buf[:n], off); werr != nil {
				return werr
			}
		}
		off += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
