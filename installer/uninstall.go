package installer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"

	"node-installer/internal/event"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// UninstallOptions are the knobs of an uninstall that are not decisions.
type UninstallOptions struct {
	// Product is the firmware boot entries' label (the media's product);
	// default: /node/product of each disk's ESP.
	Product string
	// EFIVarsDir: firmware boot entries are removed only when it exists
	// (default /sys/firmware/efi/efivars).
	EFIVarsDir string
}

// Removed is one thing an uninstall removed.
type Removed struct {
	Disk   string `json:"disk"`
	What   string `json:"what"` // "file", "firmware-entry", "signature", "partition-table"
	Name   string `json:"name"` // ESP path, BootXXXX label, signature kind, table part
	Offset int64  `json:"offset,omitempty"`
	Length int64  `json:"length,omitempty"`
}

func (r Removed) String() string {
	if r.Length > 0 {
		return fmt.Sprintf("%s: %s %s (%d bytes at %d)", r.Disk, r.What, r.Name, r.Length, r.Offset)
	}
	return fmt.Sprintf("%s: %s %s", r.Disk, r.What, r.Name)
}

// UninstallReport says exactly what an uninstall removed, and what it left.
type UninstallReport struct {
	Removed []Removed         `json:"removed"`
	Skipped map[string]string `json:"skipped,omitempty"` // disk -> why it was not touched
}

// Text is the report for humans.
func (r UninstallReport) Text() string {
	var b strings.Builder
	for _, x := range r.Removed {
		fmt.Fprintf(&b, "removed %s\n", x)
	}
	for _, p := range sortedKeys(r.Skipped) {
		fmt.Fprintf(&b, "not touched %s: %s\n", p, r.Skipped[p])
	}
	return b.String()
}

// UninstallDisks removes this product from every disk of set (made by
// PlanUninstallSet) and nothing else. Per disk, in this order:
//
//  1. /node/unfinished = "uninstall" on its ESP;
//  2. the loader entries node-*.conf: COMMIT POINT, from here the disk
//     no longer boots the product;
//  3. the other ESP files of the product (/node/..., loader.conf, the
//     boot loader);
//  4. the firmware boot entries labelled with the product that point at
//     this ESP (efibootmgr, only when EFI variables exist);
//  5. the signatures of its partitions (the first MiB of each: the
//     superblocks of FAT, ext4, swap and squashfs);
//  6. the partition table: protective MBR and primary GPT (everything
//     before the first partition) and the backup GPT (the last 33 sectors).
//
// A set with problems writes nothing. A rerun after a cut redoes what is
// left (missing files are not errors).
func UninstallDisks(ctx context.Context, set DiskSet, o UninstallOptions, sink event.Sink) (UninstallReport, error) {
	if sink == nil {
		sink = event.Discard{}
	}
	// uninstallSteps on each disk, then the report
	st := &stepper{sink: sink, expect: stepsWeight(uninstallSteps)*float64(len(set.Disks)) + 1}
	rep := UninstallReport{Skipped: set.Skipped}
	if len(set.Problems) > 0 {
		st.start("check", "uninstall disk set")
		return rep, st.fail(fmt.Errorf("uninstall: %w: %w", ErrRefused, set.Problems))
	}
	for _, d := range set.Disks {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if d.BootMedia {
			return rep, st.fail(fmt.Errorf("uninstall %s: %w: it is the boot media", d.Path, ErrRefused))
		}
		if err := uninstallDisk(ctx, d, o, st, &rep); err != nil {
			return rep, st.fail(fmt.Errorf("uninstall %s: %w", d.Path, err))
		}
	}
	// Say exactly what was removed, on every consumer of the event stream.
	st.start("report", "what the uninstall removed")
	for _, line := range strings.Split(strings.TrimSpace(rep.Text()), "\n") {
		if line != "" {
			st.log(line)
		}
	}
	st.done(fmt.Sprintf("%d items removed", len(rep.Removed)))
	return rep, nil
}

func uninstallDisk(ctx context.Context, d storage.Disk, o UninstallOptions, st *stepper, rep *UninstallReport) error {
	st.start("open", "claim "+d.Path)
	h, err := claimDisk(d.Path)
	if err != nil {
		return err
	}
	defer h.Close()
	st.done("")
	add := func(what, name string, off, n int64) {
		rep.Removed = append(rep.Removed, Removed{Disk: d.Path, What: what, Name: name, Offset: off, Length: n})
	}

	product := o.Product
	espPart, hasESP := productESP(d)
	var fsys *esp.FS
	if hasESP {
		// An ESP that no longer opens was wiped by an interrupted run: its
		// signature goes first in step 5, after every file was removed.
		if fsys, err = openESP(h, d); err != nil {
			st.log(fmt.Sprintf("ESP not readable (%v): its files are gone already, the wipe follows", err))
		}
	}
	if fsys != nil {
		defer fsys.Close()
		if b, err := fsys.ReadFile(ProductPath); err == nil && product == "" {
			product = strings.TrimSpace(string(b))
		}
		st.start("marker", "write "+UnfinishedPath)
		if err := writeESPBytes(fsys, UnfinishedPath, []byte("uninstall\n")); err != nil {
			return err
		}
		st.done("")
		st.start("remove-entries", "loader entries of the product (commit point)")
		names, err := fsys.List(EntriesDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("list %s: %w", EntriesDir, err)
		}
		for _, n := range names {
			if !strings.HasPrefix(strings.ToLower(n), "node-") {
				continue
			}
			p := path.Join(EntriesDir, n)
			if err := removeIfExists(fsys, p); err != nil {
				return err
			}
			add("file", p, 0, 0)
		}
		st.done("the disk no longer boots " + product)
		st.start("remove-files", "ESP files of the product")
		var files []string
		for _, s := range Slots {
			for _, n := range []string{"vmlinuz", "initrd.img", "version"} {
				files = append(files, slotFile(s, n))
			}
			files = append(files, SlotDir(s))
		}
		files = append(files, ProductPath, TrustedKeysPath, "/loader/loader.conf", "/EFI/systemd/systemd-bootx64.efi", "/EFI/BOOT/BOOTX64.EFI")
		for _, p := range files {
			if _, err := fsys.Stat(p); err != nil {
				continue
			}
			if err := removeIfExists(fsys, p); err != nil {
				return err
			}
			add("file", p, 0, 0)
		}
		if err := fsys.Close(); err != nil {
			return err
		}
		st.done("")
	}

	st.start("firmware-entries", "UEFI boot entries of "+product)
	if hasESP {
		for _, e := range removeFirmwareEntries(ctx, h, d, espPart, product, o.EFIVarsDir, st) {
			add("firmware-entry", e, 0, 0)
		}
	}
	st.done("")

	st.start("wipe-signatures", "partition signatures")
	ss := int64(sectorSize(d))
	for _, p := range d.Partitions {
		if p.Start <= 0 || p.Size <= 0 {
			continue
		}
		n := min(p.Size, 1<<20)
		sig := storage.DetectSignature(h.File, p.Start, p.Size)
		name := fmt.Sprintf("partition %d (%s)", p.Number, p.PartLabel)
		if sig.FSType != "" {
			name += " " + sig.FSType
			if sig.Label != "" {
				name += " " + sig.Label
			}
		}
		if err := zeroRange(h.File, p.Start, n); err != nil {
			return err
		}
		add("signature", name, p.Start, n)
	}
	if err := h.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	st.done("")

	st.start("wipe-table", "protective MBR, primary and backup GPT")
	size, err := h.Seek(0, 2)
	if err != nil {
		return err
	}
	head := int64(1 << 20)
	for _, p := range d.Partitions {
		if p.Start > 0 {
			head = min(head, p.Start)
		}
	}
	tail := min(33*ss, size)
	for _, r := range []struct {
		name     string
		off, len int64
	}{{"protective MBR and primary GPT", 0, min(head, size)}, {"backup GPT", size - tail, tail}} {
		if err := zeroRange(h.File, r.off, r.len); err != nil {
			return err
		}
		add("partition-table", r.name, r.off, r.len)
	}
	if err := h.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	st.done("")
	return nil
}

// productESP is the disk's EFI partition when the disk holds an
// installation (an ESP made by this product).
func productESP(d storage.Disk) (storage.Partition, bool) {
	for _, p := range d.Partitions {
		if p.PartLabel == "EFI" && (d.Installation != nil || p.Label == "NODE-EFI") {
			return p, true
		}
	}
	return storage.Partition{}, false
}

func zeroRange(f *os.File, off, n int64) error {
	buf := make([]byte, min(n, 1<<20))
	for done := int64(0); done < n; {
		k := min(int64(len(buf)), n-done)
		if _, err := f.WriteAt(buf[:k], off+done); err != nil {
			return fmt.Errorf("zero %d bytes at %d: %w", k, off+done, err)
		}
		done += k
	}
	return nil
}

// removeFirmwareEntries removes the BootXXXX entries labelled product
// whose device path is this disk's ESP (by its GPT unique GUID); entries
// that name another partition are kept. Without EFI variables (an image
// file, a BIOS machine, a VM booted by direct kernel boot) nothing is done.
func removeFirmwareEntries(ctx context.Context, h *diskHandle, d storage.Disk, esp storage.Partition, product, varsDir string, st *stepper) []string {
	if varsDir == "" {
		varsDir = "/sys/firmware/efi/efivars"
	}
	if _, err := os.Stat(varsDir); err != nil {
		st.log("no EFI variables (" + varsDir + "): no firmware boot entry to remove")
		return nil
	}
	if product == "" {
		st.log("the product's name is not known (no /node/product on the ESP): firmware boot entries left as they are")
		return nil
	}
	out, err := exec.CommandContext(ctx, "efibootmgr", "-v").Output()
	if err != nil {
		st.log(fmt.Sprintf("efibootmgr -v: %v: firmware boot entries left as they are", err))
		return nil
	}
	uuid := gptPartUUID(h.File, sectorSize(d), esp.Number)
	var removed []string
	for _, e := range ParseFirmwareEntries(string(out)) {
		if e.Label != product || (e.PartUUID != "" && !strings.EqualFold(e.PartUUID, uuid)) {
			continue
		}
		if err := exec.CommandContext(ctx, "efibootmgr", "-q", "-b", e.Num, "-B").Run(); err != nil {
			st.log(fmt.Sprintf("efibootmgr -b %s -B: %v", e.Num, err))
			continue
		}
		removed = append(removed, "Boot"+e.Num+" "+e.Label)
	}
	return removed
}

// FirmwareEntry is one BootXXXX line of `efibootmgr -v`.
type FirmwareEntry struct {
	Num      string // "0003"
	Label    string
	PartUUID string // of HD(n,GPT,<uuid>,...), "" when not a GPT disk path
}

// ParseFirmwareEntries reads the BootXXXX lines of `efibootmgr -v`, e.g.
// "Boot0003* node\tHD(1,GPT,1b4e...,0x800,0x100000)/File(\EFI\...)".
func ParseFirmwareEntries(listing string) []FirmwareEntry {
	var out []FirmwareEntry
	for _, line := range strings.Split(listing, "\n") {
		rest, ok := strings.CutPrefix(line, "Boot")
		if !ok || len(rest) < 6 || (rest[4] != '*' && rest[4] != ' ') || strings.Trim(rest[:4], "0123456789ABCDEFabcdef") != "" {
			continue
		}
		e := FirmwareEntry{Num: rest[:4]}
		body := strings.TrimSpace(rest[5:])
		label, dp, found := strings.Cut(body, "\t")
		if !found {
			// older efibootmgr: two spaces before the device path
			if i := strings.Index(body, "  "); i >= 0 {
				label, dp = body[:i], body[i:]
			} else if i := strings.Index(body, " HD("); i >= 0 {
				label, dp = body[:i], body[i:]
			}
		}
		e.Label = strings.TrimSpace(label)
		if i := strings.Index(dp, "HD("); i >= 0 {
			f := strings.Split(strings.SplitN(dp[i+3:], ")", 2)[0], ",")
			if len(f) >= 3 && strings.EqualFold(f[1], "GPT") {
				e.PartUUID = strings.ToLower(f[2])
			}
		}
		out = append(out, e)
	}
	return out
}

// gptPartUUID reads the unique GUID of partition n from the primary GPT,
// "" when it cannot.
func gptPartUUID(r interface {
	ReadAt([]byte, int64) (int, error)
}, ss, n int) string {
	hdr := make([]byte, 92)
	if _, err := r.ReadAt(hdr, int64(ss)); err != nil || string(hdr[:8]) != "EFI PART" {
		return ""
	}
	le := binary.LittleEndian
	lba, count, size := le.Uint64(hdr[72:]), le.Uint32(hdr[80:]), le.Uint32(hdr[84:])
	if n < 1 || uint32(n) > count || size < 128 {
		return ""
	}
	e := make([]byte, 32)
	if _, err := r.ReadAt(e, int64(lba)*int64(ss)+int64(n-1)*int64(size)); err != nil {
		return ""
	}
	g := e[16:32]
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(g[0:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:10], g[10:16])
}
