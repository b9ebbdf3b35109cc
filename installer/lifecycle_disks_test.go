package installer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/storage"
)

var (
	diskInstalled = storage.Disk{Name: "vda", Path: "/dev/vda", Transport: "virtio", Serial: "S1", Table: "gpt",
		Installation: &storage.Installation{}, Partitions: []storage.Partition{{PartLabel: "EFI", Label: "NODE-EFI"}, {PartLabel: "RootA"}, {PartLabel: "RootB"}}}
	diskData2  = storage.Disk{Name: "vdb", Path: "/dev/vdb", Transport: "virtio", Serial: "S2", Table: "gpt", Partitions: []storage.Partition{{PartLabel: "Data2", Label: "node-data"}}}
	diskOther  = storage.Disk{Name: "vdc", Path: "/dev/vdc", Transport: "virtio", Serial: "S3", Table: "gpt", Partitions: []storage.Partition{{PartLabel: "EFI", Label: "ESP"}, {PartLabel: "Data"}}}
	diskEmpty  = storage.Disk{Name: "vdd", Path: "/dev/vdd", Transport: "virtio"}
	diskMedia  = storage.Disk{Name: "sr0", Path: "/dev/sr0", Transport: "usb", BootMedia: true, Label: "NODE-EFI"}
	diskLooseF = storage.Disk{Name: "vde", Path: "/dev/vde", Transport: "virtio", Label: "node-data"}
)

func paths(ds []storage.Disk) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Path)
	}
	return out
}

func TestProductTraces(t *testing.T) {
	tests := []struct {
		d    storage.Disk
		want []string
	}{
		{diskInstalled, []string{"installation", "filesystem NODE-EFI", "partition RootA", "partition RootB"}},
		{diskData2, []string{"partition Data2", "filesystem node-data"}},
		{diskOther, nil},
		{diskEmpty, nil},
		{diskLooseF, []string{"filesystem node-data"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, ProductTraces(tt.d)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.d.Path, d)
		}
	}
}

func TestPlanWipeSet(t *testing.T) {
	all := []storage.Disk{diskInstalled, diskData2, diskOther, diskEmpty, diskMedia}
	tests := []struct {
		name    string
		choice  storage.Choice
		want    []string
		problem string
	}{
		{name: "boot and data disk named", choice: storage.Choice{Boot: diskInstalled, Data: []storage.Disk{diskData2}}, want: []string{"/dev/vda", "/dev/vdb"}},
		{name: "data disk of the installation not named", choice: storage.Choice{Boot: diskInstalled}, want: []string{"/dev/vda"}, problem: "spans /dev/vdb (partition Data2, filesystem node-data)"},
		{name: "install elsewhere leaves an installation behind", choice: storage.Choice{Boot: diskEmpty, Data: []storage.Disk{diskData2}}, want: []string{"/dev/vdd", "/dev/vdb"}, problem: "spans /dev/vda"},
		{name: "no boot disk", choice: storage.Choice{}, problem: "no boot disk chosen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := PlanWipeSet(tt.choice, all)
			if d := cmp.Diff(tt.want, paths(s.Disks)); d != "" {
				t.Errorf("disks (-want +got):\n%s", d)
			}
			if tt.problem == "" && len(s.Problems) > 0 || tt.problem != "" && !strings.Contains(s.Problems.Error(), tt.problem) {
				t.Errorf("problems %v, want %q", s.Problems, tt.problem)
			}
			if s.Skipped["/dev/vdc"] == "" || s.Skipped["/dev/sr0"] != "boot media" {
				t.Errorf("skipped %v", s.Skipped)
			}
		})
	}
}

func TestPlanUninstallSet(t *testing.T) {
	all := []storage.Disk{diskInstalled, diskData2, diskOther, diskEmpty, diskMedia}
	tests := []struct {
		name    string
		spec    storage.Spec
		want    []string
		skipped map[string]string
		problem string
	}{
		{name: "every disk holding the product", want: []string{"/dev/vda", "/dev/vdb"}},
		{name: "restricted to named", spec: storage.Spec{Disks: []storage.DiskRef{{Path: "/dev/vda"}}}, want: []string{"/dev/vda"},
			skipped: map[string]string{"/dev/vdb": "holds partition Data2, filesystem node-data but storage_init does not name it"}},
		{name: "named by bus and serial", spec: storage.Spec{Disks: []storage.DiskRef{{Bus: "virtio", Serial: "S2"}}}, want: []string{"/dev/vdb"}},
		{name: "named disk without product untouched", spec: storage.Spec{Disks: []storage.DiskRef{{Path: "/dev/vd[cd]"}}},
			skipped: map[string]string{"/dev/vdc": "named, but holds nothing of this product", "/dev/vdd": "named, but holds nothing of this product"}, problem: "nothing to uninstall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := PlanUninstallSet(tt.spec, all)
			if d := cmp.Diff(tt.want, paths(s.Disks)); d != "" {
				t.Errorf("disks (-want +got):\n%s", d)
			}
			for p, why := range tt.skipped {
				if s.Skipped[p] != why {
					t.Errorf("skipped[%s] = %q, want %q", p, s.Skipped[p], why)
				}
			}
			if s.Skipped["/dev/sr0"] != "boot media" {
				t.Errorf("boot media not skipped: %v", s.Skipped)
			}
			if tt.problem == "" && len(s.Problems) > 0 || tt.problem != "" && !strings.Contains(s.Problems.Error(), tt.problem) {
				t.Errorf("problems %v, want %q", s.Problems, tt.problem)
			}
			if !strings.Contains(s.Text(), "not touched") {
				t.Errorf("Text() lacks the untouched disks:\n%s", s.Text())
			}
		})
	}
}
