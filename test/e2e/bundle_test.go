//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"node-installer/test/vm"
)

// TestBundleBootsReferenceDisk boots the bootable test bundle from disks
// made on the host (no engine involved) through OVMF and systemd-boot, and
// checks the marker line: the image's version, the slot named by the
// loader entry and the hostname read from the Config partition.
func TestBundleBootsReferenceDisk(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	cases := []struct {
		name  string
		slots []vm.RefSlot
		want  string // marker regexp
		vars  bool   // firmware from pflash with a variable store copy
	}{
		{
			name:  "slot A only",
			slots: []vm.RefSlot{{Slot: "A", Bundle: e.bundles[v1]}},
			want:  `^NODE-MARKER version=1\.0\.0 slot=A hostname=ref\.example\.org$`,
		},
		{
			name:  "slot A with pflash firmware",
			slots: []vm.RefSlot{{Slot: "A", Bundle: e.bundles[v1]}},
			want:  `^NODE-MARKER version=1\.0\.0 slot=A hostname=ref\.example\.org$`,
			vars:  true,
		},
		{
			// no default in loader.conf: systemd-boot picks the newest version
			name:  "A and B with B newer",
			slots: []vm.RefSlot{{Slot: "A", Bundle: e.bundles[v1]}, {Slot: "B", Bundle: e.bundles[v2]}},
			want:  `^NODE-MARKER version=2\.0\.0 slot=B hostname=ref\.example\.org$`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			disk := filepath.Join(t.TempDir(), "ref.img")
			start := time.Now()
			if err := vm.MakeReferenceDisk(context.Background(), vm.RefDisk{Path: disk, Slots: tc.slots, Hostname: "ref.example.org"}); err != nil {
				t.Fatal(err)
			}
			t.Logf("timing: reference disk %.2fs", time.Since(start).Seconds())
			m := vm.Machine{Name: "uefi-boot", UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute}
			if tc.vars {
				m.UEFIVars = filepath.Join(t.TempDir(), "vars.fd")
				if err := vm.NewUEFIVars(m.UEFIVars); err != nil {
					t.Skip(err.Error())
				}
			}
			boot(t, m, regexp.MustCompile(tc.want))
		})
	}
}
