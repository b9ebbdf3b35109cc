//go:build e2e

package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"node-installer/test/vm"
)

// TestInstallerStarts boots the installer initramfs (kernel modules, the
// static node-installer, the media bundle) and runs node-installer as a
// child of /init: the version command, and `plan` against the guest's own
// kernel command line and virtio disk (it must write nothing).
func TestInstallerStarts(t *testing.T) {
	e := setup(t)
	needOVMF(t) // the installer refuses legacy BIOS: the node boots with systemd-boot
	t.Run("version", func(t *testing.T) {
		t.Parallel()
		initrd := e.installerInitrd(t, vm.InstallerSpec{Bundle: e.bundles[v1], Args: []string{"version"}})
		boot(t, vm.Machine{Name: "installer-version", UEFI: true, Kernel: e.tc.Kernel.Vmlinuz(), Initrd: initrd,
			Append: "console=ttyS0 panic=-1 quiet", Timeout: 2 * time.Minute},
			regexp.MustCompile(`^VMTEST-INSTALLER-INIT kernel=\S+ modules=[1-9]`),
			regexp.MustCompile(`^`+regexp.QuoteMeta(installerVersion)+`$`),
			regexp.MustCompile(`^VMTEST-INSTALLER-EXIT rc=0$`))
	})
	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		e.needCommand(t, "plan", "owned by the plan work")
		disk := filepath.Join(t.TempDir(), "disk.img")
		if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
			t.Fatal(err)
		}
		before, err := vm.Digest(disk)
		if err != nil {
			t.Fatal(err)
		}
		initrd := e.installerInitrd(t, vm.InstallerSpec{Bundle: e.bundles[v1], Disks: 1,
			Args: []string{"plan", "--cmdline", vm.CmdlineArg}})
		boot(t, vm.Machine{Name: "installer-plan", UEFI: true, Kernel: e.tc.Kernel.Vmlinuz(), Initrd: initrd,
			Append:  "console=ttyS0 panic=-1 quiet storage_init=/dev/vda hostname=node1.example.org node.media=" + vm.MediaPath,
			Disks:   []vm.Disk{{Path: disk, Serial: "PLAN0001"}},
			Timeout: 2 * time.Minute},
			regexp.MustCompile(`vda`),
			regexp.MustCompile(`^VMTEST-INSTALLER-EXIT rc=0$`))
		if after, err := vm.Digest(disk); err != nil || after != before {
			t.Errorf("plan changed the disk (digest %s -> %s, %v)", before, after, err)
		}
	})
}
