package installer

// Crash-safety harness: the test binary re-executes itself as a child
// that runs a lifecycle action on an image file and stops (prints a line
// and blocks) at kill point N: every step boundary (each step-started and
// step-finished event) and, during the slot write, the first progress
// event at or past a seeded random byte offset. The parent SIGKILLs it
// there, checks what the disk boots, then reruns the action to the end.
//
// A SIGKILL is not a power cut: what the child wrote is in the page cache
// and survives. The order of writes and the commit points are what this
// proves; the VM power-cut scenario (test/e2e) covers lost caches.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// Environment of the child.
const (
	envCrashChild  = "LIFECYCLE_CRASH_CHILD" // action to run: "upgrade", "uninstall"
	envCrashDisk   = "LIFECYCLE_CRASH_DISK"
	envCrashMedia  = "LIFECYCLE_CRASH_MEDIA"
	envCrashAt     = "LIFECYCLE_CRASH_AT"      // stop at the Nth boundary event (1-based)
	envCrashAtByte = "LIFECYCLE_CRASH_AT_BYTE" // stop at the first slot progress >= this
)

// stopSink stops the child at its kill point: it prints where and blocks
// the emitting goroutine (the action itself) until the parent kills it.
type stopSink struct {
	at, atByte int64
	n          int64
}

func (s *stopSink) Emit(e event.Event) {
	stop := func(what string) {
		fmt.Printf("STOPPED %d %s %s\n", s.n, e.Step, what)
		os.Stdout.Sync()
		select {} // the parent SIGKILLs us here
	}
	switch e.Kind {
	case event.StepStarted, event.StepFinished:
		s.n++
		if s.n == s.at {
			stop(string(e.Kind))
		}
	case event.Progress:
		if s.atByte > 0 && e.Step == "write-slot" && e.Bytes >= s.atByte {
			stop(fmt.Sprintf("byte %d", e.Bytes))
		}
	}
}

// TestCrashChild is the child's entry point; it does nothing unless the
// parent test set LIFECYCLE_CRASH_CHILD.
func TestCrashChild(t *testing.T) {
	action := os.Getenv(envCrashChild)
	if action == "" {
		t.Skip("crash-safety child: runs only under TestCrash*")
	}
	at, _ := strconv.ParseInt(os.Getenv(envCrashAt), 10, 64)
	atByte, _ := strconv.ParseInt(os.Getenv(envCrashAtByte), 10, 64)
	sink := &stopSink{at: at, atByte: atByte}
	d, err := storage.ProbeImage(os.Getenv(envCrashDisk))
	if err != nil {
		t.Fatal(err)
	}
	switch action {
	case "install", "reinstall":
		b, err := media.Open(os.Getenv(envCrashMedia))
		if err != nil {
			t.Fatal(err)
		}
		if err := runInstallAction(context.Background(), action, os.Getenv(envCrashSpec), b, sink); err != nil {
			t.Fatal(err)
		}
	case "upgrade":
		b, err := media.Open(os.Getenv(envCrashMedia))
		if err != nil {
			t.Fatal(err)
		}
		_, err = UpgradeDisk(context.Background(), d, b, Defaults(), sink)
		if err != nil {
			t.Fatal(err)
		}
	default:
		if err := crashChildAction(action, d, sink); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("COMPLETED %d\n", sink.n)
}

// crashResult is how a child run ended.
type crashResult struct {
	stopped   bool
	boundary  int64
	step      string
	what      string
	completed int64 // boundary count of a completed run
}

// runCrashChild runs the child until its kill point and SIGKILLs it there.
func runCrashChild(t *testing.T, action, disk, mediaDir string, at, atByte int64) crashResult {
	t.Helper()
	return runCrashChildEnv(t, action, disk, mediaDir, at, atByte)
}

// runCrashChildSpec runs an install or reinstall child with a spec file.
func runCrashChildSpec(t *testing.T, action, disk, mediaDir, specFile string, at int64) crashResult {
	t.Helper()
	return runCrashChildEnv(t, action, disk, mediaDir, at, 0, envCrashSpec+"="+specFile)
}

func runCrashChildEnv(t *testing.T, action, disk, mediaDir string, at, atByte int64, env ...string) crashResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"="+action, envCrashDisk+"="+disk, envCrashMedia+"="+mediaDir,
		fmt.Sprintf("%s=%d", envCrashAt, at), fmt.Sprintf("%s=%d", envCrashAtByte, atByte))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var res crashResult
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "STOPPED" {
			res.stopped = true
			res.boundary, _ = strconv.ParseInt(f[1], 10, 64)
			res.step, res.what = f[2], strings.Join(f[3:], " ")
			_ = cmd.Process.Kill() // SIGKILL
			break
		}
		if len(f) == 2 && f[0] == "COMPLETED" {
			res.completed, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	err = cmd.Wait()
	if !res.stopped && (err != nil || res.completed == 0) {
		t.Fatalf("child %s at=%d byte=%d: %v\nstdout:\n%s\nstderr:\n%s", action, at, atByte, err, strings.Join(lines, "\n"), stderr.String())
	}
	return res
}

// fileSHA hashes an image file's size and data extents (SEEK_DATA and
// SEEK_HOLE), so a sparse 100 MiB image hashes in milliseconds; any write
// into it changes the result.
func fileSHA(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", st.Size())
	for off := int64(0); off < st.Size(); {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if err != nil {
			break // ENXIO: a hole up to the end
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "extent %d %d\n", data, hole-data)
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			t.Fatal(err)
		}
		off = hole
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkBootsComplete asserts that the disk's default entry boots a
// complete version: its kernel and initrd and its slot image are exactly
// those of one of the bundles, and the slot's version stamp says so. It
// returns the version booted.
func checkBootsComplete(t *testing.T, d storage.Disk, bundles ...*media.Bundle) string {
	t.Helper()
	st := readState(t, d)
	order := st.BootOrder()
	if len(order) == 0 {
		t.Fatalf("no bootable entry: entries %v others %v", files(st.Entries), st.Others)
	}
	def := order[0]
	slot := EntrySlot(def)
	inspectAgrees(t, d.Path, slot, st.Marker)
	var b *media.Bundle
	for _, c := range bundles {
		if MediaVersion(c.Manifest) == def.Version {
			b = c
		}
	}
	if b == nil {
		t.Fatalf("default entry %s has version %q of no bundle", def.File, def.Version)
	}
	if st.SlotVersion[slot] != def.Version {
		t.Errorf("default %s: slot %s stamp %q, entry says %q", def.File, slot, st.SlotVersion[slot], def.Version)
	}
	rootfs, _ := b.Manifest.File(media.RoleRootfs)
	p, _ := partitionByName(d, "Root"+slot)
	f, err := os.Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := verifyRange(context.Background(), f, p.Start, rootfs.Size, rootfs.Digest()); err != nil {
		t.Errorf("default %s: slot %s: %v", def.File, slot, err)
	}
	fsys := readOnlyESP(t, d, f)
	for role, name := range map[media.Role]string{media.RoleKernel: "vmlinuz", media.RoleInitrd: "initrd.img"} {
		data, err := fsys.ReadFile(slotFile(slot, name))
		mf, _ := b.Manifest.File(role)
		if s := sha256.Sum256(data); err != nil || hex.EncodeToString(s[:]) != mf.SHA256 {
			t.Errorf("default %s: %s: %v (sha %x)", def.File, slotFile(slot, name), err, s)
		}
	}
	return def.Version
}

// inspectAgrees checks that storage.Inspect (what `node-installer
// inspect` prints) sees the same default slot ("" = none) and the same
// not-finished state as the lifecycle's own reading of the ESP.
func inspectAgrees(t *testing.T, disk, defaultSlot string, notFinished bool) {
	t.Helper()
	rep := storage.Inspect(disk)
	in := rep.Installation
	if in == nil {
		t.Errorf("storage.Inspect finds no installation (problems %v, error %q)", rep.Problems, rep.Error)
		return
	}
	got := ""
	for _, s := range in.Slots {
		if s.Default {
			got = s.Name
		}
	}
	if got != defaultSlot || in.NotFinished != notFinished {
		t.Errorf("storage.Inspect: default slot %q not finished %v; the lifecycle reads %q %v", got, in.NotFinished, defaultSlot, notFinished)
	}
}

// TestCrashUpgrade kills an upgrade at every step boundary and at seeded
// random offsets of the slot write: the first upgrade after an install
// (v1 in A -> v2 into B), and a second one (v2 in B, blessed, v1 still in
// A as its fallback -> v3 into A, which first removes A's entry).
func TestCrashUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("crash-safety harness: skipped with -short")
	}
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 5<<20)
	v2 := makeBundle(t, filepath.Join(dir, "v2"), "1.2.0", 10<<20) // 3 slot writes (4 MiB each)
	v3 := makeBundle(t, filepath.Join(dir, "v3"), "1.3.0", 7<<20)
	t.Run("first", func(t *testing.T) {
		crashUpgrade(t, makeInstalled(t, filepath.Join(dir, "first"), v1), v1, v2, "A", 5)
	})
	t.Run("second", func(t *testing.T) {
		d := makeInstalled(t, filepath.Join(dir, "second"), v1)
		if _, err := UpgradeDisk(context.Background(), d, v2, Defaults(), nil); err != nil {
			t.Fatal(err)
		}
		bless(t, d, "node-B+3.conf", "node-B.conf")
		crashUpgrade(t, d, v2, v3, "B", 2)
	})
}

// crashUpgrade kills the upgrade of a copy of base (booting old) to new at
// every step boundary and at byteKills seeded slot-write offsets.
func crashUpgrade(t *testing.T, base storage.Disk, old, new *media.Bundle, oldSlot string, byteKills int) {
	dir := t.TempDir()
	verOld, verNew := MediaVersion(old.Manifest), MediaVersion(new.Manifest)
	fresh := func(sub string) storage.Disk {
		p := filepath.Join(dir, sub+".img")
		copySparse(t, base.Path, p)
		d, err := storage.ProbeImage(p)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type kill struct {
		at, atByte int64
	}
	var kills []kill
	// Count the boundaries of a full run first.
	res := runCrashChild(t, "upgrade", fresh("count").Path, new.Dir, 0, 0)
	if res.stopped || res.completed < 10 {
		t.Fatalf("full run: %+v", res)
	}
	for i := int64(1); i <= res.completed; i++ {
		kills = append(kills, kill{at: i})
	}
	rootfs, _ := new.Manifest.File(media.RoleRootfs)
	rng := rand.New(rand.NewPCG(20261126, uint64(byteKills)))
	for range byteKills {
		kills = append(kills, kill{atByte: 1 + rng.Int64N(rootfs.Size-1)})
	}

	var before, after atomic.Int32
	t.Run("kills", func(t *testing.T) {
		for i, k := range kills {
			name := fmt.Sprintf("boundary-%02d", k.at)
			if k.atByte > 0 {
				name = fmt.Sprintf("byte-%d", k.atByte)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				d := fresh(strconv.Itoa(i))
				res := runCrashChild(t, "upgrade", d.Path, new.Dir, k.at, k.atByte)
				if !res.stopped {
					t.Fatalf("child completed without reaching kill point %+v", k)
				}
				booted := checkBootsComplete(t, d, old, new)
				committed := res.step == "commit" && res.what == string(event.StepFinished) || res.step == "finish"
				switch {
				case committed && booted != verNew:
					t.Errorf("killed at %d (%s %s), after the commit point: boots %s, want %s", res.boundary, res.step, res.what, booted, verNew)
				case !committed && booted != verOld:
					t.Errorf("killed at %d (%s %s), before the commit point: boots %s, want %s", res.boundary, res.step, res.what, booted, verOld)
				}
				if committed {
					after.Add(1)
				} else {
					before.Add(1)
				}
				st := readState(t, d)
				started, finished := string(event.StepStarted), string(event.StepFinished)
				wantMarker := !(res.step == "open" || res.step == "marker" && res.what == started || res.step == "finish" && res.what == finished)
				if in := st.Installation(); in.NotFinished != wantMarker {
					t.Errorf("killed at %s %s: not-finished marker %v, want %v", res.step, res.what, in.NotFinished, wantMarker)
				}
				fsckESP(t, d)
				// A rerun completes and boots the new version, the old one as the fallback.
				if _, err := UpgradeDisk(context.Background(), d, new, Defaults(), nil); err != nil {
					t.Fatalf("rerun after a kill in %s: %v", res.step, err)
				}
				if got := checkBootsComplete(t, d, old, new); got != verNew {
					t.Errorf("rerun boots %s, want %s", got, verNew)
				}
				st = readState(t, d)
				order := st.BootOrder()
				if st.Marker || len(order) != 2 || EntrySlot(order[1]) != oldSlot {
					t.Errorf("after the rerun: marker %v order %v", st.Marker, files(order))
				}
				fsckESP(t, d)
				t.Logf("killed at boundary %d (%s %s): booted %s; rerun completed", res.boundary, res.step, res.what, booted)
			})
		}
	})
	t.Logf("upgrade %s -> %s: %d kill points (%d step boundaries, %d slot-write offsets): %d before the commit point booted %s, %d after booted %s",
		verOld, verNew, len(kills), len(kills)-byteKills, byteKills, before.Load(), verOld, after.Load(), verNew)
}

// crashChildAction runs the other actions in the child.
func crashChildAction(action string, d storage.Disk, sink event.Sink) error {
	switch action {
	case "uninstall":
		set := PlanUninstallSet(storage.Spec{}, []storage.Disk{d})
		_, err := UninstallDisks(context.Background(), set, UninstallOptions{EFIVarsDir: "/nonexistent"}, sink)
		return err
	}
	return fmt.Errorf("crash child: unknown action %q", action)
}

// bootsSomething reports whether the disk still has a bootable entry of
// the product (its ESP may already be wiped).
func bootsSomething(t *testing.T, d storage.Disk) bool {
	t.Helper()
	f, err := os.Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := partitionByName(d, "EFI")
	if err != nil {
		return false
	}
	fsys, err := esp.OpenReadOnly(f, p.Start, p.Size, 512)
	if err != nil {
		return false
	}
	st, err := ReadESP(fsys)
	return err == nil && len(st.BootOrder()) > 0
}

// TestCrashUninstall kills an uninstall at every step boundary: the disk
// boots the installed version (before the commit point) or nothing of the
// product (after it), and a rerun leaves no partition table.
func TestCrashUninstall(t *testing.T) {
	if testing.Short() {
		t.Skip("crash-safety harness: skipped with -short")
	}
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 3<<20)
	count := makeInstalled(t, filepath.Join(dir, "count"), v1)
	full := runCrashChild(t, "uninstall", count.Path, "", 0, 0)
	if full.stopped || full.completed < 10 {
		t.Fatalf("full run: %+v", full)
	}
	var booting, notBooting atomic.Int32
	t.Run("kills", func(t *testing.T) {
		for at := int64(1); at <= full.completed; at++ {
			t.Run(fmt.Sprintf("boundary-%02d", at), func(t *testing.T) {
				t.Parallel()
				d := makeInstalled(t, filepath.Join(dir, strconv.Itoa(int(at))), v1)
				res := runCrashChild(t, "uninstall", d.Path, "", at, 0)
				if !res.stopped {
					t.Fatalf("child completed before kill point %d", at)
				}
				committed := !(res.step == "open" || res.step == "marker" || res.step == "remove-entries" && res.what == string(event.StepStarted))
				boots := bootsSomething(t, d)
				switch {
				case !committed && !boots:
					t.Errorf("killed at %d (%s %s), before the commit point: boots nothing", at, res.step, res.what)
				case !committed:
					if got := checkBootsComplete(t, d, v1); got != MediaVersion(v1.Manifest) {
						t.Errorf("boots %s", got)
					}
					booting.Add(1)
				case boots:
					t.Errorf("killed at %d (%s %s), after the commit point: still boots the product", at, res.step, res.what)
				default:
					notBooting.Add(1)
				}
				// Rerun: re-probe and uninstall what is left.
				again, err := storage.ProbeImage(d.Path)
				if err != nil {
					t.Fatal(err)
				}
				if set := PlanUninstallSet(storage.Spec{}, []storage.Disk{again}); len(set.Problems) == 0 {
					if _, err := UninstallDisks(context.Background(), set, UninstallOptions{EFIVarsDir: "/nonexistent"}, nil); err != nil {
						t.Fatalf("rerun after a kill at %d (%s %s): %v", at, res.step, res.what, err)
					}
				} else if res.step != "wipe-table" && res.step != "report" {
					t.Errorf("killed at %d (%s %s): rerun finds nothing to uninstall: %v", at, res.step, res.what, set.Problems)
				}
				final, err := storage.ProbeImage(d.Path)
				if err != nil {
					t.Fatal(err)
				}
				if final.Table != "" || len(final.Partitions) != 0 {
					t.Errorf("after the rerun: table %q partitions %v", final.Table, final.Partitions)
				}
			})
		}
	})
	t.Logf("uninstall: %d kill points: %d before the commit point still booted %s, %d after booted nothing; every rerun left no partition table",
		full.completed, booting.Load(), MediaVersion(v1.Manifest), notBooting.Load())
}
