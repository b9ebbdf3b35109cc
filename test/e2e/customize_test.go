//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/storage/esp"
	"node-installer/test/vm"
)

// isoFile extracts one file of an ISO image with xorriso.
func isoFile(t *testing.T, iso, name string) []byte {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(name))
	sh(t, "xorriso", "-osirrox", "on", "-indev", iso, "-extract", name, dst)
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatalf("%s has no %s: %v", iso, name, err)
	}
	return data
}

// efiMenu reads systemd-boot's menu from the ISO's El Torito EFI image:
// loader.conf and the entries by file name.
func efiMenu(t *testing.T, iso string) (string, map[string]string) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "efi.img")
	if err := os.WriteFile(img, isoFile(t, iso, "/boot/efi.img"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(img)
	fs, err := esp.Open(img, 0, st.Size(), 512)
	if err != nil {
		t.Fatalf("EFI image: %v", err)
	}
	defer fs.Close()
	conf, err := fs.ReadFile("/loader/loader.conf")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.List("/loader/entries")
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]string{}
	for _, n := range names {
		b, err := fs.ReadFile("/loader/entries/" + n)
		if err != nil {
			t.Fatal(err)
		}
		entries[n] = string(b)
	}
	return string(conf), entries
}

// TestMediaCustomize customizes the built ISO with `media customize`
// (embedded answer file, a kernel argument, the Automated serial entry
// as the default, a 1 s timeout), checks what `media inspect` and the
// image's own menus (EFI image, isolinux) say, that customizing again
// gives the same bytes, and then boots it as a CD with no key pressed:
// the Automated entry installs unattended after its timeout, and the
// installed disk boots.
func TestMediaCustomize(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	e.needCommand(t, "media", "media customize")
	m := e.media(t)
	dir := t.TempDir()
	iso := filepath.Join(dir, "custom.iso")
	if err := copyFile(m.ISO, iso); err != nil {
		t.Fatal(err)
	}
	answer := filepath.Join(dir, "answer.yaml")
	answerText := "action: install\nstorage:\n  init: true\n  disks: [{path: /dev/vda}]\n" +
		"host:\n  adminpw: '" + adminHash + "'\nnetwork:\n  hostname: node5.example.org\n"
	if err := os.WriteFile(answer, []byte(answerText), 0o644); err != nil {
		t.Fatal(err)
	}
	customize := func(args ...string) {
		t.Helper()
		start := time.Now()
		sh(t, e.binary, append([]string{"media", "customize", iso}, args...)...)
		t.Logf("timing: media customize %.2fs", time.Since(start).Seconds())
	}
	args := []string{"--answer", answer, "--karg", "node.after=poweroff", "--default", "automated-serial", "--timeout", "1"}
	customize(args...)

	var info struct {
		Options struct {
			Answer bool     `json:"answer"`
			Args   []string `json:"args"`
		} `json:"options"`
		Default string `json:"default_entry"`
		Timeout int    `json:"timeout"`
		Entries []struct {
			ID   string
			Args []string
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(sh(t, e.binary, "media", "inspect", "--json", iso)), &info); err != nil {
		t.Fatalf("media inspect --json: %v", err)
	}
	if !info.Options.Answer || info.Default != "automated-serial" || info.Timeout != 1 || len(info.Entries) != 6 {
		t.Errorf("media inspect: %+v, want the answer file, default automated-serial, timeout 1, six entries", info)
	}
	for _, en := range info.Entries {
		if !strings.Contains(strings.Join(en.Args, " "), "node.after=poweroff") {
			t.Errorf("media inspect: entry %s lacks the added argument: %v", en.ID, en.Args)
		}
	}
	if got := string(isoFile(t, iso, "/answer.yaml")); got != answerText {
		t.Errorf("embedded answer file:\n%s\nwant:\n%s", got, answerText)
	}
	conf, entries := efiMenu(t, iso)
	if !strings.Contains(conf, "default automated-serial.conf\n") || !strings.Contains(conf, "timeout 1\n") {
		t.Errorf("EFI loader.conf:\n%s", conf)
	}
	if auto := entries["automated-serial.conf"]; !strings.Contains(auto, "node.config=/run/initramfs/live/answer.yaml") ||
		!strings.Contains(auto, "node.after=poweroff") {
		t.Errorf("EFI entry automated-serial.conf:\n%s (entries %v)", auto, keys(entries))
	}
	if len(entries) != 6 {
		t.Errorf("EFI entries %v, want six", keys(entries))
	}
	isolinux := string(isoFile(t, iso, "/isolinux/isolinux.cfg"))
	if !strings.Contains(isolinux, "DEFAULT automated-serial\n") || !strings.Contains(isolinux, "TIMEOUT 10\n") ||
		strings.Count(isolinux, "node.after=poweroff") != 6 {
		t.Errorf("isolinux.cfg:\n%s", isolinux)
	}

	once, err := vm.Digest(iso)
	if err != nil {
		t.Fatal(err)
	}
	customize(args...)
	if twice, _ := vm.Digest(iso); twice != once {
		t.Errorf("customize twice changed the image again: %s -> %s", once, twice)
	}
	// removing and re-adding gives the same menus (the bytes differ in dates)
	other := filepath.Join(dir, "removed.iso")
	sh(t, e.binary, "media", "customize", iso, "--out", other, "--remove-answer", "--default", "install-serial")
	if out, err := exec.Command("xorriso", "-indev", other, "-find", "/answer.yaml").CombinedOutput(); err == nil && strings.Contains(string(out), "'/answer.yaml'") {
		t.Errorf("--remove-answer left /answer.yaml:\n%s", out)
	}
	if _, entries := efiMenu(t, other); entries["automated-serial.conf"] != "" || len(entries) != 4 {
		t.Errorf("after --remove-answer the EFI entries are %v, want four without the Automated ones", keys(entries))
	}

	disk := filepath.Join(dir, "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	res, _ := boot(t, vm.Machine{Name: "media-auto", UEFI: true, CDROM: iso, Disks: []vm.Disk{{Path: disk, Serial: "NODE0005"}},
		Timeout: 4 * time.Minute, StopOn: append([]string{"The node stays here", "Welcome"}, vm.DefaultStopOn...)})
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("the Automated entry must install and power off by itself: %s; last lines:\n%s", res.Summary(), res.Tail(40))
	}
	e.checkInstalled(t, disk)
	bootsInto(t, "media-auto-installed", disk, "", "node5.example.org")
}

// automatedISO writes a copy of iso to out with answer embedded and the
// Automated serial entry as the default after 1 s; the run powers off.
func (e *env) automatedISO(t *testing.T, iso, out, answer string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "answer.yaml")
	if err := os.WriteFile(path, []byte(answer), 0o644); err != nil {
		t.Fatal(err)
	}
	sh(t, e.binary, "media", "customize", iso, "--out", out, "--answer", path,
		"--karg", "node.after=poweroff", "--default", "automated-serial", "--timeout", "1")
}
