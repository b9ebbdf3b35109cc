package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// A small signature reader of our own (no blkid: it is not in every live
// image and its output needs parsing anyway). It looks at the few bytes
// each format keeps at a fixed offset.

// readAt reads len(buf) bytes at off; a short read leaves the rest zero.
func readAt(r io.ReaderAt, off int64, n int) []byte {
	buf := make([]byte, n)
	if off < 0 {
		return buf
	}
	_, _ = r.ReadAt(buf, off) // short reads (small or sparse files) are normal
	return buf
}

// cstr trims a fixed-size, NUL- or space-padded label.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// sigHeadBytes covers every signature kept near the start of an area
// (btrfs at 64 KiB + 64 is the farthest, its label ends before 66 KiB + 256).
const sigHeadBytes = 72 << 10

// headReader serves reads inside [base, base+len(head)) from memory.
type headReader struct {
	r    io.ReaderAt
	base int64
	head []byte
}

func (h *headReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= h.base && off+int64(len(p)) <= h.base+int64(len(h.head)) {
		return copy(p, h.head[off-h.base:]), nil
	}
	return h.r.ReadAt(p, off)
}

// prefetch reads n bytes at off once; a short read (small or sparse
// image) keeps zeros, as readAt does.
func prefetch(r io.ReaderAt, off int64, n int) io.ReaderAt {
	if h, ok := r.(*headReader); ok && off >= h.base && off+int64(n) <= h.base+int64(len(h.head)) {
		return h
	}
	return &headReader{r: r, base: off, head: readAt(r, off, n)}
}

// Signature is what the first bytes of a disk or partition hold.
type Signature struct {
	FSType string // ext2, ext3, ext4, xfs, btrfs, swap, LVM2_member, vfat, squashfs, linux_raid_member, iso9660, crypto_LUKS
	Label  string
}

// DetectSignature reads the filesystem (or volume) signature of the area
// of r that starts at off and is size bytes long (size 0 = unknown: the
// signatures kept near the end, mdraid 0.90 and 1.0, are then not looked at).
func DetectSignature(r io.ReaderAt, off, size int64) Signature {
	r = prefetch(r, off, sigHeadBytes) // one read serves every check but the end-of-area ones
	head := readAt(r, off, 4096)
	// ext2/3/4: superblock at 1024, magic 0xEF53 at 56.
	if sb := readAt(r, off+1024, 256); binary.LittleEndian.Uint16(sb[56:]) == 0xEF53 {
		return Signature{FSType: extKind(sb), Label: cstr(sb[120:136])}
	}
	if string(head[0:4]) == "XFSB" {
		return Signature{FSType: "xfs", Label: cstr(head[108:120])}
	}
	if string(head[0:4]) == "hsqs" {
		return Signature{FSType: "squashfs"}
	}
	if string(head[0:6]) == "LUKS\xba\xbe" {
		return Signature{FSType: "crypto_LUKS", Label: cstr(head[24:72])}
	}
	// LVM2 physical volume: label in one of the first four sectors.
	for s := 0; s < 4; s++ {
		l := head[s*512:]
		if string(l[0:8]) == "LABELONE" && string(l[24:32]) == "LVM2 001" {
			return Signature{FSType: "LVM2_member"}
		}
	}
	// swap: magic at the end of the first page (any common page size).
	for _, page := range []int64{4096, 8192, 16384, 65536} {
		m := readAt(r, off+page-10, 10)
		if string(m) == "SWAPSPACE2" || string(m) == "SWAP-SPACE" {
			return Signature{FSType: "swap", Label: cstr(readAt(r, off+1024+28, 16))}
		}
	}
	if b := readAt(r, off+65536+64, 8); string(b) == "_BHRfS_M" {
		return Signature{FSType: "btrfs", Label: cstr(readAt(r, off+65536+299, 256))}
	}
	// mdraid 1.1 (at 0) and 1.2 (at 4 KiB).
	for _, at := range []int64{0, 4096} {
		if sb := readAt(r, off+at, 64); binary.LittleEndian.Uint32(sb) == 0xa92b4efc {
			return Signature{FSType: "linux_raid_member", Label: cstr(sb[32:64])}
		}
	}
	if v := readAt(r, off+32768, 72); v[0] == 1 && string(v[1:6]) == "CD001" {
		return Signature{FSType: "iso9660", Label: cstr(v[40:72])}
	}
	if fat := fatSignature(head); fat.FSType != "" {
		return fat
	}
	if size > 0 {
		// mdraid 1.0: 8 KiB from the end, 4 KiB aligned; 0.90: 64 KiB aligned.
		for _, at := range []int64{(size - 8192) &^ 4095, (size &^ 65535) - 65536} {
			if at <= 0 {
				continue
			}
			if sb := readAt(r, off+at, 64); binary.LittleEndian.Uint32(sb) == 0xa92b4efc {
				return Signature{FSType: "linux_raid_member"}
			}
		}
	}
	return Signature{}
}

// extKind tells ext2, ext3 and ext4 apart by their feature flags.
func extKind(sb []byte) string {
	compat := binary.LittleEndian.Uint32(sb[92:])
	incompat := binary.LittleEndian.Uint32(sb[96:])
	roCompat := binary.LittleEndian.Uint32(sb[100:])
	// ext4-only: extents 0x40, 64bit 0x80, mmp 0x100, flex_bg 0x200,
	// ro: huge_file 0x8, gdt_csum 0x10, dir_nlink 0x20, extra_isize 0x40, metadata_csum 0x400.
	if incompat&0x3c0 != 0 || roCompat&0x478 != 0 {
		return "ext4"
	}
	if compat&0x4 != 0 { // has_journal
		return "ext3"
	}
	return "ext2"
}

// fatSignature recognises a FAT12/16/32 boot sector (not an MBR, which
// also ends in 55 AA).
func fatSignature(b []byte) Signature {
	if b[510] != 0x55 || b[511] != 0xAA {
		return Signature{}
	}
	if string(b[82:87]) == "FAT32" {
		return Signature{FSType: "vfat", Label: fatLabel(b[71:82])}
	}
	if t := string(b[54:59]); t == "FAT12" || t == "FAT16" || t == "FAT  " {
		return Signature{FSType: "vfat", Label: fatLabel(b[43:54])}
	}
	return Signature{}
}

func fatLabel(b []byte) string {
	l := cstr(b)
	if l == "NO NAME" {
		return ""
	}
	return l
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// guidString formats a GPT GUID (first three fields little-endian).
func guidString(b []byte) string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X",
		binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}
