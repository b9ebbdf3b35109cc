package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/internal/sparse"
	"node-installer/network"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// envCrashSpec is the JSON InstallSpec file of the install/reinstall child.
const envCrashSpec = "LIFECYCLE_CRASH_SPEC"

// crashInstallSpec lays out a sparse image file of sizeMiB for an install
// with small volumes (the planner's minimums) and writes the spec as JSON.
func crashInstallSpec(t *testing.T, dir string, sizeMiB int64) (disk, specFile string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	disk = filepath.Join(dir, "disk.img")
	f, err := os.Create(disk)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sizeMiB << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d, err := storage.ProbeImage(disk)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	cfg.Action = ActionInstall
	cfg.Storage.Init = true
	cfg.Storage.Volumes = map[storage.Vol]int64{storage.VolEFI: 128, storage.VolRoot: 1024, storage.VolConfig: 16,
		storage.VolLogging: 64, storage.VolSwap: 0, storage.VolData: -1}
	cfg.Network.Hostname = "crash.example.org"
	layout, err := storage.PlanLayout(cfg.Storage, storage.Choice{Boot: d}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	np, err := network.MakePlan(cfg.Network, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := InstallSpec{Action: ActionInstall, Layout: layout, Config: cfg, NetFiles: network.Render(np)}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specFile = filepath.Join(dir, "spec.json")
	if err := os.WriteFile(specFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return disk, specFile
}

// runInstallAction runs an install, or a reinstall (wipe, then install),
// of the spec in specFile with bundle; the child and the reruns use it.
func runInstallAction(ctx context.Context, action, specFile string, b *media.Bundle, sink event.Sink) error {
	data, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	var spec InstallSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	o := RunOptions{EFIVarsDir: "/nonexistent"}
	if action == "reinstall" {
		spec.Action = ActionReinstall
		d, err := storage.ProbeImage(spec.Layout.Disks[0].Disk.Path)
		if err != nil {
			return err
		}
		if _, err := WipeDisks(ctx, PlanWipeSet(storage.Choice{Boot: d}, []storage.Disk{d}), UninstallOptions{}, sink); err != nil {
			return err
		}
	}
	return Install(ctx, spec, b, sink, o)
}

// installState is what a disk holds after a kill: "empty" (no bootable
// entry and no marker), "unfinished" (the not-finished marker), or
// "complete" (no marker, and the default entry boots a complete version).
func installState(t *testing.T, disk string, b *media.Bundle) string {
	t.Helper()
	d, err := storage.ProbeImage(disk)
	if err != nil {
		t.Fatal(err)
	}
	p, err := partitionByName(d, "EFI")
	if err != nil {
		return "empty"
	}
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, err := esp.OpenReadOnly(f, p.Start, p.Size, 512)
	if err != nil {
		return "empty"
	}
	st, err := ReadESP(fsys)
	switch {
	case err != nil:
		t.Fatalf("ESP unreadable: %v", err)
	case st.Marker:
		def := ""
		if order := st.BootOrder(); len(order) > 0 {
			def = EntrySlot(order[0])
		}
		inspectAgrees(t, disk, def, true)
		return "unfinished"
	case len(st.BootOrder()) == 0:
		return "empty"
	}
	checkBootsComplete(t, d, b)
	return "complete"
}

func testCrashInstall(t *testing.T, action string) {
	if testing.Short() {
		t.Skip("crash-safety harness: skipped with -short")
	}
	engNeedTools(t, "mkfs.ext4")
	dir := t.TempDir()
	if err := media.BuildDemo(filepath.Join(dir, "media"), "1.0.0"); err != nil {
		t.Fatal(err)
	}
	b, err := media.Open(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	// A reinstall starts from an installed disk: install once, then give
	// every kill point a sparse copy of it.
	var installed string
	if action == "reinstall" {
		disk, spec := crashInstallSpec(t, filepath.Join(dir, "installed"), 2600)
		if err := runInstallAction(context.Background(), "install", spec, b, nil); err != nil {
			t.Fatal(err)
		}
		installed = disk
	}
	prepare := func(sub string) (string, string) {
		disk, spec := crashInstallSpec(t, filepath.Join(dir, sub), 2600)
		if installed != "" {
			copySparse(t, installed, disk)
		}
		return disk, spec
	}
	disk, spec := prepare("count")
	full := runCrashChildSpec(t, action, disk, b.Dir, spec, 0)
	if full.stopped || full.completed < 10 {
		t.Fatalf("full run: %+v", full)
	}
	last := full.completed
	if action == "reinstall" {
		// The wipe's boundaries and the install's first ones (check,
		// partition: where the wiped disk gets its marker); the install's
		// later boundaries are TestCrashInstall's.
		last = min(last, full.completed-12)
	}
	counts := map[string]*atomic.Int32{"empty": {}, "unfinished": {}, "complete": {}}
	t.Run("kills", func(t *testing.T) {
		for at := int64(1); at <= last; at++ {
			t.Run(fmt.Sprintf("boundary-%02d", at), func(t *testing.T) {
				t.Parallel()
				disk, spec := prepare(strconv.Itoa(int(at)))
				res := runCrashChildSpec(t, action, disk, b.Dir, spec, at)
				if !res.stopped {
					t.Fatalf("child completed before kill point %d", at)
				}
				got := installState(t, disk, b)
				counts[got].Add(1)
				if got == "complete" && action == "install" && !(res.step == "finish" && res.what == string(event.StepFinished)) {
					t.Errorf("killed at %d (%s %s): the disk looks complete before the install finished", at, res.step, res.what)
				}
				if got == "empty" && action == "install" && res.step != "check" && res.step != "partition" {
					t.Errorf("killed at %d (%s %s): nothing marks the half-written disk as not finished", at, res.step, res.what)
				}
				if err := runInstallAction(context.Background(), action, spec, b, nil); err != nil {
					t.Fatalf("rerun after a kill at %d (%s %s): %v", at, res.step, res.what, err)
				}
				if s := installState(t, disk, b); s != "complete" {
					t.Errorf("after the rerun: %s", s)
				}
				t.Logf("killed at %d (%s %s): %s; rerun completed", at, res.step, res.what, got)
			})
		}
	})
	t.Logf("%s: %d kill points of %d boundaries: %d left an empty disk, %d a disk marked not finished, %d a complete installation; every rerun completed",
		action, last, full.completed, counts["empty"].Load(), counts["unfinished"].Load(), counts["complete"].Load())
}

// TestCrashInstall kills an install at every step boundary.
func TestCrashInstall(t *testing.T) { testCrashInstall(t, "install") }

// TestCrashReinstall kills a wipe-reinstall of an installed disk at every
// step boundary of the wipe and of the install.
func TestCrashReinstall(t *testing.T) { testCrashInstall(t, "reinstall") }

// copySparse copies src over dst keeping holes, so a 2.6 GB image that
// holds 100 MB costs 100 MB.
func copySparse(t *testing.T, src, dst string) {
	t.Helper()
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := sparse.CopyRange(dst, src, 0, st.Size()); err != nil {
		t.Fatal(err)
	}
}
