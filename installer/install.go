package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"node-installer/installer/media"
	"node-installer/internal/bls"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// installSlot is the slot a fresh install writes.
const installSlot = "A"

// ESP paths written by an install (the on-disk contract, docs/media-bundle.md).
const (
	espFallbackLoader = "/EFI/BOOT/BOOTX64.EFI"
	espSystemdLoader  = "/EFI/systemd/systemd-bootx64.efi"
	espLoaderConf     = "/loader/loader.conf"
	// loader.conf has no "default" line: systemd-boot then boots the
	// newest entry, which is what makes boot counting fall back.
	loaderConf = "timeout 3\neditor no\nconsole-mode keep\n"
)

// installJob is one install, fully decided by the plan.
type installJob struct {
	action     Action
	disks      []storage.DiskLayout // every disk to write, the boot disk first
	boot       storage.DiskLayout
	espPart    storage.PlannedPartition
	root       storage.PlannedPartition
	configPart storage.PlannedPartition
	logPart    storage.PlannedPartition
	cfg        Config
	netFiles   []network.File
	bootParams []string
	bundle     *media.Bundle
	opts       RunOptions
}

// newInstallJob checks that the layout and the bundle fit together. It
// writes nothing.
func newInstallJob(action Action, layout storage.Layout, cfg Config, netFiles []network.File, bootParams []string, bundle *media.Bundle, o RunOptions) (*installJob, error) {
	if bundle == nil {
		return nil, errors.New("no media bundle")
	}
	j := &installJob{action: action, cfg: cfg, netFiles: netFiles, bootParams: bootParams, bundle: bundle, opts: o}
	var errs []error
	found := false
	for _, dl := range layout.Disks {
		if dl.Role == "boot" && !found {
			j.boot, found = dl, true
			j.disks = append([]storage.DiskLayout{dl}, j.disks...)
			continue
		}
		j.disks = append(j.disks, dl)
	}
	if !found {
		return nil, errors.New("the plan has no boot disk")
	}
	need := func(name string, content storage.Content) storage.PlannedPartition {
		p, ok := partitionNamed(j.boot, name)
		if !ok {
			errs = append(errs, fmt.Errorf("boot disk %s: the layout has no %s partition", j.boot.Disk.Path, name))
		} else if p.Content != content {
			errs = append(errs, fmt.Errorf("boot disk %s: partition %s holds %s, expected %s", j.boot.Disk.Path, name, p.Content, content))
		}
		return p
	}
	j.espPart = need("EFI", storage.ContentESP)
	j.root = need("Root"+installSlot, storage.ContentSlot)
	j.configPart = need("Config", storage.ContentExt4)
	j.logPart = need("Logging", storage.ContentExt4)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if ps := fitProblems(&Plan{Action: action, Layout: layout}, bundle.Manifest); len(ps) > 0 {
		errs = append(errs, fmt.Errorf("%w: %w", ErrRefused, ps))
	}
	return j, errors.Join(errs...)
}

// run executes the install. Order matters for a power cut: the marker is
// written as soon as the ESP exists and removed last; the loader entry
// that makes the disk bootable is written only after every file was
// verified.
func (j *installJob) run(ctx context.Context, sink event.Sink) (err error) {
	p := &progress{sink: sink}
	m := j.bundle.Manifest
	p.Emit(event.Event{Kind: event.Started, Message: fmt.Sprintf("%s %s %s on %s", j.action, m.Product, m.Version, j.boot.Disk.Path)})
	var cl cleanups
	defer func() {
		if cerr := cl.run(); cerr != nil && err == nil {
			err = fmt.Errorf("finish: %w", cerr)
		}
		if err != nil {
			p.Emit(event.Event{Kind: event.Failed, Step: p.step, Err: err.Error(), Fraction: p.base})
			return
		}
		p.Emit(event.Event{Kind: event.Done, Message: fmt.Sprintf("installed %s %s on %s", m.Product, m.Version, j.boot.Disk.Path), Fraction: 1})
	}()

	p.start("check", "media bundle and layout")
	p.done(fmt.Sprintf("%s %s, %d disk(s); media %s", m.Product, m.Version, len(j.disks), j.bundle.Verdict))

	p.start("partition", "partition and format "+diskNames(j.disks))
	for _, dl := range j.disks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := applyDisk(ctx, dl, p.sub()); err != nil {
			return fmt.Errorf("partition %s: %w", dl.Disk.Path, err)
		}
	}
	// Keep udev and other tools that honour the block device locking
	// convention away while the slot, the ESP and the filesystems are
	// written. A flock only: mkfs.ext4 opens the disk with O_EXCL itself.
	lock, err := os.Open(j.boot.Disk.Path)
	if err != nil {
		return fmt.Errorf("lock %s: %w", j.boot.Disk.Path, err)
	}
	cl.push(lock.Close)
	if err := storage.LockFile(lock, 5*time.Second); err != nil {
		return fmt.Errorf("lock %s: %w (another program holds it)", j.boot.Disk.Path, err)
	}
	espOff, espSize := byteRange(j.boot, j.espPart)
	fsys, err := esp.Open(j.boot.Disk.Path, espOff, espSize, j.boot.SectorSize)
	if err != nil {
		return fmt.Errorf("open the ESP: %w", err)
	}
	cl.push(fsys.Close)
	if err := writeESPString(fsys, UnfinishedPath, string(j.action)+"\n"); err != nil {
		return fmt.Errorf("write the unfinished marker: %w", err)
	}
	p.done("partitions written, marker " + UnfinishedPath + " set")

	p.start("root-image", fmt.Sprintf("write %s into %s", media.RoleRootfs, j.root.Name))
	if err := j.writeRoot(ctx, p); err != nil {
		return err
	}
	p.done("root image written and verified (SHA-256 " + shortSum(m, media.RoleRootfs) + ")")

	p.start("boot-files", "boot loader, kernel and initrd on the ESP")
	if err := j.writeBootFiles(fsys, p); err != nil {
		return err
	}
	p.done("boot files written and verified")

	p.start("config", "populate the Config partition")
	if err := j.writeConfig(); err != nil {
		return err
	}
	p.done(fmt.Sprintf("%d network file(s)", len(j.netFiles)))

	p.start("firmware-entry", "UEFI boot entry")
	j.firmwareEntry(ctx, p)
	p.done("")

	p.start("logging", "copy the install log to the Logging partition")
	if err := j.writeLogging(p); err != nil {
		return err
	}
	p.done("")

	p.start("finish", "loader entry, then remove the marker")
	if err := j.writeEntry(fsys); err != nil {
		return err
	}
	if err := fsys.Remove(UnfinishedPath); err != nil {
		return fmt.Errorf("remove the unfinished marker: %w", err)
	}
	p.done("")
	return nil
}

func diskNames(dls []storage.DiskLayout) string {
	names := make([]string, len(dls))
	for i, dl := range dls {
		names[i] = dl.Disk.Path
	}
	return strings.Join(names, ", ")
}

func shortSum(m media.Manifest, r media.Role) string {
	f, _ := m.File(r)
	return f.SHA256[:min(12, len(f.SHA256))]
}

// writeRoot streams the root image into the slot, hashing in the same pass.
func (j *installJob) writeRoot(ctx context.Context, p *progress) error {
	r, err := j.bundle.Open(media.RoleRootfs)
	if err != nil {
		return err
	}
	defer r.Close()
	off, size := byteRange(j.boot, j.root)
	if _, err := WriteSlot(ctx, j.boot.Disk.Path, off, size, r, r.Size(), func(n int64) { p.bytes(n, r.Size()) }); err != nil {
		return fmt.Errorf("write slot %s: %w", j.root.Name, err)
	}
	if err := r.Finish(); err != nil {
		return fmt.Errorf("write slot %s: %w", j.root.Name, err)
	}
	return nil
}

// writeESPFile copies role's file to the ESP, verified while it streams.
func (j *installJob) writeESPFile(fsys *esp.FS, role media.Role, dst string) error {
	r, err := j.bundle.Open(role)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := fsys.WriteFile(dst, r, r.Size()); err != nil {
		return fmt.Errorf("write %s to the ESP: %w", dst, err)
	}
	if err := r.Finish(); err != nil {
		return fmt.Errorf("write %s to the ESP: %w", dst, err)
	}
	return nil
}

func writeESPString(fsys *esp.FS, p, s string) error {
	return fsys.WriteFile(p, strings.NewReader(s), int64(len(s)))
}

func (j *installJob) writeBootFiles(fsys *esp.FS, p *progress) error {
	m := j.bundle.Manifest
	dir := SlotDir(installSlot)
	files := []struct {
		role media.Role
		dst  string
	}{
		{media.RoleBootloader, espSystemdLoader},
		{media.RoleBootloader, espFallbackLoader},
		{media.RoleKernel, path.Join(dir, "vmlinuz")},
		{media.RoleInitrd, path.Join(dir, "initrd.img")},
	}
	var total, done int64
	for _, f := range files {
		mf, _ := m.File(f.role)
		total += mf.Size
	}
	for _, f := range files {
		if err := j.writeESPFile(fsys, f.role, f.dst); err != nil {
			return err
		}
		mf, _ := m.File(f.role)
		done += mf.Size
		p.bytes(done, total)
	}
	writes := []struct{ path, data string }{
		{path.Join(dir, "version"), m.Version + "\n"},
		{ProductPath, m.Product + "\n"},
		{espLoaderConf, loaderConf},
	}
	if ks := NodeKeys(j.bundle); len(ks) > 0 {
		writes = append(writes, struct{ path, data string }{TrustedKeysPath, ks.Lines()})
	}
	for _, w := range writes {
		if err := writeESPString(fsys, w.path, w.data); err != nil {
			return fmt.Errorf("write %s to the ESP: %w", w.path, err)
		}
	}
	return nil
}

// Entry is the Boot Loader Specification entry of slot for a bundle.
func Entry(m media.Manifest, slot string, bootParams []string) bls.Entry {
	opts := append([]string{"root=PARTLABEL=Root" + slot, "node.slot=" + slot}, bootParams...)
	return bls.Entry{
		File: EntryBase(slot) + ".conf", Base: EntryBase(slot), TriesLeft: -1, TriesDone: -1,
		Title:   fmt.Sprintf("%s %s (slot %s)", m.Product, m.Version, slot),
		Version: m.Version,
		Linux:   path.Join(SlotDir(slot), "vmlinuz"),
		Initrd:  []string{path.Join(SlotDir(slot), "initrd.img")},
		Options: strings.Join(opts, " "),
	}
}

// writeEntry writes the slot's loader entry through a temporary name
// and a rename, so a power cut leaves no half entry.
func (j *installJob) writeEntry(fsys *esp.FS) error {
	e := Entry(j.bundle.Manifest, installSlot, j.bootParams)
	data := e.Render()
	final := path.Join(EntriesDir, e.File)
	tmp := final + ".tmp"
	if err := fsys.WriteFile(tmp, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("write loader entry: %w", err)
	}
	if err := fsys.Rename(tmp, final); err != nil {
		return fmt.Errorf("write loader entry: %w", err)
	}
	return nil
}

// ext4 populates a planned ext4 partition from a temp directory filled by fill.
func (j *installJob) ext4(part storage.PlannedPartition, fill func(dir string) error) error {
	dir, err := os.MkdirTemp("", "node-installer-"+strings.ToLower(part.Name)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := fill(dir); err != nil {
		return fmt.Errorf("%s contents: %w", part.Name, err)
	}
	off, size := byteRange(j.boot, part)
	if err := makeExt4(j.boot.Disk.Path, off, size, part.Label, dir); err != nil {
		return fmt.Errorf("format %s: %w", part.Name, err)
	}
	return nil
}
