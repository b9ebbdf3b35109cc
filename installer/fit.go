package installer

import (
	"fmt"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
)

// fitProblems is the one rule for "the media fit the disk": the root
// image fits the slot it goes to and the boot files fit the ESP. The
// plan decides it when the manifest is known (Facts.Media) and the
// engine checks it again against the bundle it is handed, before its
// first write, so a reinstall never wipes a disk it then cannot fill.
func fitProblems(p *Plan, m media.Manifest) Problems {
	var ps Problems
	add := func(field, format string, a ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	root, _ := m.File(media.RoleRootfs)
	switch p.Action {
	case ActionInstall, ActionReinstall:
		boot, ok := bootLayout(p.Layout)
		if !ok {
			return nil // no layout: the plan already says why
		}
		if slot, ok := partitionNamed(boot, "Root"+installSlot); ok {
			if _, size := byteRange(boot, slot); root.Size > size {
				add("storage.volumes", "root image of %s (%s) does not fit slot %s (%s): give the root volume more room (storage_vol=...) or use a bigger disk",
					event.HumanBytes(root.Size), root.Name, slot.Name, event.HumanBytes(size))
			}
		}
		if esp, ok := partitionNamed(boot, "EFI"); ok {
			var bootBytes int64
			for _, r := range []media.Role{media.RoleKernel, media.RoleInitrd, media.RoleBootloader} {
				f, _ := m.File(r)
				bootBytes += f.Size
			}
			// The bootloader is written twice (fallback path and systemd path);
			// a tenth of the ESP stays free for FAT overhead.
			f, _ := m.File(media.RoleBootloader)
			bootBytes += f.Size
			if _, size := byteRange(boot, esp); bootBytes > size*9/10 {
				add("storage.volumes", "boot files of %s do not fit the %s ESP", event.HumanBytes(bootBytes), event.HumanBytes(size))
			}
		}
	case ActionUpgrade:
		if p.Upgrade == nil {
			return nil
		}
		// Which slot is written depends on the ESP's loader entries; both
		// slots are made the same size, so each must hold the image.
		for _, s := range Slots {
			part, err := partitionByName(*p.Upgrade, "Root"+s)
			if err == nil && root.Size > part.Size {
				add("media.rootfs", "root image of %s (%s) does not fit slot Root%s of %s (%s): an upgrade keeps the partition table; reinstall with a bigger root volume",
					event.HumanBytes(root.Size), root.Name, s, p.Upgrade.Path, event.HumanBytes(part.Size))
			}
		}
	}
	return ps
}

// bootLayout is the layout's boot disk.
func bootLayout(l storage.Layout) (storage.DiskLayout, bool) {
	for _, dl := range l.Disks {
		if dl.Role == "boot" {
			return dl, true
		}
	}
	return storage.DiskLayout{}, false
}
