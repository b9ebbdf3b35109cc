//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"node-installer/test/vm"
)

// lastFile returns the ISO block range of the file that lies last in
// the image (xorriso's layout report).
func lastFile(t *testing.T, iso string) (name string, start, blocks int64) {
	t.Helper()
	out := sh(t, "xorriso", "-indev", iso, "-find", "/", "-type", "f", "-exec", "report_lba", "--")
	re := regexp.MustCompile(`File data lba:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*\d+\s*,\s*'([^']+)'`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		s, _ := strconv.ParseInt(m[1], 10, 64)
		b, _ := strconv.ParseInt(m[2], 10, 64)
		if s > start {
			name, start, blocks = m[3], s, b
		}
	}
	if name == "" {
		t.Fatalf("no file in the layout of %s:\n%s", iso, out)
	}
	return name, start, blocks
}

// TestMediaBad boots damaged media whose Automated entry would install
// on the blank disk: an ISO whose root image no longer matches the
// (signed) manifest, and an ISO cut short in its last bundle file (a
// broken download or a bad write). The live system checks the bundle
// before the installer starts: it says so on the console, the installer
// never runs, and the disk stays blank.
func TestMediaBad(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	e.needCommand(t, "media", "media verify")
	m := e.media(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.iso")
	e.automatedISO(t, m.ISO, good, "action: install\nstorage:\n  init: true\n  disks: [{path: /dev/vda}]\n"+
		"host:\n  adminpw: '"+adminHash+"'\n")

	// the root image with 8 bytes changed, mapped back with the same boot records
	root := filepath.Join(dir, "root.squashfs")
	sh(t, "xorriso", "-osirrox", "on", "-indev", good, "-extract", "/node/root.squashfs", root)
	os.Chmod(root, 0o644)
	f, err := os.OpenFile(root, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("CHANGED!"), 4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	changed := filepath.Join(dir, "changed.iso")
	sh(t, "xorriso", "-indev", good, "-outdev", changed, "-boot_image", "any", "replay", "-map", root, "/node/root.squashfs")

	// the built image cut in the middle of its last file, a bundle file
	// (build writes the boot files first); its default entry is the TUI's
	truncated := filepath.Join(dir, "truncated.iso")
	if err := copyFile(m.ISO, truncated); err != nil {
		t.Fatal(err)
	}
	name, start, blocks := lastFile(t, m.ISO)
	if !strings.HasPrefix(name, "/node/") {
		t.Fatalf("the last file of %s is %s, not a bundle file: cutting it would not leave a bootable image", m.ISO, name)
	}
	if err := os.Truncate(truncated, (start+blocks/2)*2048); err != nil {
		t.Fatal(err)
	}
	t.Logf("truncated.iso: cut at block %d, in %s", start+blocks/2, name)

	for _, c := range []struct{ name, iso, why string }{
		{"changed-root", changed, `media verify: .*root\.squashfs has \S+ \S+, manifest says`},
		{"truncated", truncated, `media verify: .*` + regexp.QuoteMeta(filepath.Base(name))},
	} {
		t.Run(c.name, func(t *testing.T) {
			disk := filepath.Join(t.TempDir(), "disk.img")
			if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
				t.Fatal(err)
			}
			before, _ := vm.Digest(disk)
			const refused = "the installer is not started and nothing was written"
			res, _ := boot(t, vm.Machine{Name: "media-" + c.name, UEFI: true, CDROM: c.iso, Disks: []vm.Disk{{Path: disk, Serial: "BLANK0009"}},
				Timeout: 3 * time.Minute, StopOn: append([]string{refused, "Welcome", "The node stays here", "installed node"}, vm.DefaultStopOn...)},
				regexp.MustCompile(c.why))
			if res.StoppedOn != refused {
				t.Errorf("stopped on %q, want the live system's refusal; last lines:\n%s", res.StoppedOn, res.Tail(30))
			}
			if after, _ := vm.Digest(disk); after != before {
				t.Errorf("the disk was written: digest %s -> %s", before, after)
			}
		})
	}
}
