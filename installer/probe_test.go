package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/network"
	"node-installer/storage"
)

// fakeMachine writes a sysfs/dev/proc tree with one virtio disk, one NIC,
// and UEFI firmware when uefi is set.
func fakeMachine(t *testing.T, uefi bool, meminfo string) storage.ProbeOptions {
	t.Helper()
	root := t.TempDir()
	o := storage.ProbeOptions{SysRoot: filepath.Join(root, "sys"), DevRoot: filepath.Join(root, "dev"), ProcRoot: filepath.Join(root, "proc")}
	files := map[string]string{
		"sys/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/size":                      "209715200",
		"sys/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/serial":                    "disk-1",
		"sys/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/queue/logical_block_size":  "512",
		"sys/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/queue/physical_block_size": "512",
		"sys/class/net/eth0/type":      "1",
		"sys/class/net/eth0/address":   "52:54:00:aa:bb:cc",
		"sys/class/net/eth0/carrier":   "1",
		"sys/class/net/eth0/operstate": "up",
		"sys/class/net/eth0/mtu":       "1500",
		"sys/class/net/eth0/ifindex":   "2",
		"proc/meminfo":                 meminfo,
		"proc/self/mountinfo":          "",
		"proc/swaps":                   "Filename Type Size Used Priority\n",
		"proc/cmdline":                 "console=ttyS0",
	}
	for p, v := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(o.SysRoot, "block"), 0o755)
	os.MkdirAll(o.DevRoot, 0o755)
	// The disk's node: an empty (sparse) image the probe reads as blank.
	if f, err := os.Create(filepath.Join(o.DevRoot, "vda")); err == nil {
		f.Truncate(100 << 30)
		f.Close()
	}
	if err := os.Symlink("../devices/pci0000:00/0000:00:04.0/virtio2/block/vda", filepath.Join(o.SysRoot, "block", "vda")); err != nil {
		t.Fatal(err)
	}
	if uefi {
		os.MkdirAll(filepath.Join(o.SysRoot, "firmware", "efi", "efivars"), 0o755)
	}
	return o
}

func TestProbeAt(t *testing.T) {
	const meminfo = "MemTotal:       16318176 kB\nMemFree:        1000 kB"
	for _, c := range []struct {
		name     string
		uefi     bool
		firmware string
	}{{"uefi", true, "uefi"}, {"bios", false, "bios"}} {
		t.Run(c.name, func(t *testing.T) {
			f, err := ProbeAt(fakeMachine(t, c.uefi, meminfo))
			if err != nil {
				t.Fatal(err)
			}
			if f.Firmware != c.firmware || f.MemBytes != 16318176*1024 {
				t.Errorf("firmware %q mem %d", f.Firmware, f.MemBytes)
			}
			if len(f.Disks) != 1 || f.Disks[0].Name != "vda" || f.Disks[0].Transport != "virtio" || f.Disks[0].Size != 100<<30 {
				t.Errorf("disks %+v", f.Disks)
			}
			if len(f.NICs) != 1 || f.NICs[0].Name != "eth0" || !f.NICs[0].Carrier || f.NICs[0].MAC != "52:54:00:aa:bb:cc" {
				t.Errorf("nics %+v", f.NICs)
			}
			// what the probe found plans like a recorded profile
			cfg, _ := ParseCmdline("storage_init BOOTIF=link ip=dhcp")
			p := MakePlan(cfg, f)
			if p.Choice.Boot.Name != "vda" || p.Network.Device != "eth0" || len(p.Layout.Disks) != 1 {
				t.Errorf("plan of the probed facts:\n%s", p.Text())
			}
			if bios := f.Firmware == "bios"; p.OK() == bios {
				t.Errorf("firmware %s: plan OK=%v:\n%s", f.Firmware, p.OK(), p.Text())
			}
		})
	}
	t.Run("no MemTotal", func(t *testing.T) {
		f, err := ProbeAt(fakeMachine(t, true, "MemFree: 1 kB"))
		if err == nil || !strings.Contains(err.Error(), "no MemTotal line") {
			t.Errorf("err = %v", err)
		}
		if len(f.Disks) != 1 {
			t.Errorf("a RAM problem lost the disks: %+v", f.Disks)
		}
	})
}

// TestProbeLive runs the real probe on this machine: it must not fail
// and must find the RAM.
func TestProbeLive(t *testing.T) {
	if _, err := os.Stat("/sys/block"); err != nil {
		t.Skip("needs sysfs at /sys")
	}
	f, err := Probe()
	if err != nil {
		t.Fatal(err)
	}
	if f.MemBytes <= 0 || (f.Firmware != "uefi" && f.Firmware != "bios") {
		t.Errorf("facts %+v", f)
	}
}

// The hypervisor checks: CPU virtualisation flag and IOMMU from the
// probed roots, and the warnings the Welcome page and the plan show.
func TestHostWarnings(t *testing.T) {
	root := t.TempDir()
	proc, sys := filepath.Join(root, "proc"), filepath.Join(root, "sys")
	os.MkdirAll(proc, 0o755)
	os.WriteFile(filepath.Join(proc, "cpuinfo"), []byte("processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae\n"), 0o644)
	h := probeHost(sys, proc)
	if h.CPUVirt != "" || h.IOMMU {
		t.Fatalf("no vmx and no IOMMU: %+v", h)
	}
	f := Facts{MemBytes: 2 << 30, Host: h, NICs: []network.NIC{{Name: "lo", Loopback: true, Carrier: true}, {Name: "eno1"}}}
	got := strings.Join(HostWarnings(f), "\n")
	for _, w := range []string{"CPU virtualisation (Intel VT-x / AMD-V) is not available", "no IOMMU is active", "2.0 GiB of RAM is below the 4 GiB", "no NIC has a link"} {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
	os.WriteFile(filepath.Join(proc, "cpuinfo"), []byte("flags\t\t: fpu vmx ept\n"), 0o644)
	os.MkdirAll(filepath.Join(sys, "class", "iommu", "dmar0"), 0o755)
	f.Host, f.MemBytes, f.NICs[1].Carrier = probeHost(sys, proc), 64<<30, true
	if f.Host.CPUVirt != "vmx" || !f.Host.IOMMU {
		t.Fatalf("vmx and an IOMMU: %+v", f.Host)
	}
	if ws := HostWarnings(f); len(ws) != 0 {
		t.Errorf("a good hypervisor warned: %v", ws)
	}
	if ws := HostWarnings(Facts{}); len(ws) != 0 {
		t.Errorf("a profile without host facts warned: %v", ws)
	}
}
