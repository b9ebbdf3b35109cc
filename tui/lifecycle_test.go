package tui

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
)

// reprobe reads the image files again, as `node-installer tui --disk` does:
// the probe finds the layout, Inspect the versions on the ESP.
func reprobe(t *testing.T, facts installer.Facts, paths []string) installer.Facts {
	t.Helper()
	facts.Disks = nil
	for _, p := range paths {
		d, err := storage.ProbeImage(p)
		if err != nil {
			t.Fatal(err)
		}
		if rep := storage.Inspect(p); rep.Installation != nil {
			d.Installation = rep.Installation
		}
		facts.Disks = append(facts.Disks, d)
	}
	return facts
}

// session runs one TUI session on the image files with bundle.
func session(t *testing.T, facts installer.Facts, b *media.Bundle) *harness {
	opts := Options{
		Config: installer.Defaults(),
		Facts:  facts,
		Media:  MediaInfo{Product: b.Manifest.Product, Version: b.Manifest.Version},
		Backend: Backend{Plan: PlanFacts, AdminHash: installer.InstalledAdminHash,
			Run: EngineRun(b, installer.RunOptions{EFIVarsDir: filepath.Join(t.TempDir(), "no-efivars")})},
	}
	return newHarness(t, opts)
}

// TestLifecycleThroughTUI: install 4.5.0, upgrade to 4.6.0, reinstall and uninstall,
// each through the pages, checking the disk with Inspect after each.
func TestLifecycleThroughTUI(t *testing.T) {
	if testing.Short() {
		t.Skip("writes image files through the engine")
	}
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Skip("needs debugfs (e2fsprogs)")
	}
	facts, b45, paths := demoMachine(t)
	paths = paths[:1] // one disk is enough here
	facts = reprobe(t, facts, paths)

	// Install.
	h := session(t, facts, b45)
	h.press(tcell.KeyEnter, tcell.KeyEnter, tcell.KeyF10, tcell.KeyF10, tcell.KeyF10, tcell.KeyF10)
	h.wantPage(pgPassword)
	h.typeText("Old-pass-12")
	h.press(tcell.KeyTab)
	h.typeText("Old-pass-12")
	h.press(tcell.KeyF10)
	h.startRun()
	h.waitFor("was installed", time.Minute)
	h.stop()

	// Upgrade with newer media: no disk pages, the current password.
	dir := t.TempDir()
	if err := media.BuildDemo(dir, "4.6.0"); err != nil {
		t.Fatal(err)
	}
	b46, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	facts = reprobe(t, facts, paths)
	h = session(t, facts, b46)
	h.want("Installed: 4.5.0 on disk1.img", "Upgrade 4.5.0 -> 4.6.0")
	h.press(tcell.KeyEnter)
	h.wantPage(pgCurrent)
	h.typeText("wrong-pass")
	h.press(tcell.KeyF10)
	h.want("Password: wrong password")
	for range len("wrong-pass") {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("Old-pass-12")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("Nothing is erased.", "Upgrade now")
	h.startRun()
	h.waitFor("was upgraded", time.Minute)
	h.stop()
	rep := storage.Inspect(paths[0])
	if rep.Installation == nil || defaultVersion(rep.Installation) != "4.6.0" {
		t.Fatalf("after the upgrade:\n%s", rep.Text())
	}

	// Reinstall: the disk pages again, the disk wiped and written fresh.
	facts = reprobe(t, facts, paths)
	h = session(t, facts, b46)
	h.want("Repair 4.6.0", "Reinstall 4.6.0")
	h.press(tcell.KeyDown, tcell.KeyEnter, tcell.KeyEnter)
	h.wantPage(pgBoot)
	h.press(tcell.KeyF10, tcell.KeyF10, tcell.KeyF10, tcell.KeyF10)
	h.wantPage(pgPassword)
	h.typeText("Old-pass-12")
	h.press(tcell.KeyTab)
	h.typeText("Old-pass-12")
	h.press(tcell.KeyF10)
	h.want("ERASED          disk1.img", "a node installation (slot A:", "LOST            the VM storage on disk1.img: Data", "Erase and reinstall")
	h.startRun()
	h.waitFor("was installed", time.Minute)
	h.stop()
	rep = storage.Inspect(paths[0])
	if rep.Installation == nil || defaultVersion(rep.Installation) != "4.6.0" || rep.Installation.Slots[0].Version != "4.6.0" {
		t.Fatalf("after the reinstall:\n%s", rep.Text())
	}

	// Uninstall: the third choice.
	facts = reprobe(t, facts, paths)
	h = session(t, facts, b46)
	h.want("Repair 4.6.0", "Uninstall")
	h.press(tcell.KeyDown, tcell.KeyDown, tcell.KeyEnter)
	h.wantPage(pgCurrent)
	h.typeText("Old-pass-12")
	h.press(tcell.KeyF10)
	h.want("disk1.img", "loses a node installation", "Uninstall now")
	h.startRun()
	h.waitFor("was uninstalled", time.Minute)
	h.stop()
	if rep := storage.Inspect(paths[0]); rep.Installation != nil || rep.Table != "" {
		t.Errorf("after the uninstall:\n%s", rep.Text())
	}
}
