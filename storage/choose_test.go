package storage

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// machine is a mixed machine for the choice tests.
func machine() []Disk {
	d := func(name, tr string, size int64, f func(*Disk)) Disk {
		x := Disk{Name: name, Path: "/dev/" + name, Size: size, LogicalSector: 512, PhysicalSector: 512, Transport: tr}
		if f != nil {
			f(&x)
		}
		return x
	}
	ds := []Disk{
		d("sda", "ata", 500107862016, func(x *Disk) {
			x.Model, x.Serial = "Samsung SSD 860", "S1"
			x.ByID = []string{"/dev/disk/by-id/ata-Samsung_SSD_860_S1"}
		}),
		d("sdb", "ata", 2000398934016, func(x *Disk) { x.Model, x.Serial, x.Rotational = "WDC WD20EFRX", "S2", true }),
		d("sdc", "usb", 16013942784, func(x *Disk) { x.Removable, x.BootMedia, x.Serial = true, true, "U1" }),
		d("sdd", "usb", 32017047552, func(x *Disk) { x.Removable, x.Serial = true, "U2" }),
		d("nvme0n1", "nvme", 1000204886016, func(x *Disk) { x.Model, x.Serial = "Samsung 970", "N1" }),
		d("sde", "ata", 8*gib64, func(x *Disk) { x.Serial = "S5" }),
		d("sdf", "ata", 1000204886016, func(x *Disk) {
			x.Table = "gpt"
			x.Partitions = []Partition{{Number: 1, Start: 1 << 20, Size: 1 << 30, FSType: "ext4"}}
		}),
		d("sdg", "ata", 1000204886016, func(x *Disk) { x.Table, x.Installation = "gpt", &Installation{} }),
		d("sdh", "ata", 1000204886016, func(x *Disk) { x.InUse = "sdh1 mounted at /mnt" }),
		d("sdi", "ata", 1000204886016, func(x *Disk) { x.ReadOnly = true }),
	}
	SortDisks(ds)
	return ds
}

func TestChoose(t *testing.T) {
	sel := func(raw string, rules ...Rule) Selector { return Selector{Raw: raw, Rules: rules} }
	r := func(k, op, v string) Rule { return Rule{Key: k, Op: op, Value: v} }
	cases := []struct {
		name     string
		spec     Spec
		disks    []Disk // nil = machine()
		boot     string
		data     []string
		wantErr  string
		reasonOf map[string]string // disk -> substring of its reason
	}{
		{name: "no storage_init chooses nothing", spec: Spec{}},
		{name: "bare takes the first eligible", spec: Spec{Init: true}, boot: "nvme0n1",
			reasonOf: map[string]string{"nvme0n1": "first eligible disk", "sdc": "boot media", "sda": "an earlier disk was taken"}},
		{name: "bare skips removable", spec: Spec{Init: true}, disks: []Disk{machine()[0], machine()[5]}, boot: "sdd",
			wantErr: "", reasonOf: map[string]string{}},
		{name: "path", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdb", Path: "/dev/sdb"}}}, boot: "sdb",
			reasonOf: map[string]string{"sdb": "storage_init item /dev/sdb (path /dev/sdb)", "sda": "not chosen: not named"}},
		{name: "by-id path", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/disk/by-id/ata-Samsung_SSD_860_S1", Path: "/dev/disk/by-id/ata-Samsung_SSD_860_S1"}}}, boot: "sda"},
		{name: "by-id glob", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/disk/by-id/ata-Samsung*", Path: "/dev/disk/by-id/ata-Samsung*"}}}, boot: "sda"},
		{name: "glob takes its first eligible match", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sd[a-e]", Path: "/dev/sd[a-e]"}}}, boot: "sda",
			reasonOf: map[string]string{"sdc": "boot media", "sdd": "removable", "sde": "too small: 8192 MiB", "sdb": "takes the first eligible disk matching the pattern only"}},
		{name: "glob skips to its first eligible match", spec: Spec{Init: true, AllowNonEmpty: true, Disks: []DiskRef{{Raw: "/dev/sd[c-h]", Path: "/dev/sd[c-h]"}}}, boot: "sdf",
			wantErr: "", reasonOf: map[string]string{"sdc": "boot media", "sdd": "removable", "sde": "too small", "sdg": "first eligible disk matching the pattern only"}},
		{name: "one disk per glob item", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/nvme*", Path: "/dev/nvme*"}, {Raw: "/dev/sd[ab]", Path: "/dev/sd[ab]"}}}, boot: "nvme0n1", data: []string{"sda"},
			reasonOf: map[string]string{"sdb": "first eligible disk matching the pattern only"}},
		{name: "boot media refused", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdc", Path: "/dev/sdc"}}},
			wantErr: "storage_init=/dev/sdc: no usable disk: sdc: boot media: the running live system is on it"},
		{name: "named usb stick is fine", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdd", Path: "/dev/sdd"}}}, boot: "sdd"},
		{name: "bus takes its first usable disk", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "usb", Bus: "usb"}}}, boot: "sdd",
			reasonOf: map[string]string{"sdc": "boot media"}},
		{name: "bus and serial", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "ata:S2", Bus: "ata", Serial: "S2"}}}, boot: "sdb"},
		{name: "bus and unknown serial", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "ata:NOPE", Bus: "ata", Serial: "NOPE"}}}, wantErr: "storage_init=ata:NOPE: matches no disk"},
		{name: "bus ALL", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "ata:ALL", Bus: "ata", All: true}}}, boot: "sda", data: []string{"sdb"},
			reasonOf: map[string]string{"sdf": "holds a gpt partition table with 1 partitions (ext4)", "sdg": "holds an installation", "sdh": "in use: sdh1 mounted at /mnt", "sdi": "read-only"}},
		{name: "appdisk", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}, AppDisks: []DiskRef{{Raw: "/dev/sdb", Path: "/dev/sdb"}}}, boot: "sda", data: []string{"sdb"},
			reasonOf: map[string]string{"sdb": "chosen as data disk"}},
		{name: "appdisk is the boot disk", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}, AppDisks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}},
			wantErr: "storage_init=/dev/sda: sda is the boot disk already"},
		{name: "two boot items", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}, {Raw: "/dev/sdb", Path: "/dev/sdb"}}}, boot: "sda", data: []string{"sdb"}},
		{name: "named twice counts once", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}, {Raw: "ata:S1", Bus: "ata", Serial: "S1"}}}, boot: "sda"},
		{name: "non-empty refused", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdf", Path: "/dev/sdf"}}}, wantErr: "holds a gpt partition table with 1 partitions (ext4) (add reinstall or node.wipe=force to overwrite it)"},
		{name: "non-empty with node.wipe=force", spec: Spec{Init: true, Wipe: "force", Disks: []DiskRef{{Raw: "/dev/sdf", Path: "/dev/sdf"}}}, boot: "sdf"},
		{name: "installation with reinstall", spec: Spec{Init: true, AllowNonEmpty: true, Disks: []DiskRef{{Raw: "/dev/sdg", Path: "/dev/sdg"}}}, boot: "sdg"},
		{name: "installation refused", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdg", Path: "/dev/sdg"}}}, wantErr: "holds an installation of this product"},
		{name: "in use refused even with force", spec: Spec{Init: true, Wipe: "force", Disks: []DiskRef{{Raw: "/dev/sdh", Path: "/dev/sdh"}}}, wantErr: "in use: sdh1 mounted at /mnt"},
		{name: "too small in a glob", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sd[e]", Path: "/dev/sd[e]"}}}, wantErr: "too small: 8192 MiB, the layout needs at least 11074 MiB"},
		{name: "too small named: PlanLayout tells what fits", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sde", Path: "/dev/sde"}}}, boot: "sde"},
		{name: "missing path", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdz", Path: "/dev/sdz"}}}, wantErr: "storage_init=/dev/sdz: matches no disk; candidates:\n  nvme0n1: not chosen: not named"},
		{name: "every problem at once", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sdz", Path: "/dev/sdz"}}, AppDisks: []DiskRef{{Raw: "/dev/sdc", Path: "/dev/sdc"}}},
			wantErr: "storage_init=/dev/sdc: no usable disk"},
		{name: "duplicate serial is ambiguous", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "ata:S1", Bus: "ata", Serial: "S1"}}},
			disks:   []Disk{{Name: "sda", Path: "/dev/sda", Size: 100 * gib64, Transport: "ata", Serial: "S1"}, {Name: "sdb", Path: "/dev/sdb", Size: 100 * gib64, Transport: "ata", Serial: "S1"}},
			wantErr: "storage_init=ata:S1: ambiguous: matches sda, sdb"},
		{name: "selector serial", spec: Spec{Init: true, Selectors: []Selector{sel("serial=S2", r("serial", "=", "S2"))}}, boot: "sdb",
			reasonOf: map[string]string{"sdb": "matches node.disk=serial=S2", "sda": `node.disk=serial=S2: serial is "S1"`}},
		{name: "selector type nvme", spec: Spec{Init: true, Selectors: []Selector{sel("type=nvme", r("type", "=", "nvme"))}}, boot: "nvme0n1"},
		{name: "selector ambiguous", spec: Spec{Init: true, Selectors: []Selector{sel("type=ssd", r("type", "=", "ssd"))}},
			wantErr:  "node.disk: no selector matches exactly one usable disk (node.disk=type=ssd matches 2 usable disks (nvme0n1, sda))",
			reasonOf: map[string]string{"sdd": "removable", "sda": "matches, but 2 usable disks match in all"}},
		{name: "selector with largest", spec: Spec{Init: true, Selectors: []Selector{sel("type=ssd,largest", r("type", "=", "ssd"), r("largest", "", ""))}}, boot: "nvme0n1",
			reasonOf: map[string]string{"sda": "not the largest (465.8 GiB, the largest is 931.5 GiB)"}},
		{name: "selector fallback", spec: Spec{Init: true, Selectors: []Selector{sel("serial=XX", r("serial", "=", "XX")), sel("bus=ata,largest", r("bus", "=", "ata"), r("largest", "", ""))}}, boot: "sdb",
			reasonOf: map[string]string{"sda": `node.disk=serial=XX: serial is "S1"; node.disk=bus=ata,largest: not the largest`}},
		{name: "selector size", spec: Spec{Init: true, Selectors: []Selector{sel("size>=1.5T", r("size", ">=", "1.5T"))}}, boot: "sdb"},
		{name: "selector size smallest", spec: Spec{Init: true, Selectors: []Selector{sel("size>=100G,smallest", r("size", ">=", "100G"), r("smallest", "", ""))}}, boot: "sda"},
		{name: "selector model glob any case", spec: Spec{Init: true, Selectors: []Selector{sel("model=samsung ssd*", r("model", "=", "samsung ssd*"))}}, boot: "sda"},
		{name: "selector matches only unusable", spec: Spec{Init: true, Selectors: []Selector{sel("serial=S5", r("serial", "=", "S5"))}},
			wantErr: "node.disk=serial=S5 matches 0 usable disks", reasonOf: map[string]string{"sde": "node.disk=serial=S5: matches, but too small"}},
		{name: "selector serial takes a removable disk", spec: Spec{Init: true, Selectors: []Selector{sel("serial=U2", r("serial", "=", "U2"))}}, boot: "sdd"},
		{name: "selector hdd skips removable", spec: Spec{Init: true, Selectors: []Selector{sel("type=hdd", r("type", "=", "hdd"))}}, boot: "sdb"},
		{name: "storage_init disks and node.disk", spec: Spec{Init: true, Disks: []DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}, Selectors: []Selector{sel("type=nvme", r("type", "=", "nvme"))}},
			wantErr: "give either storage_init=DISKS or node.disk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			disks := c.disks
			if disks == nil {
				disks = machine()
			}
			if c.name == "bare skips removable" {
				disks = nil
				for _, d := range machine() {
					if d.Name == "sdc" || d.Name == "sdd" { // boot media, removable
						disks = append(disks, d)
					}
				}
				c.boot, c.wantErr = "", "storage_init: no eligible disk found (each disk says why)"
				c.reasonOf = map[string]string{"sdd": "removable (name it in storage_init or node.disk to use it)"}
			}
			ch, err := Choose(c.spec, disks)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v\nwant it to contain %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			if c.wantErr == "" {
				var data []string
				for _, d := range ch.Data {
					data = append(data, d.Name)
				}
				if ch.Boot.Name != c.boot || !cmp.Equal(data, c.data) {
					t.Errorf("boot %q data %v, want %q %v", ch.Boot.Name, data, c.boot, c.data)
				}
			}
			if len(ch.Candidates) != len(disks) {
				t.Fatalf("%d candidates for %d disks", len(ch.Candidates), len(disks))
			}
			for _, cand := range ch.Candidates {
				if cand.Reason == "" {
					t.Errorf("%s has no reason", cand.Disk.Name)
				}
				if want, ok := c.reasonOf[cand.Disk.Name]; ok && !strings.Contains(cand.Reason, want) {
					t.Errorf("%s: reason %q, want it to contain %q", cand.Disk.Name, cand.Reason, want)
				}
				if cand.Chosen != (cand.Disk.Name == ch.Boot.Name || containsDisk(ch.Data, cand.Disk.Name)) {
					t.Errorf("%s: Chosen=%v disagrees with the choice", cand.Disk.Name, cand.Chosen)
				}
			}
		})
	}
}

func containsDisk(ds []Disk, name string) bool {
	for _, d := range ds {
		if d.Name == name {
			return true
		}
	}
	return false
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100G", 100e9, true}, {"1.5T", 1.5e12, true}, {"512M", 512e6, true}, {"200GiB", 200 << 30, true},
		{"4TiB", 4 << 40, true}, {"1000", 1000, true}, {"10gb", 10e9, true}, {"1K", 1000, true}, {"2KiB", 2048, true},
		{"", 0, false}, {"G", 0, false}, {"-1G", 0, false}, {"ten", 0, false},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestChooseNothingAsked lists what the TUI may offer when no disk was named.
func TestChooseNothingAsked(t *testing.T) {
	ch, err := Choose(Spec{}, machine())
	if err != nil || ch.HasBoot() {
		t.Fatalf("err %v boot %q", err, ch.Boot.Name)
	}
	want := map[string]string{"sda": "usable", "sdc": "not usable: boot media", "sdd": "not usable: removable", "sdh": "not usable: in use"}
	for _, c := range ch.Candidates {
		if w, ok := want[c.Disk.Name]; ok && !strings.HasPrefix(c.Reason, w) {
			t.Errorf("%s: %q, want prefix %q", c.Disk.Name, c.Reason, w)
		}
	}
}
