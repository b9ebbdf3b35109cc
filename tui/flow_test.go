package tui

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
)

// demoMachine makes what `node-installer demo` makes: two sparse image
// files and the generated demo bundle, and the Facts of a UEFI machine
// with those disks and 4 GiB of RAM.
func demoMachine(t testing.TB) (installer.Facts, *media.Bundle, []string) {
	t.Helper()
	for _, tool := range []string{"mkfs.ext4", "mkswap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (test/deps.sh installs it)", tool)
		}
	}
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "disk1.img"), filepath.Join(dir, "disk2.img")}
	for i, size := range []int64{32 * gib, 16 * gib} {
		f, err := os.Create(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := media.BuildDemo(filepath.Join(dir, "media"), "4.5.0"); err != nil {
		t.Fatal(err)
	}
	b, err := media.Open(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	facts := installer.Facts{Firmware: "uefi", MemBytes: 4 * gib, NICs: testFacts().NICs}
	for _, p := range paths {
		d, err := storage.ProbeImage(p)
		if err != nil {
			t.Fatal(err)
		}
		facts.Disks = append(facts.Disks, d)
	}
	return facts, b, paths
}

// TestFullFlowInstall walks Welcome -> Finished on two image files through
// the real planner and engine, then reads the disks back.
func TestFullFlowInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two image files through the engine")
	}
	facts, b, paths := demoMachine(t)
	opts := Options{
		Config: installer.Defaults(),
		Facts:  facts,
		Media:  MediaInfo{Product: b.Manifest.Product, Version: b.Manifest.Version},
		Backend: Backend{Plan: PlanFacts,
			// No firmware variables: the host's boot entries are never touched.
			Run: EngineRun(b, installer.RunOptions{EFIVarsDir: filepath.Join(t.TempDir(), "no-efivars")})},
	}
	h := newHarness(t, opts)
	h.want("Install 4.5.0")
	h.press(tcell.KeyEnter) // Install
	h.press(tcell.KeyEnter) // Keyboard: us
	h.wantPage(pgBoot)
	h.want("file disk1.img       32.0 GiB", "file disk2.img       16.0 GiB")
	h.press(tcell.KeyF10) // disk1
	h.wantPage(pgData)
	h.key(tcell.KeyRune, ' ', 0) // disk2 for data
	h.press(tcell.KeyF10)
	h.wantPage(pgSizes)
	h.want("disk1.img 32.0 GiB (boot disk)", "Swap          6144 MiB", "disk2.img 16.0 GiB (data disk)", "Data2")
	h.press(tcell.KeyF10)
	h.wantPage(pgNetwork)
	h.press(tcell.KeyTab, tcell.KeyTab) // the Addresses form -> Names form
	for range 7 {
		h.press(tcell.KeyTab)
	}
	h.typeText("demo-node")
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	h.typeText("Demo-pass-1")
	h.press(tcell.KeyTab)
	h.typeText("Demo-pass-1")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("ERASED          disk1.img", "ERASED          disk2.img", "nothing (no partition table found)", "New GPT on disk1.img (boot disk):", "Erase and install")
	start := time.Now()
	h.startRun()
	h.waitFor("was installed", 2*time.Minute)
	t.Logf("install through the TUI took %v", time.Since(start))
	h.want("node 4.5.0 was installed on", "disk1.img.", "Reboot", "finished: installed node 4.5.0")
	if h.a.cfg.Network.Hostname != "demo-node" {
		t.Errorf("hostname %q", h.a.cfg.Network.Hostname)
	}

	// The disks as the storage package reads them back.
	want := map[string][]string{
		paths[0]: {"EFI", "RootA", "RootB", "Config", "Logging", "Swap", "Data"},
		paths[1]: {"Data2"},
	}
	for _, p := range paths {
		d, err := storage.ProbeImage(p)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, part := range d.Partitions {
			names = append(names, part.PartLabel)
		}
		if d.Table != "gpt" || len(names) != len(want[p]) {
			t.Fatalf("%s: table %q partitions %v, want gpt %v", p, d.Table, names, want[p])
		}
		for i := range names {
			if names[i] != want[p][i] {
				t.Errorf("%s: partitions %v, want %v", p, names, want[p])
			}
		}
	}
	rep := storage.Inspect(paths[0])
	if rep.Error != "" || len(rep.Problems) > 0 || rep.Installation == nil {
		t.Fatalf("inspect %s:\n%s", paths[0], rep.Text())
	}
	if v := defaultVersion(rep.Installation); v != "4.5.0" || rep.Installation.NotFinished {
		t.Errorf("inspect: default slot version %q, not finished %v, want 4.5.0 finished:\n%s", v, rep.Installation.NotFinished, rep.Text())
	}
}

// defaultVersion is the version of the slot that boots by default.
func defaultVersion(in *storage.Installation) string {
	for _, s := range in.Slots {
		if s.Default {
			return s.Version
		}
	}
	return ""
}
