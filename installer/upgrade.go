package installer

import (
	"context"
	"errors"
	"fmt"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// ErrRefused is wrapped by every lifecycle action refused before it wrote
// anything (the plan had problems).
var ErrRefused = errors.New("refused")

// MediaVersion is the version a bundle installs: the manifest's version,
// as the install writes it to /node/<slot>/version and the loader entry.
// The manifest's release is informational: two builds of one version are
// the same version (a same-version reinstall), unless the version field
// itself carries a release ("4.6.0-2").
func MediaVersion(m media.Manifest) string {
	return m.Version
}

// readESPOf reads the ESP state of the claimed disk through a read-only view.
func readESPOf(h *diskHandle, d storage.Disk) (ESPState, error) {
	p, err := partitionByName(d, "EFI")
	if err != nil {
		return ESPState{}, err
	}
	fsys, err := esp.OpenReadOnly(h.File, p.Start, p.Size, sectorSize(d))
	if err != nil {
		return ESPState{}, fmt.Errorf("disk %s: ESP: %w", d.Path, err)
	}
	defer fsys.Close()
	return ReadESP(fsys)
}

// UpgradeDisk upgrades the installation on disk d (probed: its GPT
// partitions are known) to the bundle. Order of writes, each step an
// event (docs/lifecycle.md):
//
//  1. /node/unfinished on the ESP ("upgrade ...")
//  2. the target slot's old loader entries are removed
//  3. the root image streams into the target slot (SHA-256 in the same
//     pass), synced and read back
//  4. kernel and initrd into /node/<slot>/, read back; /node/<slot>/version
//  5. COMMIT POINT: the new entry node-<slot>+3.conf is written under a
//     temp name and renamed: from here systemd-boot boots it by default
//  6. /node/unfinished is removed
//
// Before 5 the disk boots the old version; after it the new one, falling
// back to the old one when the new one's 3 tries run out. Config, Logging
// and Data are never opened. A refused plan writes nothing.
func UpgradeDisk(ctx context.Context, d storage.Disk, bundle *media.Bundle, cfg Config, sink event.Sink) (UpgradePlan, error) {
	if sink == nil {
		sink = event.Discard{}
	}
	st := &stepper{sink: sink, expect: stepsWeight(upgradeSteps)}
	st.start("open", "claim "+d.Path)
	h, err := claimDisk(d.Path)
	if err != nil {
		return UpgradePlan{}, st.fail(err)
	}
	defer h.Close()
	// Judged on a read-only view: opening the ESP for writing already
	// rewrites its FAT copies, and a refusal writes nothing.
	state, err := readESPOf(h, d)
	if err != nil {
		return UpgradePlan{}, st.fail(err)
	}
	if err := checkNodeTrust(state, bundle, cfg); err != nil {
		return UpgradePlan{}, st.fail(fmt.Errorf("upgrade %s: %w: %w", d.Path, ErrRefused, err))
	}
	m := bundle.Manifest
	plan := MakeUpgradePlan(state, m.Product, MediaVersion(m), cfg)
	if len(plan.Problems) > 0 {
		return plan, st.fail(fmt.Errorf("upgrade %s: %w: %w", d.Path, ErrRefused, plan.Problems))
	}
	slot, err := partitionByName(d, "Root"+plan.Target)
	if err != nil && !plan.Finish {
		return plan, st.fail(err)
	}
	rootfs, ok := m.File(media.RoleRootfs)
	if !ok {
		return plan, st.fail(fmt.Errorf("media: no rootfs in the bundle"))
	}
	if !plan.Finish && rootfs.Size > slot.Size {
		return plan, st.fail(fmt.Errorf("upgrade %s: %w: image %s is %d bytes, slot Root%s holds %d", d.Path, ErrRefused, rootfs.Name, rootfs.Size, plan.Target, slot.Size))
	}
	fsys, err := openESP(h, d)
	if err != nil {
		return plan, st.fail(err)
	}
	defer fsys.Close()
	st.done(plan.Text())
	if plan.Finish {
		st.start("finish", "remove "+UnfinishedPath)
		if err := removeIfExists(fsys, UnfinishedPath); err != nil {
			return plan, st.fail(err)
		}
		st.done("")
		return plan, st.fail(fsys.Close())
	}

	st.start("marker", "write "+UnfinishedPath)
	marker := fmt.Sprintf("upgrade %s -> %s slot %s\n", plan.From, plan.To, plan.Target)
	if err := writeESPBytes(fsys, UnfinishedPath, []byte(marker)); err != nil {
		return plan, st.fail(err)
	}
	st.done("")

	st.start("remove-old-entries", fmt.Sprintf("slot %s entries: %v", plan.Target, plan.Remove))
	for _, p := range plan.Remove {
		if err := removeIfExists(fsys, p); err != nil {
			return plan, st.fail(err)
		}
	}
	st.done("")

	st.start("write-slot", fmt.Sprintf("%s -> Root%s (%d bytes)", rootfs.Name, plan.Target, rootfs.Size))
	r, err := bundle.Open(media.RoleRootfs)
	if err != nil {
		return plan, st.fail(err)
	}
	// The media reader fails at EOF on a size or digest mismatch; the
	// range is read back after the fsync to prove the disk kept it.
	_, err = WriteSlot(ctx, d.Path, slot.Start, slot.Size, r, rootfs.Size, func(n int64) { st.progress(n, rootfs.Size) })
	r.Close()
	if err == nil {
		err = verifyRange(ctx, h.File, slot.Start, rootfs.Size, rootfs.Digest())
	}
	if err != nil {
		return plan, st.fail(fmt.Errorf("slot Root%s: %w", plan.Target, err))
	}
	st.done("verified")

	for _, f := range []struct {
		role media.Role
		name string
	}{{media.RoleKernel, "vmlinuz"}, {media.RoleInitrd, "initrd.img"}} {
		st.start("write-"+string(f.role), slotFile(plan.Target, f.name))
		mf, _ := m.File(f.role)
		rd, err := bundle.Open(f.role)
		if err != nil {
			return plan, st.fail(err)
		}
		err = writeESPFile(fsys, slotFile(plan.Target, f.name), rd, mf.Size, mf.Digest())
		rd.Close()
		if err != nil {
			return plan, st.fail(err)
		}
		st.done("verified")
	}
	st.start("write-version", slotFile(plan.Target, "version"))
	if err := writeESPBytes(fsys, slotFile(plan.Target, "version"), []byte(plan.To+"\n")); err != nil {
		return plan, st.fail(err)
	}
	// A rotation: the new (verified) manifest names the keys from now on.
	if ks, _ := m.Keys(); len(ks) > 0 {
		if err := writeESPBytes(fsys, TrustedKeysPath, []byte(ks.Lines())); err != nil {
			return plan, st.fail(err)
		}
	}
	st.done("")

	st.start("commit", fmt.Sprintf("%s -> %s", plan.TempFile, plan.Entry.File))
	tmp := EntriesDir + "/" + plan.TempFile
	if err := removeIfExists(fsys, tmp); err != nil {
		return plan, st.fail(err)
	}
	if err := writeESPBytes(fsys, tmp, plan.Entry.Render()); err != nil {
		return plan, st.fail(err)
	}
	if err := fsys.Rename(tmp, EntriesDir+"/"+plan.Entry.File); err != nil {
		return plan, st.fail(fmt.Errorf("commit: %w", err))
	}
	st.done(fmt.Sprintf("slot %s (%s) is the default, slot %s (%s) the fallback", plan.Target, plan.To, plan.Source, plan.From))

	st.start("finish", "remove "+UnfinishedPath)
	if err := removeIfExists(fsys, UnfinishedPath); err != nil {
		return plan, st.fail(err)
	}
	if err := fsys.Close(); err != nil {
		return plan, st.fail(err)
	}
	if err := h.Sync(); err != nil {
		return plan, st.fail(fmt.Errorf("sync %s: %w", d.Path, err))
	}
	st.done("")
	return plan, nil
}
