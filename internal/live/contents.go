package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// InstallerModules are loaded by the live environment before the
// installer starts, in dependency order: disks (virtio, SATA/AHCI, NVMe,
// SCSI, common server RAID HBAs), the boot medium (CD: sr_mod + isofs;
// USB: xhci/ehci + usb_storage/uas), NICs, the slot and ESP filesystems
// (squashfs, vfat and its code pages, ext4 with its crc32c softdep that
// busybox does not follow), loop, efivarfs and device-mapper. '?' marks
// a module a kernel flavour may lack or build in (the cloud kernel has
// no AHCI, USB or physical NIC drivers).
var InstallerModules = []string{
	"virtio_pci", "virtio_blk", "?virtio_net", "?virtio_scsi", "?sd_mod", "?sr_mod", "?isofs",
	"?ahci", "?ata_piix", "?nvme", "?megaraid_sas", "?mpt3sas", "?hpsa", "?smartpqi", "?aacraid",
	"?xhci_pci", "?ehci_pci", "?usb_storage", "?uas", "?usbhid", "?hid_generic",
	"?e1000", "?e1000e", "?igb", "?ixgbe", "?i40e", "?ice", "?bnxt_en", "?tg3", "?mlx5_core", "?r8169",
	"squashfs", "?crc32c_generic", "?crc32c_intel", "ext4",
	"vfat", "?nls_cp437", "?nls_ascii", "?nls_utf8", "?loop", "?efivarfs", "?dm_mod",
}

// InstallerTools are the host programs the installer runs, carried with
// their shared libraries (busybox has no mkfs.ext4; efibootmgr adds the
// firmware boot entry).
var InstallerTools = []string{"mke2fs", "mkfs.ext4", "mkswap", "efibootmgr"}

// FindTool finds a host program on the PATH or in the sbin folders.
func FindTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (install e2fsprogs, util-linux, efibootmgr)", name)
}
