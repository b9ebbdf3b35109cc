package installer

import (
	"strings"
	"testing"

	"node-installer/storage"
)

func TestRootDeviceSelector(t *testing.T) {
	for _, c := range []struct {
		name string
		h    storage.RootDeviceHints
		raw  string // the selector, "" when a problem is expected
		bad  string // the hint of the problem
	}{
		{"size equal", storage.RootDeviceHints{Size: "100"}, "size>=100GiB,size<101GiB", ""},
		{"size operators", storage.RootDeviceHints{Size: ">= 200"}, "size>=200GiB", ""},
		{"size greater", storage.RootDeviceHints{Size: "> 200"}, "size>=201GiB", ""},
		{"size at most", storage.RootDeviceHints{Size: "<=50"}, "size<51GiB", ""},
		{"size below", storage.RootDeviceHints{Size: "< 50"}, "size<50GiB", ""},
		{"strings and s==", storage.RootDeviceHints{Model: "s== Samsung SSD 860", Vendor: "ATA", Serial: "S3Z9NB0K"},
			"model=Samsung SSD 860,vendor=ATA,serial=S3Z9NB0K", ""},
		{"name and by_path", storage.RootDeviceHints{Name: "/dev/sdb", ByPath: "/dev/disk/by-path/pci-0000:00:1f.2-ata-2"},
			"path=/dev/sdb,path=/dev/disk/by-path/pci-0000:00:1f.2-ata-2", ""},
		{"wwn forms", storage.RootDeviceHints{WWN: "0x5000C500A0B1C2D3", WWNWithExtension: "0x6001405f1c2d3e4f0x1a2b3c4d5e6f7a8b"},
			"wwid=*5000c500a0b1c2d3,wwid=*6001405f1c2d3e4f1a2b3c4d5e6f7a8b", ""},
		{"rotational", storage.RootDeviceHints{Rotational: "true"}, "type=hdd", ""},
		{"not rotational", storage.RootDeviceHints{Rotational: "False"}, "type=ssd", ""},
		{"size in", storage.RootDeviceHints{Size: "<in> 100"}, "", "size"},
		{"size not a number", storage.RootDeviceHints{Size: "100G"}, "", "size"},
		{"size not equal", storage.RootDeviceHints{Size: "!= 100"}, "", "size"},
		{"model or", storage.RootDeviceHints{Model: "<or> A <or> B"}, "", "model"},
		{"wwn not hex", storage.RootDeviceHints{WWN: "naa.x"}, "", "wwn"},
		{"rotational maybe", storage.RootDeviceHints{Rotational: "maybe"}, "", "rotational"},
		{"hctl", storage.RootDeviceHints{HCTL: "1:0:0:0"}, "", "hctl"},
		{"empty", storage.RootDeviceHints{}, "", ""},
	} {
		sel, ps := rootDeviceSelector(c.h)
		if c.raw != "" {
			if len(ps) > 0 || sel.Raw != c.raw || sel.From != "storage.root_device" {
				t.Errorf("%s: %q %v, want %q", c.name, sel.Raw, ps, c.raw)
			}
			if _, err := ParseSelector(sel.Raw); err != nil && !strings.Contains(sel.Raw, "Samsung") {
				t.Errorf("%s: %q does not read as node.disk: %v", c.name, sel.Raw, err)
			}
			continue
		}
		if len(ps) != 1 || ps[0].key != c.bad {
			t.Errorf("%s: problems %v, want one for %q", c.name, ps, c.bad)
		}
	}
}

// TestRootDeviceHintsChooseOneDisk: hints in the answer file choose the
// one disk they describe, ambiguous hints are a problem naming
// storage.root_device with each disk's reason, a bad hint is a problem
// on its line, and node.disk= on the kernel command line replaces them.
func TestRootDeviceHintsChooseOneDisk(t *testing.T) {
	disks := []storage.Disk{
		{Path: "/dev/sda", Name: "sda", Size: 480 << 30, Model: "Samsung SSD 860", Serial: "S3Z9NB0K", WWID: "naa.5002538e40a1b2c3", Transport: "ata"},
		{Path: "/dev/sdb", Name: "sdb", Size: 4000 << 30, Model: "ST4000NM0035", Serial: "ZC1A2B3C", WWID: "naa.5000c500a0b1c2d3", Rotational: true, Transport: "ata"},
		{Path: "/dev/sdc", Name: "sdc", Size: 480 << 30, Model: "Samsung SSD 860", Serial: "S3Z9NB0X", WWID: "naa.5002538e40a1b2ff", Transport: "ata"},
	}
	facts := Facts{Firmware: "uefi", MemBytes: 8 << 30, Disks: disks}
	plan := func(answer, cmdline string) Plan {
		t.Helper()
		cfg := Defaults()
		if ps := LoadAnswerFile(strings.NewReader("action: install\nstorage:\n  init: true\n  root_device:\n"+answer), &cfg); len(ps) > 0 {
			t.Fatal(ps.Error())
		}
		ApplyCmdline(&cfg, cmdline)
		return MakePlan(cfg, facts)
	}
	for _, c := range []struct{ answer, want string }{
		{"    size: 480\n    serial: S3Z9NB0X\n", "/dev/sdc"},
		{"    rotational: true\n", "/dev/sdb"},
		{"    wwn: \"0x5002538E40A1B2C3\"\n", "/dev/sda"},
		{"    size: \">= 1000\"\n", "/dev/sdb"},
		{"    name: /dev/sdc\n", "/dev/sdc"},
	} {
		p := plan(c.answer, "")
		if !p.OK() || p.Choice.Boot.Path != c.want {
			t.Errorf("hints %q: boot %q, problems:\n%s", c.answer, p.Choice.Boot.Path, p.Problems.Error())
		}
	}
	p := plan("    model: Samsung SSD 860\n    rotational: false\n", "")
	if p.OK() {
		t.Fatalf("two disks match: chose %s", p.Choice.Boot.Path)
	}
	text := p.Problems.Error()
	t.Logf("ambiguous hints: %s", text)
	if !strings.Contains(text, "storage.root_device") || !strings.Contains(text, "2 usable disks") || !strings.Contains(text, "sda, sdc") {
		t.Errorf("ambiguous hints: %s", text)
	}
	p = plan("    size: \"<in> 100\"\n", "")
	if p.OK() || !strings.Contains(p.Problems.Error(), "storage.root_device.size") || !strings.Contains(p.Problems.Error(), "answer file line 5") {
		t.Errorf("a bad size hint: %s", p.Problems.Error())
	}
	p = plan("    hctl: \"0:0:0:0\"\n", "node.disk=serial=ZC1A2B3C")
	if !p.OK() || p.Choice.Boot.Path != "/dev/sdb" {
		t.Errorf("node.disk= over the hints: boot %q, problems:\n%s", p.Choice.Boot.Path, p.Problems.Error())
	}
	cfg := Defaults()
	LoadAnswerFile(strings.NewReader("storage:\n  root_device: {size: 480}\n  selectors: [{raw: x, rules: [{key: largest}]}]\n"), &cfg)
	if ps := cfg.Validate(); !strings.Contains(ps.Error(), "both given") {
		t.Errorf("hints and selectors together: %s", ps.Error())
	}
}
