package installer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
	"node-installer/storage/esp"
)

const engTestHash = "$6$saltsalt$" + "qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"

// installFixture is a sparse image file laid out by the real planner.
type installFixture struct {
	disk   string
	layout storage.Layout
	bundle *media.Bundle
	cfg    Config
	spec   InstallSpec
}

func engNeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (test/deps.sh installs it)", tool)
		}
	}
}

func newInstallFixture(t testing.TB, sizeMiB int64) *installFixture {
	return newInstallFixtureOn(t, sizeMiB, false)
}

// newInstallFixtureOn lays out a sparse image file, or a loop device
// backed by one (root only).
func newInstallFixtureOn(t testing.TB, sizeMiB int64, loop bool) *installFixture {
	t.Helper()
	engNeedTools(t, "mkfs.ext4")
	disk := filepath.Join(t.TempDir(), "disk.img")
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
	if loop {
		dev := engLoopDevice(t, disk)
		d.Path, d.Name, d.Transport = dev, filepath.Base(dev), "loop"
		disk = dev
	}
	cfg := Defaults()
	cfg.Action = ActionInstall
	cfg.Storage.Init = true
	cfg.Storage.Volumes = map[storage.Vol]int64{storage.VolEFI: 128, storage.VolRoot: 1024, storage.VolConfig: 16,
		storage.VolLogging: 64, storage.VolSwap: 0, storage.VolData: -1}
	cfg.Network.Hostname = "node1.example.org"
	cfg.Network.DNS = []netip.Addr{netip.MustParseAddr("192.0.2.53")}
	cfg.Host.AdminPW = engTestHash
	cfg.BootParams = []string{"console=ttyS0,115200"}
	layout, err := storage.PlanLayout(cfg.Storage, storage.Choice{Boot: d}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	np, err := network.MakePlan(cfg.Network, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := engDemoBundle(t)
	return &installFixture{disk: disk, layout: layout, bundle: b, cfg: cfg, spec: InstallSpec{
		Action: ActionInstall, Layout: layout, Config: cfg, NetFiles: network.Render(np), BootParams: cfg.BootParams}}
}

func (fx *installFixture) part(t testing.TB, name string) (off, size int64) {
	t.Helper()
	p, ok := partitionNamed(fx.layout.Disks[0], name)
	if !ok {
		t.Fatalf("no partition %s", name)
	}
	return byteRange(fx.layout.Disks[0], p)
}

// extract copies a partition out of the image so fsck tools can check it.
func (fx *installFixture) extract(t testing.TB, name string) string {
	t.Helper()
	off, size := fx.part(t, name)
	src, err := os.Open(fx.disk)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), name+".img")
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := io.Copy(dst, io.NewSectionReader(src, off, size)); err != nil {
		t.Fatal(err)
	}
	return out
}

func (fx *installFixture) esp(t testing.TB) *esp.FS {
	t.Helper()
	off, size := fx.part(t, "EFI")
	f, err := os.Open(fx.disk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fs, err := esp.OpenReadOnly(f, off, size, 512)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func engRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

type engRecorder struct{ events []event.Event }

func (r *engRecorder) Emit(e event.Event) { r.events = append(r.events, e) }

func TestInstallImageFile(t *testing.T) { testInstall(t, false) }

// TestInstallLoopDevice is the same install on a block device: BLKPG
// partitions, O_DIRECT slot writes, mkfs.ext4's O_EXCL open.
func TestInstallLoopDevice(t *testing.T) { testInstall(t, true) }

func testInstall(t *testing.T, loop bool) {
	engNeedTools(t, "sgdisk", "fsck.vfat", "e2fsck", "debugfs")
	fx := newInstallFixtureOn(t, 3072, loop)
	// A secret in every URL setting: none may reach the Config or
	// Logging partition (only the shadow files hold a secret, 0600).
	secrets := []string{"m3diaPW", "m3diaTOK", "h00kPW", "h00kTOK", "c0nfPW", "c0nfTOK"}
	fx.spec.Config.Unattended.Media = "http://ops:m3diaPW@192.0.2.1/media/?token=m3diaTOK"
	fx.spec.Config.Unattended.Webhook = "https://ops:h00kPW@hooks.example.org/x?access_token=h00kTOK"
	fx.spec.Config.Unattended.ConfigURL = "https://u:c0nfPW@cfg.example.org/n.yaml?sig=c0nfTOK"
	var rec engRecorder
	if err := Install(context.Background(), fx.spec, fx.bundle, &rec, RunOptions{EFIVarsDir: "/nonexistent"}); err != nil {
		t.Fatalf("Install: %v", err)
	}
	if last := rec.events[len(rec.events)-1]; last.Kind != event.Done || last.Fraction != 1 {
		t.Errorf("last event %+v, want Done at 100%%", last)
	}
	prev := 0.0
	for _, e := range rec.events {
		if e.Fraction < prev-1e-9 {
			t.Errorf("fraction went back from %.3f to %.3f at %s %s", prev, e.Fraction, e.Kind, e.Step)
		}
		prev = e.Fraction
	}

	// Partition table, ESP and ext4 filesystems pass their checkers.
	if out := engRun(t, "sgdisk", "-v", fx.disk); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	engRun(t, "fsck.vfat", "-n", fx.extract(t, "EFI"))
	cfgImg := fx.extract(t, "Config")
	engRun(t, "e2fsck", "-fn", cfgImg)
	logImg := fx.extract(t, "Logging")
	engRun(t, "e2fsck", "-fn", logImg)

	// The slot holds exactly the manifest's bytes.
	root, _ := fx.bundle.Manifest.File(media.RoleRootfs)
	off, _ := fx.part(t, "RootA")
	if got := engRegionSum(t, fx.disk, off, root.Size); got != root.SHA256 {
		t.Errorf("RootA SHA-256 %s, manifest %s", got, root.SHA256)
	}

	// ESP: loaders, slot files, loader.conf without default, one entry, no marker.
	fs := fx.esp(t)
	for role, paths := range map[media.Role][]string{
		media.RoleBootloader: {"/EFI/BOOT/BOOTX64.EFI", "/EFI/systemd/systemd-bootx64.efi"},
		media.RoleKernel:     {"/node/A/vmlinuz"},
		media.RoleInitrd:     {"/node/A/initrd.img"},
	} {
		want, _ := os.ReadFile(fx.bundle.Path(role))
		for _, p := range paths {
			got, err := fs.ReadFile(p)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("ESP %s: %v, %d bytes, want the bundle's %d", p, err, len(got), len(want))
			}
		}
	}
	files := map[string]string{}
	for _, p := range []string{"/loader/loader.conf", "/loader/entries/node-A.conf", "/node/A/version", "/node/product"} {
		b, err := fs.ReadFile(p)
		if err != nil {
			t.Errorf("ESP %s: %v", p, err)
		}
		files[p] = string(b)
	}
	if strings.Contains(files["/loader/loader.conf"], "default") {
		t.Errorf("loader.conf has a default line:\n%s", files["/loader/loader.conf"])
	}
	wantEntry := "title node 1.0.0 (slot A)\nversion 1.0.0\nlinux /node/A/vmlinuz\ninitrd /node/A/initrd.img\n" +
		"options root=PARTLABEL=RootA node.slot=A console=ttyS0,115200\n"
	if files["/loader/entries/node-A.conf"] != wantEntry {
		t.Errorf("entry:\n%s\nwant:\n%s", files["/loader/entries/node-A.conf"], wantEntry)
	}
	if files["/node/A/version"] != "1.0.0\n" || files["/node/product"] != "node\n" {
		t.Errorf("version %q product %q", files["/node/A/version"], files["/node/product"])
	}
	entries, _ := fs.List("/loader/entries")
	if len(entries) != 1 {
		t.Errorf("entries %v, want only node-A.conf", entries)
	}
	st, err := ReadESP(fs)
	if err != nil || st.Marker {
		t.Errorf("ReadESP: %v, marker %v: want no marker after a finished install", err, st.Marker)
	}

	// Config: hostname, admin hash (0600), masked config.json, network files.
	cat := func(img, p string) string {
		out, err := exec.Command("debugfs", "-R", "cat "+p, img).Output() // stdout only: the banner goes to stderr
		if err != nil {
			t.Fatalf("debugfs cat %s: %v", p, err)
		}
		return string(out)
	}
	if got := cat(cfgImg, "/hostname"); got != "node1.example.org\n" {
		t.Errorf("hostname %q", got)
	}
	if got := cat(cfgImg, "/shadow.d/admin"); got != engTestHash+"\n" {
		t.Errorf("shadow.d/admin %q", got)
	}
	if stat := engRun(t, "debugfs", "-R", "stat /shadow.d/admin", cfgImg); !strings.Contains(stat, "Mode:  0600") {
		t.Errorf("shadow.d/admin not 0600:\n%s", stat)
	}
	var saved Config
	js := cat(cfgImg, "/installer/config.json")
	if err := json.Unmarshal([]byte(js), &saved); err != nil {
		t.Fatalf("config.json: %v\n%s", err, js)
	}
	if strings.Contains(js, "$6$") || saved.Host.AdminPW != masked || saved.Network.Hostname != "node1.example.org" {
		t.Errorf("config.json not the masked effective config:\n%s", js)
	}
	if stat := engRun(t, "debugfs", "-R", "stat /installer/config.json", cfgImg); !strings.Contains(stat, "Mode:  0600") {
		t.Errorf("installer/config.json not 0600:\n%s", stat)
	}
	for _, img := range []string{cfgImg, logImg} {
		raw, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if bytes.Contains(raw, []byte(sec)) {
				t.Errorf("%s holds the secret %q", filepath.Base(img), sec)
			}
		}
	}
	if got := cat(cfgImg, "/network/etc/hostname"); got != "node1.example.org\n" {
		t.Errorf("network/etc/hostname %q", got)
	}
	// Logging: the install log, without secrets.
	log := cat(logImg, "/node-installer/install.log")
	if !strings.Contains(log, "root-image") || strings.Contains(log, "saltsalt") {
		t.Errorf("install log missing steps or holding a secret:\n%s", log)
	}
}

// TestInstallCorruptImage: a corrupted byte fails the install before the
// loader entry exists, and the disk carries the unfinished marker.
func TestInstallCorruptImage(t *testing.T) {
	fx := newInstallFixture(t, 3072)
	root := fx.bundle.Path(media.RoleRootfs)
	f, _ := os.OpenFile(root, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0x00}, 2<<20)
	f.Close()
	var rec engRecorder
	err := Install(context.Background(), fx.spec, fx.bundle, &rec, RunOptions{EFIVarsDir: "/nonexistent"})
	if !errors.Is(err, media.ErrVerify) {
		t.Fatalf("Install = %v, want a verification error", err)
	}
	last := rec.events[len(rec.events)-1]
	if last.Kind != event.Failed || last.Step != "root-image" || !strings.Contains(last.Err, "has BLAKE3") {
		t.Errorf("last event %+v, want Failed in root-image naming the BLAKE3 digest", last)
	}
	fs := fx.esp(t)
	st, err := ReadESP(fs)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Marker || st.MarkerAction != "install" || len(st.Entries) != 0 {
		t.Errorf("ESP state %+v: want the marker and no loader entry", st)
	}
	if inst := st.Installation(); !inst.NotFinished {
		t.Errorf("installation %+v not reported as not finished", inst)
	}
}

func TestInstallRefusesBeforeWriting(t *testing.T) {
	tests := []struct {
		name string
		edit func(fx *installFixture)
		want string
	}{
		{"upgrade not here", func(fx *installFixture) { fx.spec.Action = ActionUpgrade }, "not supported yet"},
		{"no boot disk", func(fx *installFixture) { fx.spec.Layout.Disks[0].Role = "data" }, "no boot disk"},
		{"slot too small", func(fx *installFixture) {
			for i, p := range fx.spec.Layout.Disks[0].Partitions {
				if p.Name == "RootA" {
					fx.spec.Layout.Disks[0].Partitions[i].Size = 2048 // 1 MiB
				}
			}
		}, "does not fit slot RootA"},
		{"no config partition", func(fx *installFixture) {
			d := &fx.spec.Layout.Disks[0]
			var ps []storage.PlannedPartition
			for _, p := range d.Partitions {
				if p.Name != "Config" {
					ps = append(ps, p)
				}
			}
			d.Partitions = ps
		}, "no Config partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newInstallFixture(t, 3072)
			tt.edit(fx)
			var rec engRecorder
			err := Install(context.Background(), fx.spec, fx.bundle, &rec, RunOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Install = %v, want %q", err, tt.want)
			}
			if len(rec.events) != 1 || rec.events[0].Kind != event.Failed {
				t.Errorf("events %+v, want one Failed", rec.events)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(fx.disk, &st); err != nil || st.Blocks != 0 {
				t.Errorf("the sparse disk image has %d blocks allocated (%v): written although the install was refused", st.Blocks, err)
			}
		})
	}
}

func TestEFIEntriesLabelled(t *testing.T) {
	listing := "BootCurrent: 0001\nBootOrder: 0003,0001\nBoot0001* UEFI QEMU HARDDISK\tPciRoot(0x0)\nBoot0003* node\tHD(1,GPT,...)\nBoot0004  node\nBoot0005* node2\n"
	var got []string
	for _, e := range ParseFirmwareEntries(listing) {
		if e.Label == "node" {
			got = append(got, e.Num)
		}
	}
	if strings.Join(got, ",") != "0003,0004" {
		t.Errorf("got %v, want [0003 0004]", got)
	}
}
