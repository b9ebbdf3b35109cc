package storage

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// SignatureHit is one on-disk signature: what it is and the exact bytes
// that hold it (what a wipe zeroes).
type SignatureHit struct {
	Kind   string `json:"kind"`   // ext4, xfs, btrfs, swap, LVM2_member, linux_raid_member, zfs_member, vfat, gpt, PMBR, dos, ...
	Where  string `json:"where"`  // "disk" or "partition N"
	Offset int64  `json:"offset"` // absolute byte offset on the disk
	Length int64  `json:"length"` // bytes to zero
	Note   string `json:"note,omitempty"`
}

const (
	sigKiB = int64(1) << 10
	sigMiB = int64(1) << 20
	sigGiB = int64(1) << 30
)

// findSignatures lists every known signature in the area [off, off+size)
// of r, at its real offsets, including the copies kept at the end (mdraid
// 0.90 and 1.0, ZFS labels 2 and 3) and btrfs's backup superblocks that
// fit. DetectSignature names the one filesystem of an area; this finds
// them all, for wiping.
func findSignatures(r io.ReaderAt, off, size int64, where string) []SignatureHit {
	var hits []SignatureHit
	add := func(kind string, at, n int64, note string) {
		if at < 0 || at+n > size {
			return
		}
		hits = append(hits, SignatureHit{Kind: kind, Where: where, Offset: off + at, Length: n, Note: note})
	}
	head := readAt(r, off, 4096)
	le := binary.LittleEndian

	if sb := readAt(r, off+1024, 256); le.Uint16(sb[56:]) == 0xEF53 {
		add(extKind(sb), 1024, 1024, "superblock")
	}
	if string(head[0:4]) == "XFSB" {
		add("xfs", 0, 512, "superblock")
	}
	if string(head[0:4]) == "hsqs" {
		add("squashfs", 0, 512, "superblock")
	}
	if string(head[0:6]) == "LUKS\xba\xbe" {
		add("crypto_LUKS", 0, 4096, "header")
	}
	for s := int64(0); s < 4; s++ {
		if l := head[s*512:]; string(l[0:8]) == "LABELONE" && string(l[24:32]) == "LVM2 001" {
			add("LVM2_member", s*512, 512, "PV label")
		}
	}
	for _, page := range []int64{4096, 8192, 16384, 65536} {
		if m := readAt(r, off+page-10, 10); string(m) == "SWAPSPACE2" || string(m) == "SWAP-SPACE" {
			add("swap", 0, page, fmt.Sprintf("header, %d-byte pages", page))
		}
	}
	for _, at := range []int64{64 * sigKiB, 64 * sigMiB, 256 * sigGiB} {
		if b := readAt(r, off+at+64, 8); string(b) == "_BHRfS_M" {
			note := "superblock"
			if at != 64*sigKiB {
				note = "backup superblock"
			}
			add("btrfs", at, 4096, note)
		}
	}
	mdAt := map[int64]string{0: "1.1 superblock", 4096: "1.2 superblock"}
	if size >= 128*sigKiB {
		mdAt[(size-8192)&^4095] = "1.0 superblock (end)"
		mdAt[(size&^(64*sigKiB-1))-64*sigKiB] = "0.90 superblock (end)"
	}
	for at, note := range mdAt {
		if sb := readAt(r, off+at, 4); le.Uint32(sb) == 0xa92b4efc {
			add("linux_raid_member", at, min(4096, size-at), note)
		}
	}
	if v := readAt(r, off+32768, 8); v[0] == 1 && string(v[1:6]) == "CD001" {
		add("iso9660", 32768, 2048, "primary volume descriptor")
	}
	// ZFS: four 256 KiB labels, two at the start and two at the end of the
	// 256 KiB-aligned size, each with an uberblock array from 128 KiB.
	const zl = 256 * sigKiB
	if size >= 4*zl {
		end := size &^ (zl - 1)
		for i, at := range []int64{0, zl, end - 2*zl, end - zl} {
			if zfsLabel(r, off+at) {
				add("zfs_member", at, zl, fmt.Sprintf("label %d", i))
			}
		}
	}
	if fat := fatSignature(head); fat.FSType != "" {
		add("vfat", 0, 512, "boot sector")
		// The backup boot sector (FAT32): where the BPB says, in its sectors.
		bps, bk := int64(binary.LittleEndian.Uint16(head[11:])), int64(binary.LittleEndian.Uint16(head[50:]))
		if bps < 512 || bps > 4096 || bk == 0 || bk > 32 {
			bps, bk = 512, 6
		}
		if b := readAt(r, off+bk*bps, 512); fatSignature(b).FSType != "" {
			add("vfat", bk*bps, 512, "backup boot sector")
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Offset < hits[j].Offset })
	return hits
}

// zfsLabel reports whether a ZFS label at off holds an uberblock.
func zfsLabel(r io.ReaderAt, off int64) bool {
	ub := readAt(r, off+128*sigKiB, int(128*sigKiB))
	for i := 0; i+8 <= len(ub); i += 1024 {
		m := binary.LittleEndian.Uint64(ub[i:])
		if m == 0x00bab10c || m == 0x0cb1ba0000000000 {
			return true
		}
	}
	return false
}

// tableSignatures lists the partition table structures of a disk of size
// bytes: protective or DOS MBR, and primary and backup GPT (header and
// entry array) for 512 and 4096-byte sectors.
func tableSignatures(r io.ReaderAt, size int64) []SignatureHit {
	var hits []SignatureHit
	mbr := readAt(r, 0, 512)
	if mbr[510] == 0x55 && mbr[511] == 0xAA && fatSignature(mbr).FSType == "" {
		kind := "dos"
		for i := range 4 {
			if mbr[446+16*i+4] == 0xEE {
				kind = "PMBR"
			}
		}
		hits = append(hits, SignatureHit{Kind: kind, Where: "disk", Offset: 0, Length: 512, Note: "MBR"})
	}
	for _, ss := range []int64{512, 4096} {
		sectors := size / ss
		if sectors < 3 {
			continue
		}
		for _, lba := range []int64{1, sectors - 1} {
			h := readAt(r, lba*ss, 92)
			if string(h[0:8]) != "EFI PART" {
				continue
			}
			note := "primary header"
			if lba != 1 {
				note = "backup header"
			}
			hits = append(hits, SignatureHit{Kind: "gpt", Where: "disk", Offset: lba * ss, Length: ss, Note: fmt.Sprintf("%s, %d-byte sectors", note, ss)})
			// The entry array: where the header says, bounded; else the usual place.
			n, es := int64(binary.LittleEndian.Uint32(h[80:])), int64(binary.LittleEndian.Uint32(h[84:]))
			arr := n * es
			if arr <= 0 || arr > 1*sigMiB {
				arr = 16 * sigKiB
			}
			at := int64(binary.LittleEndian.Uint64(h[72:])) * ss
			if at <= 0 || at+arr > size || (lba == 1 && at < 2*ss) {
				at = 2 * ss
				if lba != 1 {
					at = lba*ss - arr
				}
			}
			hits = append(hits, SignatureHit{Kind: "gpt", Where: "disk", Offset: at, Length: arr, Note: "entry array"})
		}
	}
	return hits
}
