package installer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/internal/testutil"
)

var secretArg = regexp.MustCompile(`(adminpw|rootpw)=\S+`)

func loadProfile(t testing.TB, name string) Facts {
	t.Helper()
	f, err := LoadFacts(filepath.Join("testdata", "profiles", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got)
}

// planCases are command lines planned against each recorded profile.
// ok says whether the plan must be free of problems; boot is the disk it
// must choose ("" = none).
var planCases = []struct {
	profile, name, cmdline string
	ok                     bool
	boot                   string
}{
	{"virtio-1disk", "bare", "storage_init", true, "/dev/vda"},
	{"virtio-1disk", "interactive", "", true, ""},
	{"virtio-1disk", "no-swap-console", "storage_init=/dev/vda storage_vol=:0::::-1 console=ttyS0,115200n8 crashkernel=auto", true, "/dev/vda"},
	{"virtio-1disk", "missing-disk", "storage_init=/dev/vdb", false, ""},
	{"virtio-1disk", "selector-no-match", "storage_init node.disk=type=nvme", false, ""},
	{"virtio-1disk", "by-id", "storage_init=/dev/disk/by-id/virtio-node-vda-1 BOOTIF=enp1s0 ip=dhcp", true, "/dev/vda"},
	{"sata2-usbboot", "bare", "storage_init", true, "/dev/sda"},
	{"sata2-usbboot", "usb-stick-refused", "storage_init=/dev/sdc", false, ""},
	{"sata2-usbboot", "usb-bus-only-boot-media", "storage_init=usb", false, ""},
	{"sata2-usbboot", "appdisk", "storage_init=/dev/sda;/dev/sdb storage_vol=::::::2048:-1", true, "/dev/sda"},
	{"sata2-usbboot", "selector-hdd", "storage_init node.disk=type=hdd", true, "/dev/sdb"},
	{"sata2-usbboot", "selector-ambiguous", "storage_init node.disk=bus=ata", false, ""},
	{"sata2-usbboot", "ovirt-pxe", "BOOTIF=01-0c-c4-7a-aa-bb-01 storage_init=/dev/sda storage_vol=:4096::5:2048:-1 adminpw=$6$rounds=5000$saltsalt$YbHVXAJpGKDWmVRj3h4Mc7WDhcsnXJ2dGfyNwPmZkjVoTqjWU2RoSpJwCFeqcPVU.SGXNwVHyuFrjgIuZzG8B0 ip=192.0.2.10 netmask=255.255.255.0 gateway=192.0.2.1 dns=192.0.2.2,192.0.2.3 ntp=pool.example.org hostname=node1.example.org ssh_pwauth=1 reinstall", true, "/dev/sda"},
	// The oVirt Node 3.x documentation's PXE example: a DES adminpw= hash.
	{"sata2-usbboot", "ovirt-des-adminpw", "storage_init=/dev/sda adminpw=abiQ6Ep3EYTHc BOOTIF=01-0c-c4-7a-aa-bb-01 ip=dhcp", true, "/dev/sda"},
	{"nvme-4kn-sas", "nvme-bus", "storage_init=nvme", true, "/dev/nvme0n1"},
	{"nvme-4kn-sas", "sas-4kn-serial", "storage_init=scsi:Y9A0A01XFXYZ", true, "/dev/sda"},
	{"nvme-4kn-sas", "selector-fallback", "storage_init node.disk=serial=NOPE node.disk=type=ssd,largest", true, "/dev/nvme0n1"},
	{"nvme-4kn-sas", "esp-too-small-4kn", "storage_init=/dev/sda storage_vol=200", false, "/dev/sda"},
	{"nvme-4kn-sas", "both-disks", "storage_init=/dev/nvme0n1,/dev/sda storage_vol=::::::4096:-1 BOOTIF=ens1f1 ip=dhcp", true, "/dev/nvme0n1"},
	{"small-disk", "bare-too-small", "storage_init", false, ""},
	{"small-disk", "explicit-too-small", "storage_init=/dev/vda", false, "/dev/vda"},
	{"disks64", "bare", "storage_init", true, "/dev/sda"},
	{"disks64", "selector-serial", "storage_init node.disk=serial=ZC100042X", true, "/dev/sdaq"},
	{"disks64", "scsi-all", "storage_init=scsi:ALL", true, "/dev/sda"},
	{"disks64", "smallest", "storage_init node.disk=smallest", true, "/dev/sda"},
	{"nics-one-carrier", "bootif-link", "storage_init BOOTIF=link ip=dhcp", true, "/dev/sda"},
	{"nics-one-carrier", "bootif-mac-bridged", "storage_init BOOTIF=ac:1f:6b:00:00:03 ip=dhcp network_layout=bridged", true, "/dev/sda"},
	{"nics-one-carrier", "bootif-unknown", "storage_init BOOTIF=eno9 ip=dhcp", false, "/dev/sda"},
	{"bios-only", "bare", "storage_init", false, "/dev/sda"},
	{"installed", "refused", "storage_init=/dev/sda", false, ""},
	{"installed", "reinstall", "storage_init=/dev/sda reinstall", true, "/dev/sda"},
	{"installed", "force", "storage_init=/dev/sda node.wipe=force", true, "/dev/sda"},
	// A second installation beside the first is refused (a PXE line that
	// installs on every boot would fill one disk after the other).
	{"installed", "second-disk", "storage_init", false, "/dev/sdb"},
	{"installed", "second-disk-named", "storage_init=/dev/sdb BOOTIF=link", false, "/dev/sdb"},
	{"installed", "halt-if-installed", "storage_init node.halt_if_installed", true, ""},
	{"installed", "upgrade", "upgrade", true, "/dev/sda"},
	{"installed", "uninstall", "uninstall", true, ""},
	{"installed", "bad-args", "storage_init=/dev/sda storage_vol=:0:0 node.foo=1 adminpw=plain", false, ""},
}

func TestPlanGolden(t *testing.T) {
	for _, c := range planCases {
		t.Run(c.profile+"/"+c.name, func(t *testing.T) {
			facts := loadProfile(t, c.profile)
			cfg, ps := ParseCmdline(c.cmdline)
			p := MakePlan(cfg, facts)
			p.Problems = append(ps, p.Problems...)
			shown := secretArg.ReplaceAllString(c.cmdline, "$1=***")
			text := "$ node-installer plan --facts " + c.profile + ".json --cmdline '" + shown + "'\n" + p.Text()
			golden(t, filepath.Join("plan", c.profile, c.name+".txt"), text)
			if p.OK() != c.ok {
				t.Errorf("OK() = %v, want %v; problems:\n%s", p.OK(), c.ok, p.Problems.Error())
			}
			if p.Choice.Boot.Path != c.boot {
				t.Errorf("boot disk %q, want %q", p.Choice.Boot.Path, c.boot)
			}
			if strings.Contains(text, "$6$rounds") || strings.Contains(text, "abiQ6Ep3EYTHc") {
				t.Error("the plan shows the admin password hash")
			}
			for _, dl := range p.Layout.Disks {
				for _, cand := range p.Choice.Candidates {
					if cand.Disk.Path == dl.Disk.Path && cand.Disk.BootMedia {
						t.Errorf("boot media %s in the layout", dl.Disk.Path)
					}
				}
			}
		})
	}
}

// TestPlanJSON checks the JSON form round-trips the parts a machine reads.
func TestPlanJSON(t *testing.T) {
	cfg, _ := ParseCmdline("storage_init=/dev/sda;/dev/sdb")
	p := MakePlan(cfg, loadProfile(t, "sata2-usbboot"))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Layout, back.Layout); diff != "" {
		t.Errorf("layout after JSON (-want +got):\n%s", diff)
	}
	if len(back.Layout.Disks) != 2 || back.Layout.Disks[1].Partitions[0].Name != "Data2" {
		t.Errorf("layout %+v", back.Layout)
	}
}

func TestMakePlanPure(t *testing.T) {
	facts := loadProfile(t, "disks64")
	cfg, _ := ParseCmdline("storage_init=scsi:ALL")
	before, _ := json.Marshal(facts)
	a := MakePlan(cfg, facts).Text()
	b := MakePlan(cfg, facts).Text()
	after, _ := json.Marshal(facts)
	if a != b {
		t.Error("two plans of the same input differ")
	}
	if string(before) != string(after) {
		t.Error("MakePlan changed its facts")
	}
}

func TestLoadFacts(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("testdata", "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		n++
		f, err := LoadFacts(filepath.Join("testdata", "profiles", e.Name()))
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if f.Name+".json" != e.Name() {
			t.Errorf("%s: name %q", e.Name(), f.Name)
		}
	}
	if n < 8 {
		t.Errorf("%d profiles, want at least 8", n)
	}
	bad := []struct{ name, json, want string }{
		{"unknown key", `{"firmware":"uefi","mem_bytes":1,"disk":[]}`, `unknown field "disk"`},
		{"firmware", `{"firmware":"efi","mem_bytes":1}`, `firmware "efi": want uefi or bios`},
		{"no ram", `{"firmware":"bios","mem_bytes":0}`, "mem_bytes 0"},
		{"duplicate disk", `{"firmware":"bios","mem_bytes":1,"disks":[{"name":"a","path":"/dev/a","size":1,"logical_sector":512},{"name":"a","path":"/dev/a","size":1,"logical_sector":512}]}`, "listed twice"},
		{"sector", `{"firmware":"bios","mem_bytes":1,"disks":[{"name":"a","path":"/dev/a","size":1,"logical_sector":520}]}`, "logical_sector 520"},
		{"not json", `firmware: uefi`, "invalid character"},
	}
	for _, c := range bad {
		p := filepath.Join(t.TempDir(), "p.json")
		os.WriteFile(p, []byte(c.json), 0o644)
		if _, err := LoadFacts(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := LoadFacts(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestSaveFactsRoundTrip(t *testing.T) {
	f := loadProfile(t, "installed")
	p := filepath.Join(t.TempDir(), "f.json")
	if err := SaveFacts(p, f); err != nil {
		t.Fatal(err)
	}
	g, err := LoadFacts(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, g); diff != "" {
		t.Errorf("(-saved +loaded):\n%s", diff)
	}
}

func BenchmarkPlan64Disks(b *testing.B) {
	facts := loadProfile(b, "disks64")
	const line = "BOOTIF=eno1 ip=dhcp storage_init node.disk=serial=ZC100042X node.disk=smallest storage_vol=:8192::::-1 console=ttyS0"
	b.ReportAllocs()
	for b.Loop() {
		cfg, ps := ParseCmdline(line)
		if len(ps) > 0 {
			b.Fatal(ps)
		}
		if p := MakePlan(cfg, facts); !p.OK() {
			b.Fatal(p.Problems)
		}
	}
}

// What the probe left unread on a disk (an ESP over its read budget, too
// many loader entries) is a plan warning naming the disk, whichever disk
// it is: a crafted stick is seen, not silently half-read.
func TestPlanWarnsOfUnreadDisks(t *testing.T) {
	facts := loadProfile(t, "sata2-usbboot")
	last := &facts.Disks[len(facts.Disks)-1]
	last.Notes = []string{"ESP (partition 1): not read to the end (still reading after 3s): an installation there is not seen"}
	cfg, _ := ParseCmdline("storage_init=/dev/sda")
	p := MakePlan(cfg, facts)
	want := "disk " + last.Path + ": ESP (partition 1): not read to the end"
	if !strings.Contains(strings.Join(p.Warnings, "\n"), want) || !strings.Contains(p.Text(), "warning: "+want) {
		t.Errorf("no warning %q:\n%s", want, p.Text())
	}
}
