package nodeconfig

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/installer"
)

// withESP adds two loader entries (slot B on trial, slot A) and a kernel
// command line that booted slot A: the upgrade to B was rolled back.
func withESP(t *testing.T, root string) {
	t.Helper()
	writeT(t, filepath.Join(root, "boot/efi/loader/entries/node-B+0-3.conf"), "title Node 2.1\nversion 2.1\nlinux /node-B/vmlinuz\ninitrd /node-B/initrd\noptions root=PARTLABEL=RootB node.slot=B console=tty0 console=ttyS0,115200n8 quiet\n", 0o644)
	writeT(t, filepath.Join(root, "boot/efi/loader/entries/node-A.conf"), "title Node 2.0\nversion 2.0\nlinux /node-A/vmlinuz\ninitrd /node-A/initrd\noptions root=PARTLABEL=RootA node.slot=A console=tty0 console=ttyS0,115200n8\n", 0o644)
	writeT(t, filepath.Join(root, "proc/cmdline"), "root=PARTLABEL=RootA node.slot=A\n", 0o644)
}

func TestStatusRolledBack(t *testing.T) {
	o, root := installedNode(t)
	withESP(t, root)
	st := ReadStatus(o)
	if st.Slot != "A" || !st.RolledBack || len(st.Entries) != 2 {
		t.Fatalf("status %+v", st)
	}
	text := StatusText(st)
	for _, want := range []string{"Booted slot   A", "failed to boot", "rolled back", "node1.example.org", "syslog logs.example.org"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}

func TestSerialConsole(t *testing.T) {
	o, root := installedNode(t)
	withESP(t, root)
	if _, err := SetSerialConsole(o, "ttyS1 oops"); err == nil {
		t.Error("a console with blanks was accepted")
	}
	changed, err := SetSerialConsole(o, "ttyS1,9600n8")
	if err != nil || len(changed) != 2 {
		t.Fatalf("changed %v, %v", changed, err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "boot/efi/loader/entries/node-B+0-3.conf"))
	if !strings.Contains(string(b), "options root=PARTLABEL=RootB node.slot=B quiet console=tty0 console=ttyS1,9600n8\n") || !strings.Contains(string(b), "title Node 2.1\n") {
		t.Errorf("entry B:\n%s", b)
	}
	if changed, _ := SetSerialConsole(o, ""); len(changed) != 2 {
		t.Errorf("removing the console changed %v", changed)
	}
	es, _ := LoaderEntries(o)
	for _, e := range es {
		if SerialConsole(e) != "" || strings.Contains(e.Options, "console=") {
			t.Errorf("%s still has a console: %s", e.File, e.Options)
		}
	}
}

// TestBootOnce: the one-shot and default entries are systemd-boot's EFI
// variables in efivarfs' format (attributes, UTF-16LE, NUL).
func TestBootOnce(t *testing.T) {
	vars := t.TempDir()
	o := Options{EFIVarsDir: vars}
	if err := BootOnce(o, "node-B"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(vars, "LoaderEntryOneShot-"+loaderGUID))
	want := []byte{7, 0, 0, 0, 'n', 0, 'o', 0, 'd', 0, 'e', 0, '-', 0, 'B', 0, 0, 0}
	if err != nil || string(b) != string(want) {
		t.Errorf("LoaderEntryOneShot = %v, %v; want %v", b, err, want)
	}
	if err := BootDefault(o, "node-A"); err != nil {
		t.Fatal(err)
	}
	if err := BootDefault(o, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(vars, "LoaderEntryDefault-"+loaderGUID)); !os.IsNotExist(err) {
		t.Errorf("LoaderEntryDefault not removed: %v", err)
	}
	if err := BootOnce(Options{EFIVarsDir: filepath.Join(vars, "none")}, "x"); err == nil {
		t.Error("no efivarfs: no error")
	}
}

// TestSupportBundle: the bundle holds the settings, status and logs,
// with no secret: not the hash, not a URL password from the log.
func TestSupportBundle(t *testing.T) {
	o, root := installedNode(t)
	cfg, _ := Load(o)
	writeT(t, filepath.Join(root, InstallLog), "fetch https://user:s3cr3t@media.example.org/x\ninstall succeeded\n", 0o640)
	dest := t.TempDir()
	p, err := SupportBundle(o, dest, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC), map[string]string{"kernel.log": "adminpw=" + cfg.Host.AdminPW + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "node-support-node1.example.org-20261204T020000Z.tar.gz" {
		t.Errorf("name %s", p)
	}
	f, _ := os.Open(p)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	names := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names[h.Name] = string(b)
	}
	for _, n := range []string{"settings.txt", "status.txt", "config.json", "install.log", "kernel.log"} {
		if _, ok := names["node-support/"+n]; !ok {
			t.Errorf("bundle lacks %s (has %v)", n, names)
		}
	}
	for n, data := range names {
		if strings.Contains(data, "s3cr3t") || strings.Contains(data, cfg.Host.AdminPW) {
			t.Errorf("%s holds a secret:\n%s", n, data)
		}
	}
	if !strings.Contains(names["node-support/settings.txt"], "hostname=node1.example.org") && !strings.Contains(names["node-support/settings.txt"], "ip=") {
		t.Errorf("settings: %s", names["node-support/settings.txt"])
	}
	if _, err := SupportBundle(o, filepath.Join(dest, "missing"), time.Now(), nil); err == nil {
		t.Error("a missing folder: no error")
	}
	_ = installer.AdminUser
}
