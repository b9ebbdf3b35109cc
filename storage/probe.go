package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ProbeOptions says where the kernel's views live. Tests point them at a
// fake tree; the installer uses DefaultProbeOptions.
type ProbeOptions struct {
	SysRoot  string // "/sys"
	DevRoot  string // "/dev"
	ProcRoot string // "/proc": self/mountinfo, swaps, cmdline
}

// DefaultProbeOptions are the live system's paths.
var DefaultProbeOptions = ProbeOptions{SysRoot: "/sys", DevRoot: "/dev", ProcRoot: "/proc"}

// Probe lists every block device worth offering from sysfs, with no udev:
// sizes, identity, transport, partitions and their signatures, holders,
// what is in use, and which disk is the live boot media.
func Probe(sysRoot, devRoot string) ([]Disk, error) {
	return ProbeWith(ProbeOptions{SysRoot: sysRoot, DevRoot: devRoot, ProcRoot: "/proc"})
}

// ProbeWith is Probe with the proc root as well.
func ProbeWith(o ProbeOptions) ([]Disk, error) {
	ents, err := os.ReadDir(filepath.Join(o.SysRoot, "block"))
	if err != nil {
		return nil, fmt.Errorf("probe disks: %w", err)
	}
	mounts := readMountinfo(filepath.Join(o.ProcRoot, "self", "mountinfo"))
	swaps := readSwaps(filepath.Join(o.ProcRoot, "swaps"))
	cmdline, _ := os.ReadFile(filepath.Join(o.ProcRoot, "cmdline"))
	byID := readLinks(filepath.Join(o.DevRoot, "disk", "by-id"))
	byPath := readLinks(filepath.Join(o.DevRoot, "disk", "by-path"))
	// Each disk costs a read of its first sectors; on loop devices (and
	// slow controllers) that is latency, not work: probe disks in parallel.
	found := make([]Disk, len(ents))
	ok := make([]bool, len(ents))
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeParallel)
	for i, e := range ents {
		if skipDevice(e.Name()) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			found[i], ok[i] = probeOne(o, e.Name())
		}()
	}
	wg.Wait()
	var disks []Disk
	for i, d := range found {
		if !ok[i] {
			continue
		}
		name := d.Name
		d.ByID = byID[name]
		d.ByPath = byPath[name]
		if d.ByID == nil {
			d.ByID = udevByID(d)
		}
		markInUse(&d, mounts, swaps)
		disks = append(disks, d)
	}
	markBootMedia(disks, mounts, string(cmdline))
	SortDisks(disks)
	return disks, nil
}

// probeParallel bounds the disks read at once.
const probeParallel = 8

// skipDevice drops kernel devices that are never install targets: RAM
// disks, compressed swap, device-mapper and md arrays (their members are
// probed, with the array as holder).
func skipDevice(name string) bool {
	for _, p := range []string{"ram", "zram", "dm-", "md", "nbd", "fd"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func readStr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readInt(path string) int64 {
	n, _ := strconv.ParseInt(readStr(path), 10, 64)
	return n
}

// probeOne reads /sys/block/NAME. ok is false for devices with no medium
// (size 0: empty CD drive, unattached loop device).
func probeOne(o ProbeOptions, name string) (Disk, bool) {
	sys := filepath.Join(o.SysRoot, "block", name)
	// sysfs writes a '/' of the device path as '!': cciss!c0d0 is /dev/cciss/c0d0
	d := Disk{Name: name, Path: filepath.Join(o.DevRoot, strings.ReplaceAll(name, "!", "/"))}
	d.Size = readInt(filepath.Join(sys, "size")) * 512 // always 512-byte units
	if d.Size == 0 {
		return d, false
	}
	d.LogicalSector = int(readInt(filepath.Join(sys, "queue", "logical_block_size")))
	if d.LogicalSector == 0 {
		d.LogicalSector = 512
	}
	d.PhysicalSector = int(readInt(filepath.Join(sys, "queue", "physical_block_size")))
	if d.PhysicalSector == 0 {
		d.PhysicalSector = d.LogicalSector
	}
	d.Removable = readStr(filepath.Join(sys, "removable")) == "1"
	d.Rotational = readStr(filepath.Join(sys, "queue", "rotational")) == "1"
	d.ReadOnly = readStr(filepath.Join(sys, "ro")) == "1"
	link, _ := os.Readlink(sys)
	d.Transport = transportOf(name, link)
	if d.Transport == "loop" {
		bf := readStr(filepath.Join(sys, "loop", "backing_file"))
		if bf == "" {
			return d, false // a loop device with nothing behind it
		}
		d.BackingFile = bf
	}
	dev := filepath.Join(sys, "device")
	d.Model = firstNonEmpty(readStr(filepath.Join(dev, "model")), readStr(filepath.Join(dev, "name"))) // mmc: "name"
	if v := readStr(filepath.Join(dev, "vendor")); !strings.HasPrefix(v, "0x") {
		d.Vendor = v // virtio's "vendor" is a PCI id, not a name
	}
	d.Serial = firstNonEmpty(readStr(filepath.Join(sys, "serial")), readStr(filepath.Join(dev, "serial")),
		vpdSerial(filepath.Join(dev, "vpd_pg80")))
	if d.Serial == "" && d.Transport == "usb" {
		d.Serial = usbSerial(sys)
	}
	d.WWID = firstNonEmpty(readStr(filepath.Join(sys, "wwid")), readStr(filepath.Join(dev, "wwid")))
	d.Holders = listDir(filepath.Join(sys, "holders"))
	d.Partitions = sysfsPartitions(sys, name)
	for _, p := range d.Partitions {
		// a holder of a partition (md, dm) makes the disk busy as well
		for _, h := range listDir(filepath.Join(sys, p.Name, "holders")) {
			d.Holders = append(d.Holders, p.Name+":"+h)
		}
	}
	readContents(&d)
	return d, true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// usbSerial is the iSerial string of the USB device a disk sits behind:
// the nearest parent in sysfs with idVendor and serial files (what udev
// calls ID_SERIAL_SHORT; usb-storage often has no VPD page 0x80).
func usbSerial(sys string) string {
	p, err := filepath.EvalSymlinks(sys)
	if err != nil {
		return ""
	}
	for ; strings.Contains(p, "/usb"); p = filepath.Dir(p) {
		if _, err := os.Stat(filepath.Join(p, "idVendor")); err == nil {
			return readStr(filepath.Join(p, "serial"))
		}
	}
	return ""
}

// vpdSerial decodes SCSI VPD page 0x80 (unit serial number): a 4-byte
// header, then the serial.
func vpdSerial(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 {
		return ""
	}
	return strings.TrimSpace(strings.Trim(string(b[4:]), "\x00"))
}

func listDir(path string) []string {
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// transportOf derives the bus from the device's sysfs path, as udev's
// ID_BUS would (USB before SCSI: a USB stick is a SCSI device behind USB).
func transportOf(name, link string) string {
	switch {
	case strings.Contains(link, "/virtual/block/loop") || strings.HasPrefix(name, "loop"):
		return "loop"
	case strings.Contains(link, "/usb"):
		return "usb"
	case strings.HasPrefix(name, "cciss!"):
		return "cciss" // HP Smart Array (cciss driver); hpsa ones are scsi
	case strings.Contains(link, "/nvme") || strings.HasPrefix(name, "nvme"):
		return "nvme"
	case strings.Contains(link, "/mmc") || strings.HasPrefix(name, "mmcblk"):
		return "mmc"
	case strings.Contains(link, "/ata"):
		return "ata"
	case strings.Contains(link, "/host") && strings.Contains(link, "/target"):
		return "scsi" // SAS, FC, iSCSI, virtio-scsi
	case strings.Contains(link, "/virtio") || strings.HasPrefix(name, "vd"):
		return "virtio"
	case strings.HasPrefix(name, "xvd"):
		return "xen"
	}
	return "unknown"
}

// sysfsPartitions lists the partitions the kernel knows of.
func sysfsPartitions(sys, disk string) []Partition {
	var parts []Partition
	for _, n := range listDir(sys) {
		if !strings.HasPrefix(n, disk) {
			continue
		}
		p := filepath.Join(sys, n)
		num := readInt(filepath.Join(p, "partition"))
		if num == 0 {
			continue
		}
		parts = append(parts, Partition{
			Number: int(num),
			Name:   n,
			Start:  readInt(filepath.Join(p, "start")) * 512,
			Size:   readInt(filepath.Join(p, "size")) * 512,
		})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts
}

// readContents opens the disk read-only and reads its partition table,
// whole-disk signature and each partition's signature. A disk that cannot
// be opened (no medium, permission) keeps what sysfs said.
func readContents(d *Disk) {
	f, err := os.Open(d.Path)
	if err != nil {
		d.ReadError = err.Error() // no medium, no permission: contents unknown
		return
	}
	defer f.Close()
	contents(d, f)
}

// contents fills Table, Signature and the partitions from r, with the
// table reader Inspect uses: GPT (primary, else backup) or DOS (primary
// and logical partitions). A disk whose first sectors cannot be read gets
// ReadError and nothing else: an unreadable disk is not an empty one.
func contents(d *Disk, r io.ReaderAt) {
	probe := make([]byte, 4096)
	if n, err := r.ReadAt(probe, 0); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		d.ReadError = fmt.Sprintf("reading its first sectors: %v", err)
		return
	}
	// LBA 0-2 (and the entry array) of both sector sizes, and the
	// whole-disk signatures, in one read
	head := prefetch(r, 0, 128<<10)
	t := readPartTable(head, d.Size, d.LogicalSector)
	d.Table, d.DiskGUID = t.Kind, t.DiskGUID
	if t.Kind == "" {
		s := DetectSignature(head, 0, d.Size)
		d.Signature, d.Label = s.FSType, s.Label
	}
	// The host kernel may not scan partition tables: entries the kernel
	// does not list are added from the table itself.
	for _, e := range t.Parts {
		i := findPart(d.Partitions, e.Start)
		if i < 0 {
			d.Partitions = append(d.Partitions, Partition{Number: e.Number, Start: e.Start})
			i = len(d.Partitions) - 1
		}
		p := &d.Partitions[i]
		p.Number = e.Number
		p.Size = e.Size
		p.PartLabel = e.Name
		p.TypeGUID = e.TypeGUID
	}
	sort.Slice(d.Partitions, func(i, j int) bool { return d.Partitions[i].Number < d.Partitions[j].Number })
	for i := range d.Partitions {
		p := &d.Partitions[i]
		s := DetectSignature(r, p.Start, p.Size)
		p.FSType, p.Label = s.FSType, s.Label
	}
	d.Installation = esps(d, r)
	if d.Installation == nil {
		d.Installation = detectInstallation(d.Partitions)
	}
}

// esps reads this product's installation (slots, versions, the default
// and the unfinished marker) from the disk's ESP, if it has one.
func esps(d *Disk, r io.ReaderAt) (inst *Installation) {
	defer func() {
		if recover() != nil {
			inst = nil // a hostile ESP must not stop the probe: names still tell
		}
	}()
	for _, p := range d.Partitions {
		if p.FSType != "vfat" || (p.TypeGUID != TypeESP && p.PartLabel != "EFI") || p.Size <= 0 {
			continue
		}
		i, _, capped, err := readESP(r, p.Start, min(p.Size, d.Size-p.Start))
		if capped != "" {
			d.Notes = append(d.Notes, fmt.Sprintf("ESP (partition %d): %s", p.Number, capped))
		}
		if err == nil && i != nil {
			return i
		}
	}
	return nil
}

func findPart(ps []Partition, start int64) int {
	for i, p := range ps {
		if p.Start == start {
			return i
		}
	}
	return -1
}

// detectInstallation recognises this product's layout by its partition
// names (RootA and RootB, an EFI partition). Versions live on the ESP and
// are read by Inspect; the probe only says an installation is there.
func detectInstallation(ps []Partition) *Installation {
	has := map[string]bool{}
	for _, p := range ps {
		has[p.PartLabel] = true
	}
	if !has["RootA"] || !has["RootB"] || !has["EFI"] {
		return nil
	}
	return &Installation{Slots: []Slot{
		{Name: "A", TriesLeft: -1, TriesDone: -1},
		{Name: "B", TriesLeft: -1, TriesDone: -1},
	}}
}

// readLinks maps a kernel device name to the symlinks of dir pointing at
// it (whole disks only: "sda" from "../../sda").
func readLinks(dir string) map[string][]string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	m := map[string][]string{}
	for _, e := range ents {
		t, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		dev := filepath.Base(t)
		if d := filepath.Base(filepath.Dir(t)); d == "cciss" {
			dev = "cciss!" + dev // ../../cciss/c0d0 is the block device cciss!c0d0
		}
		m[dev] = append(m[dev], filepath.Join("/dev/disk", filepath.Base(dir), e.Name()))
	}
	return m
}

// udevByID synthesises the /dev/disk/by-id names udev would create, so
// that storage_init=/dev/disk/by-id/... from a PXE config made for a
// system with udev still matches in an installer without it.
func udevByID(d Disk) []string {
	if d.Serial == "" && d.WWID == "" {
		return nil
	}
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '/' {
				return '_'
			}
			return r
		}, strings.TrimSpace(s))
	}
	var out []string
	add := func(s string) { out = append(out, "/dev/disk/by-id/"+s) }
	model, serial := clean(d.Model), clean(d.Serial)
	switch d.Transport {
	case "ata":
		if serial != "" {
			add("ata-" + model + "_" + serial)
		}
	case "nvme":
		if serial != "" {
			add("nvme-" + model + "_" + serial)
		}
	case "virtio":
		if serial != "" {
			add("virtio-" + serial)
		}
	case "usb":
		if serial != "" {
			add("usb-" + clean(d.Vendor) + "_" + model + "_" + serial + "-0:0")
		}
	case "scsi":
		if serial != "" {
			add("scsi-S" + clean(d.Vendor) + "_" + model + "_" + serial)
		}
	}
	if w := strings.TrimPrefix(d.WWID, "naa."); w != d.WWID {
		add("wwn-0x" + w)
	}
	return out
}

// ProbeImage describes a regular image file as a Disk (512-byte sectors).
func ProbeImage(path string) (Disk, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Disk{}, fmt.Errorf("probe image %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return Disk{}, fmt.Errorf("probe image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Disk{}, fmt.Errorf("probe image %s: not a regular file (use a block device path with Probe)", path)
	}
	if st.Size() == 0 {
		return Disk{}, errors.New("probe image " + path + ": empty file (create it with truncate -s SIZE)")
	}
	d := Disk{Name: filepath.Base(abs), Path: abs, Size: st.Size(), LogicalSector: 512,
		PhysicalSector: 512, Transport: "file", ReadOnly: st.Mode().Perm()&0o222 == 0, InUse: loopBacking(abs)}
	f, err := os.Open(abs)
	if err != nil {
		return Disk{}, fmt.Errorf("probe image: %w", err)
	}
	defer f.Close()
	contents(&d, f)
	return d, nil
}

// Reread reads again what d holds now (partition table, signatures, this
// product's installation), keeping what sysfs said about it (names,
// sizes, mounts): the engine judges a disk again once it holds the claim.
func Reread(d Disk) Disk {
	n := d
	n.Table, n.DiskGUID, n.Signature, n.Label, n.Installation, n.ReadError, n.Notes = "", "", "", "", nil, "", nil
	n.Partitions = nil
	for _, p := range d.Partitions {
		if p.Name != "" { // known to the kernel: keep its name and mount
			n.Partitions = append(n.Partitions, Partition{Number: p.Number, Name: p.Name, Start: p.Start, Size: p.Size, Mounted: p.Mounted})
		}
	}
	readContents(&n)
	return n
}

// Fingerprint is what d holds, precisely enough that any write of an
// installer changes it: the table with its disk GUID (new at every
// partitioning), each partition's extent, type, name and filesystem,
// the whole-disk signature and this product's installation (slots,
// versions, default, boot counters, marker). What sysfs says (kernel
// names, mounts) is not part of it. The engine compares the fingerprint
// the plan judged with the one read under the disk's claim.
func Fingerprint(d Disk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table=%s guid=%s sig=%s/%s err=%s", d.Table, d.DiskGUID, d.Signature, d.Label, d.ReadError)
	for _, p := range d.Partitions {
		fmt.Fprintf(&b, "\n%d %d+%d %s %q %s/%q", p.Number, p.Start, p.Size, p.TypeGUID, p.PartLabel, p.FSType, p.Label)
	}
	if in := d.Installation; in != nil {
		fmt.Fprintf(&b, "\ninstallation %q unfinished=%v", in.Product, in.NotFinished)
		for _, s := range in.Slots {
			fmt.Fprintf(&b, " %s=%q/%v/%d/%d", s.Name, s.Version, s.Default, s.TriesLeft, s.TriesDone)
		}
	}
	return b.String()
}
