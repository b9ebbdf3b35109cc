//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"node-installer/test/vm"
)

// adminHash is `openssl passwd -6 -salt e2etestsalt node1pass`.
const adminHash = "$6$e2etestsalt$XdISaNdqNyBXPJdYdet9hsUYawN/VJn6vSVDHVUK/v06dnF4NYuPeSzk6j/87sKUxiPBS1mRtODbz2Qe143gw/"

// wantPartitions are the GPT names of an installation (SPEC §4).
var wantPartitions = []string{"EFI", "RootA", "RootB", "Config", "Logging", "Swap", "Data"}

// install boots the installer as PID 1 with args on the kernel command
// line against disks, and fails t unless it ended by itself (power-off).
func (e *env) install(t *testing.T, args string, disks []vm.Disk) *vm.Result {
	t.Helper()
	return e.installVars(t, args, disks, "")
}

// installVars is install with the firmware's variable store in vars
// (pflash, see vm.NewUEFIVars), so the installer can add a boot entry.
func (e *env) installVars(t *testing.T, args string, disks []vm.Disk, vars string) *vm.Result {
	t.Helper()
	m := e.installerVM(t, "installer", vm.InstallerSpec{Bundle: e.bundles[v1], Exec: true}, args, disks)
	m.UEFIVars = vars
	return installWith(t, m)
}

// checkInstalled runs the host-side checks of an installed disk image.
func (e *env) checkInstalled(t *testing.T, disk string) {
	t.Helper()
	if out := sh(t, "sgdisk", "-v", disk); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v %s:\n%s", disk, out)
	}
	table := sh(t, "sgdisk", "-p", disk)
	for _, name := range wantPartitions {
		if !regexp.MustCompile(`(?m)\s` + name + `\s*$`).MatchString(table) {
			t.Errorf("no partition named %s:\n%s", name, table)
		}
	}
	if !e.cmds["inspect"] {
		t.Logf("node-installer has no inspect command yet: inspect check skipped")
		return
	}
	out, err := exec.Command(e.binary, "inspect", "--json", disk).Output()
	if err != nil {
		t.Fatalf("node-installer inspect --json %s: %v\n%s", disk, err, out)
	}
	var rep struct {
		Installation *struct {
			Product     string `json:"product"`
			NotFinished bool   `json:"not_finished"`
			Slots       []struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"slots"`
		} `json:"installation"`
		Problems []string `json:"problems"`
	}
	// one report, or a list of them (one per disk)
	data := strings.TrimSpace(string(out))
	if strings.HasPrefix(data, "[") {
		data = strings.TrimSuffix(strings.TrimPrefix(data, "["), "]")
	}
	if err := json.Unmarshal([]byte(data), &rep); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	switch in := rep.Installation; {
	case in == nil:
		t.Errorf("inspect finds no installation on %s:\n%s", disk, out)
	case in.NotFinished:
		t.Errorf("inspect says the installation is not finished:\n%s", out)
	case len(in.Slots) == 0 || in.Slots[0].Name != "A" || in.Slots[0].Version != v1:
		t.Errorf("inspect slots = %+v, want slot A with version %s", in.Slots, v1)
	}
	if in := rep.Installation; in != nil {
		t.Logf("inspect: product %q, slots %+v, not finished %v", in.Product, in.Slots, in.NotFinished)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("inspect problems: %s", strings.Join(rep.Problems, "; "))
	}
}

// TestInstallAndBoot is scenario 1: an unattended install onto /dev/vda,
// host-side checks, then the installed disk boots through OVMF and
// systemd-boot into slot A of the installed version with the hostname.
func TestInstallAndBoot(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	// A persistent variable store: the installer adds the firmware boot
	// entry with efibootmgr, and the disk then boots with that store.
	vars := filepath.Join(t.TempDir(), "vars.fd")
	if err := vm.NewUEFIVars(vars); err != nil {
		t.Skipf("no OVMF variable store: %v", err)
	}
	res := e.installVars(t, "storage_init=/dev/vda adminpw="+adminHash+" hostname=node1.example.org", []vm.Disk{{Path: disk, Serial: "NODE0001"}}, vars)
	if m := res.Find(regexp.MustCompile(`firmware boot entry (\S+) created`)); m == nil {
		t.Errorf("the installer created no firmware boot entry; last lines:\n%s", res.Tail(30))
	}
	tChecks := time.Now()
	e.checkInstalled(t, disk)
	t.Logf("timing: host-side checks %.2fs", time.Since(tChecks).Seconds())
	bootsInto(t, "installed-boot", disk, vars, "node1.example.org")
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestInstallLeavesOtherDiskAlone is scenario 2: two virtio disks, the
// first holding data, and storage_init=virtio:SERIAL naming the second:
// the install goes there and the first stays byte-identical.
func TestInstallLeavesOtherDiskAlone(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	dir := t.TempDir()
	other, target := filepath.Join(dir, "other.img"), filepath.Join(dir, "target.img")
	for _, d := range []string{other, target} {
		if err := vm.CreateSparse(d, 20*vm.GiB); err != nil {
			t.Fatal(err)
		}
	}
	// recognisable data at the start, the middle and the end of the first disk
	if err := vm.FillPattern(other, 7, 1<<20, 0, 10*vm.GiB, 20*vm.GiB-(1<<20)); err != nil {
		t.Fatal(err)
	}
	before, err := vm.Digest(other)
	if err != nil {
		t.Fatal(err)
	}
	e.install(t, "storage_init=virtio:TARGET0002 adminpw="+adminHash+" hostname=node2.example.org",
		[]vm.Disk{{Path: other, Serial: "OTHER0001"}, {Path: target, Serial: "TARGET0002"}})
	after, err := vm.Digest(other)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("the disk not named by storage_init changed: digest %s -> %s", before, after)
	}
	e.checkInstalled(t, target)
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestInstallOverHTTP is scenario 3, a PXE-style install: the installer
// initramfs carries no media; the live environment brings the NIC up on
// qemu's user network, and the installer fetches its answer file (URL
// built from the NIC's MAC) and the media bundle from an HTTP server on
// the host's loopback. The installed disk then boots with the answer
// file's hostname.
func TestInstallOverHTTP(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	var mu sync.Mutex
	var got []string
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", http.FileServer(http.Dir(e.bundles[v1]))))
	mux.HandleFunc("/cfg/"+vm.UserNetMAC+".yaml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "network:\n  hostname: node3.example.org\n")
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	base := "http://" + vm.UserNetHost + ":" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	m := e.installerVM(t, "installer-http", vm.InstallerSpec{Exec: true, Net: true}, "storage_init=/dev/vda adminpw="+adminHash+
		" node.media="+base+"/media/ node.config="+base+"/cfg/${mac}.yaml", []vm.Disk{{Path: disk}})
	m.Extra = vm.UserNetArgs
	installWith(t, m)
	mu.Lock()
	requests := strings.Join(got, "\n")
	mu.Unlock()
	for _, want := range []string{"GET /cfg/" + vm.UserNetMAC + ".yaml", "GET /media/manifest.json", "HEAD /media/root.squashfs", "GET /media/root.squashfs", "GET /media/vmlinuz"} {
		if !strings.Contains(requests, want) {
			t.Errorf("the server saw no %q; requests:\n%s", want, requests)
		}
	}
	e.checkInstalled(t, disk)
	bootsInto(t, "installed-boot-http", disk, "", "node3.example.org")
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestInstallFromAnswerVolume is scenario 4: no action on the kernel
// command line; a second disk is a vfat "USB stick" labelled NODECFG whose
// node-config.yaml names the action, the target disk and the hostname.
// The installer mounts it read-only, installs on /dev/vda, leaves the
// stick unchanged, and the installed disk boots with that hostname.
func TestInstallFromAnswerVolume(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	start := time.Now()
	dir := t.TempDir()
	target, stick := filepath.Join(dir, "target.img"), filepath.Join(dir, "stick.img")
	if err := vm.CreateSparse(target, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	if err := vm.CreateSparse(stick, 32<<20); err != nil {
		t.Fatal(err)
	}
	answer := filepath.Join(dir, "node-config.yaml")
	if err := os.WriteFile(answer, []byte("action: install\nstorage:\n  init: true\n  disks: [{path: /dev/vda}]\n"+
		"host:\n  adminpw: '"+adminHash+"'\nnetwork:\n  hostname: node4.example.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sh(t, "mkfs.vfat", "-n", "NODECFG", stick)
	sh(t, "mcopy", "-i", stick, answer, "::node-config.yaml")
	before, err := vm.Digest(stick)
	if err != nil {
		t.Fatal(err)
	}
	e.install(t, "", []vm.Disk{{Path: target, Serial: "TARGET0004"}, {Path: stick, Serial: "STICK0004"}})
	if after, err := vm.Digest(stick); err != nil || after != before {
		t.Errorf("the NODECFG stick changed: %s -> %s (%v)", before, after, err)
	}
	e.checkInstalled(t, target)
	bootsInto(t, "installed-boot-nodecfg", target, "", "node4.example.org")
	t.Logf("timing: scenario %.2fs", time.Since(start).Seconds())
}

// TestInstallRefusesHeldDisk: inside the guest a device-mapper device is
// built on /dev/vda before the installer starts (the host kernel has no
// device-mapper). Even with reinstall, the run refuses the disk naming
// its holder, exits 3, and the disk is unchanged.
func TestInstallRefusesHeldDisk(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	disk := filepath.Join(t.TempDir(), "held.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	if err := vm.FillPattern(disk, 5, 1<<20, 0, 10*vm.GiB); err != nil {
		t.Fatal(err)
	}
	before, err := vm.Digest(disk)
	if err != nil {
		t.Fatal(err)
	}
	// child mode (no Exec): /init prints the installer's exit code
	m := e.installerVM(t, "installer-held", vm.InstallerSpec{Bundle: e.bundles[v1], Tools: []string{"dmsetup"},
		Pre: `dmsetup --noudevsync create nodehold --table "0 2048 linear /dev/vda 0" && echo "VMTEST-HOLDER $(ls /sys/block/vda/holders)"`},
		"storage_init=/dev/vda reinstall adminpw="+adminHash+" hostname=node5.example.org", []vm.Disk{{Path: disk}})
	m.StopOn = vm.DefaultStopOn
	res, _ := boot(t, m)
	if res.Find(regexp.MustCompile(`^VMTEST-HOLDER dm-\d+$`)) == nil {
		t.Fatalf("no device-mapper holder was set up in the guest; last lines:\n%s", res.Tail(30))
	}
	if res.Find(regexp.MustCompile(`^VMTEST-INSTALLER-EXIT rc=3$`)) == nil || res.Find(regexp.MustCompile(`held by dm-\d+`)) == nil {
		t.Errorf("want exit 3 naming the holder; last lines:\n%s", res.Tail(30))
	}
	if after, err := vm.Digest(disk); err != nil || after != before {
		t.Errorf("the held disk changed: %s -> %s (%v)", before, after, err)
	}
}

// TestInstallOverHTTPRefusesTamperedMedia is TestInstallOverHTTP with a
// bundle whose manifest was changed after signing (its release field, as
// a mirror that rewrote it would): the installer refuses it on the
// console naming the signature, exits 4 (media), requests nothing but the
// manifest and its signature, and the disk is unchanged.
func TestInstallOverHTTPRefusesTamperedMedia(t *testing.T) {
	e := setup(t)
	t.Parallel()
	bundle := e.bundles[v1]
	manifest, err := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(manifest, []byte(`"release": "1"`), []byte(`"release": "2"`), 1)
	if bytes.Equal(tampered, manifest) {
		t.Fatalf("the test bundle's manifest has no release 1:\n%s", manifest)
	}
	var mu sync.Mutex
	var got []string
	files := http.StripPrefix("/media/", http.FileServer(http.Dir(bundle)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/media/manifest.json" {
			w.Write(tampered)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	base := "http://" + vm.UserNetHost + ":" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	if err := vm.FillPattern(disk, 7, 1<<20, 0, vm.GiB); err != nil {
		t.Fatal(err)
	}
	before, err := vm.Digest(disk)
	if err != nil {
		t.Fatal(err)
	}
	// child mode: /init prints the installer's exit code
	m := e.installerVM(t, "installer-http-tampered", vm.InstallerSpec{Net: true},
		"storage_init=/dev/vda adminpw="+adminHash+" hostname=node8.example.org node.media="+base+"/media/", []vm.Disk{{Path: disk}})
	m.Extra = vm.UserNetArgs
	m.StopOn = vm.DefaultStopOn
	res, _ := boot(t, m)
	if res.Find(regexp.MustCompile(`^VMTEST-INSTALLER-EXIT rc=4$`)) == nil || res.Find(regexp.MustCompile(`manifest\.json does not match its signature by ssh-ed25519`)) == nil {
		t.Errorf("want exit 4 naming the signature; last lines:\n%s", res.Tail(30))
	}
	mu.Lock()
	requests := strings.Join(got, "\n")
	mu.Unlock()
	if !strings.Contains(requests, "GET /media/manifest.json.sig") || strings.Contains(requests, "root.squashfs") {
		t.Errorf("want the manifest and its signature fetched and no image; requests:\n%s", requests)
	}
	if after, err := vm.Digest(disk); err != nil || after != before {
		t.Errorf("the disk changed: %s -> %s (%v)", before, after, err)
	}
}
