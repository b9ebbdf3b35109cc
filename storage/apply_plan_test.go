package storage

import (
	"context"
	"fmt"
	"testing"
)

// TestApplyPlannedLayout applies what PlanLayout plans (boot disk and an
// extra data disk, 512 and 4096-byte sectors) and checks the result with
// Inspect: the plan and the apply agree on the contract.
func TestApplyPlannedLayout(t *testing.T) {
	apNeed(t, "mkfs.ext4", "blkid")
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", ss), func(t *testing.T) {
			disk := func(size int64) Disk {
				p := apSparse(t, size)
				return Disk{Name: "img", Path: p, Size: size, LogicalSector: ss, PhysicalSector: ss, Transport: "file"}
			}
			boot, extra := disk(40<<30), disk(8<<30)
			spec := Spec{Init: true, MemOvercommit: 0.5}
			lay, err := PlanLayout(spec, Choice{Boot: boot, Data: []Disk{extra}}, 4<<30)
			if err != nil {
				t.Fatal(err)
			}
			for _, dl := range lay.Disks {
				if err := Apply(context.Background(), dl, nil); err != nil {
					t.Fatalf("Apply %s: %v", dl.Role, err)
				}
				rep := Inspect(dl.Disk.Path)
				if rep.Table != "gpt" || rep.SectorSize != ss || len(rep.Problems) > 0 || len(rep.Partitions) != len(dl.Partitions) {
					t.Fatalf("%s disk:\n%s", dl.Role, rep.Text())
				}
				for i, p := range dl.Partitions {
					got := rep.Partitions[i]
					want := map[Content]string{ContentESP: "vfat", ContentExt4: "ext4", ContentSwap: "swap"}[p.Content]
					if got.Name != p.Name || got.FSType != want || got.Label != p.Label ||
						got.Start != int64(p.Start)*int64(ss) || got.Size != int64(p.Size)*int64(ss) {
						t.Errorf("%s: inspected %+v, planned %+v", p.Name, got, p)
					}
				}
			}
		})
	}
}
