package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
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

// gptEntry is one used entry of a GUID partition table.
type gptEntry struct {
	Number   int
	TypeGUID string
	First    uint64 // LBA
	Last     uint64 // LBA, inclusive
	Name     string
}

// readTable returns the partition table type ("gpt", "dos" or "") of a
// disk, the sector size its GPT header was found with, and its GPT
// entries. The header is looked for at LBA 1 for 512 and 4096-byte
// sectors, logical first.
func readTable(r io.ReaderAt, logical int) (table string, entries []gptEntry) {
	sizes := []int{logical}
	for _, s := range []int{512, 4096} {
		if s != logical {
			sizes = append(sizes, s)
		}
	}
	for _, ss := range sizes {
		if ss <= 0 {
			continue
		}
		h := readAt(r, int64(ss), 92)
		if string(h[0:8]) != "EFI PART" {
			continue
		}
		return "gpt", gptEntries(r, h, ss)
	}
	mbr := readAt(r, 0, 512)
	if mbr[510] != 0x55 || mbr[511] != 0xAA || fatSignature(mbr).FSType != "" {
		return "", nil
	}
	for i := 0; i < 4; i++ {
		e := mbr[446+16*i:]
		if e[4] != 0 && binary.LittleEndian.Uint32(e[12:]) != 0 {
			return "dos", nil
		}
	}
	return "", nil
}

func gptEntries(r io.ReaderAt, h []byte, ss int) []gptEntry {
	lba := binary.LittleEndian.Uint64(h[72:])
	n := binary.LittleEndian.Uint32(h[80:])
	size := binary.LittleEndian.Uint32(h[84:])
	if n > 1024 || size < 128 || size > 4096 || lba == 0 || lba > 1<<40 {
		return nil // corrupt header: the table type alone is still useful
	}
	buf := readAt(r, int64(lba)*int64(ss), int(n*size))
	var out []gptEntry
	for i := 0; i < int(n); i++ {
		e := buf[i*int(size) : (i+1)*int(size)]
		if allZero(e[0:16]) {
			continue
		}
		u := make([]uint16, 36)
		for j := range u {
			u[j] = binary.LittleEndian.Uint16(e[56+2*j:])
		}
		name := string(utf16.Decode(u))
		if k := strings.IndexByte(name, 0); k >= 0 {
			name = name[:k]
		}
		out = append(out, gptEntry{
			Number:   i + 1,
			TypeGUID: guidString(e[0:16]),
			First:    binary.LittleEndian.Uint64(e[32:]),
			Last:     binary.LittleEndian.Uint64(e[40:]),
			Name:     name,
		})
	}
	return out
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
