// Package esp formats and edits the FAT32 EFI system partition of a disk
// or image file in user space (the installer host may have no vfat
// driver). Every write sequence leaves a filesystem that `fsck.vfat -n`
// accepts without complaint: '.'/'..' entries, FSInfo free count, both FAT
// copies and long file names are kept exact.
//
// Crash behaviour (power cut): file data is written and synced before the
// FAT, the FAT before the directory entry that makes a file visible, and a
// replaced file's old clusters are freed only after its entry points at
// the new ones. A cut therefore leaves either the old or the new content,
// at worst some lost clusters that fsck reclaims. See Rename for renames.
package esp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Device is what the filesystem lives on: a disk, an image file, or any
// random-access storage. Offsets are absolute (from the disk start).
type Device interface {
	io.ReaderAt
	io.WriterAt
}

const (
	minClusters   = 65525      // fewer clusters and a FAT is FAT16 by definition
	maxClusters   = 0x0FFFFFF5 // FAT32 limit
	eoc           = 0x0FFFFFFF // end of chain as mkfs.fat writes it
	fatMask       = 0x0FFFFFFF
	mediaFixed    = 0xF8
	rootCluster   = 2
	backupBootSec = 6
	fsInfoSec     = 1
	dirEntrySize  = 32
)

// geometry is the layout of a FAT32 filesystem, in sectors of sectorSize.
type geometry struct {
	sectorSize   int
	secPerClus   int
	reserved     int
	numFATs      int
	fatSectors   int
	totalSectors int
	clusters     int // data clusters, numbered 2..clusters+1
	hidden       uint32
}

func (g geometry) clusterBytes() int { return g.secPerClus * g.sectorSize }
func (g geometry) dataStart() int64  { return int64(g.reserved + g.numFATs*g.fatSectors) }

// plan computes the geometry of a FAT32 filesystem of size bytes: the
// largest cluster of 4 KiB or less (at least one sector) that still gives
// FAT32 its minimum of 65525 clusters.
func plan(size int64, sectorSize int) (geometry, error) {
	switch sectorSize {
	case 512, 1024, 2048, 4096:
	default:
		return geometry{}, fmt.Errorf("sector size %d: want 512, 1024, 2048 or 4096", sectorSize)
	}
	total := size / int64(sectorSize)
	if total > 0xFFFFFFFF {
		return geometry{}, fmt.Errorf("size %d bytes: too large for FAT32 sector counts", size)
	}
	for cb := 4096; cb >= sectorSize; cb /= 2 {
		spc := cb / sectorSize
		g := geometry{sectorSize: sectorSize, secPerClus: spc, reserved: 32, numFATs: 2, totalSectors: int(total)}
		// Iterate: the FAT size depends on the cluster count and back.
		clusters := int(total) / spc
		for range 8 {
			g.fatSectors = ((clusters+2)*4 + sectorSize - 1) / sectorSize
			// Align the data region to the cluster size.
			g.reserved = 32
			if pad := (g.reserved + 2*g.fatSectors) % spc; pad != 0 {
				g.reserved += spc - pad
			}
			clusters = (int(total) - g.reserved - 2*g.fatSectors) / spc
		}
		// The loop may end oscillating by one FAT sector: grow the FAT
		// until it covers the clusters (which only shrinks them).
		for (clusters+2)*4 > g.fatSectors*sectorSize {
			g.fatSectors++
			g.reserved = 32
			if pad := (g.reserved + 2*g.fatSectors) % spc; pad != 0 {
				g.reserved += spc - pad
			}
			clusters = (int(total) - g.reserved - 2*g.fatSectors) / spc
		}
		if clusters > maxClusters {
			continue
		}
		if clusters >= minClusters && (clusters+2)*4 <= g.fatSectors*sectorSize {
			g.clusters = clusters
			return g, nil
		}
	}
	need := int64(minClusters+2)*int64(sectorSize) + 64*int64(sectorSize) + 2*int64(minClusters+2)*4
	return geometry{}, fmt.Errorf("partition of %d bytes too small for FAT32 with %d-byte sectors: need at least %d MiB",
		size, sectorSize, need>>20+1)
}

// CheckSize reports whether a FAT32 filesystem of size bytes can be made
// with sectorSize-byte sectors (at least 65525 clusters of at most 4 KiB:
// about 33 MiB with 512-byte sectors, 257 MiB with 4096-byte ones).
func CheckSize(size int64, sectorSize int) error {
	_, err := plan(size, sectorSize)
	return err
}

// Format writes an empty FAT32 filesystem labelled label (up to 11
// characters, upper-cased) into [start, start+size) of dev. Only that
// range is written.
func Format(dev Device, start, size int64, sectorSize int, label string) error {
	if start < 0 || size <= 0 {
		return fmt.Errorf("format FAT32: start %d / size %d: want start >= 0 and size > 0", start, size)
	}
	if start%int64(sectorSize) != 0 {
		return fmt.Errorf("format FAT32: start %d is not a multiple of the sector size %d", start, sectorSize)
	}
	lbl, err := shortLabel(label)
	if err != nil {
		return err
	}
	g, err := plan(size, sectorSize)
	if err != nil {
		return fmt.Errorf("format FAT32: %w", err)
	}
	g.hidden = uint32(start / int64(sectorSize))
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("format FAT32: volume id: %w", err)
	}
	ss := int64(sectorSize)
	// Zero the reserved area, both FATs and the root directory cluster.
	zeroEnd := (g.dataStart() + int64(g.secPerClus)) * ss
	if err := zeroRange(dev, start, zeroEnd); err != nil {
		return fmt.Errorf("format FAT32: %w", err)
	}
	boot := bootSector(g, binary.LittleEndian.Uint32(id[:]), lbl)
	info := fsInfoSector(g, uint32(g.clusters-1), 3)
	for _, w := range []struct {
		sec int64
		b   []byte
	}{{0, boot}, {fsInfoSec, info}, {backupBootSec, boot}, {backupBootSec + 1, info}} {
		if _, err := dev.WriteAt(w.b, start+w.sec*ss); err != nil {
			return fmt.Errorf("format FAT32: write sector %d: %w", w.sec, err)
		}
	}
	fat := make([]byte, 12)
	binary.LittleEndian.PutUint32(fat[0:], 0x0FFFFF00|mediaFixed)
	binary.LittleEndian.PutUint32(fat[4:], eoc)
	binary.LittleEndian.PutUint32(fat[8:], eoc) // root directory
	for i := range g.numFATs {
		if _, err := dev.WriteAt(fat, start+int64(g.reserved+i*g.fatSectors)*ss); err != nil {
			return fmt.Errorf("format FAT32: write FAT %d: %w", i+1, err)
		}
	}
	// The label also lives in the root directory, where fsck looks for it.
	var ent [dirEntrySize]byte
	copy(ent[:11], lbl[:])
	ent[11] = attrVolume
	stampEntry(ent[:])
	if _, err := dev.WriteAt(ent[:], start+g.dataStart()*ss); err != nil {
		return fmt.Errorf("format FAT32: write root directory: %w", err)
	}
	return syncDev(dev)
}

// shortLabel validates and pads a volume label.
func shortLabel(label string) ([11]byte, error) {
	var b [11]byte
	if label == "" {
		label = "NO NAME"
	}
	up := strings.ToUpper(label)
	if len(up) > 11 {
		return b, fmt.Errorf("FAT label %q: longer than 11 characters", label)
	}
	for _, c := range []byte(up) {
		if c < 0x20 || c > 0x7e || strings.IndexByte(`"*+,./:;<=>?[\]|`, c) >= 0 {
			return b, fmt.Errorf("FAT label %q: character %q not allowed", label, c)
		}
	}
	copy(b[:], fmt.Sprintf("%-11s", up))
	return b, nil
}

func bootSector(g geometry, volID uint32, label [11]byte) []byte {
	b := make([]byte, g.sectorSize)
	le := binary.LittleEndian
	copy(b[0:], []byte{0xEB, 0x58, 0x90})
	copy(b[3:11], "mkfs.fat")
	le.PutUint16(b[11:], uint16(g.sectorSize))
	b[13] = byte(g.secPerClus)
	le.PutUint16(b[14:], uint16(g.reserved))
	b[16] = byte(g.numFATs)
	b[21] = mediaFixed
	le.PutUint16(b[24:], 63)
	le.PutUint16(b[26:], 255)
	le.PutUint32(b[28:], g.hidden)
	le.PutUint32(b[32:], uint32(g.totalSectors))
	le.PutUint32(b[36:], uint32(g.fatSectors))
	le.PutUint32(b[44:], rootCluster)
	le.PutUint16(b[48:], fsInfoSec)
	le.PutUint16(b[50:], backupBootSec)
	b[64] = 0x80
	b[66] = 0x29
	le.PutUint32(b[67:], volID)
	copy(b[71:82], label[:])
	copy(b[82:90], "FAT32   ")
	// Boot code: print a message and hang, as mkfs.fat does for non-system disks.
	msg := "This is not a bootable disk.\r\n"
	code := []byte{0x0E, 0x1F, 0xBE, 0x77, 0x7C, 0xAC, 0x22, 0xC0, 0x74, 0x0B, 0x56, 0xB4, 0x0E, 0xBB, 0x07, 0x00, 0xCD, 0x10, 0x5E, 0xEB, 0xF0, 0x32, 0xE4, 0xCD, 0x16, 0xCD, 0x19, 0xEB, 0xFE}
	copy(b[90:], code)
	copy(b[90+len(code):], msg)
	b[510], b[511] = 0x55, 0xAA
	return b
}

func fsInfoSector(g geometry, free, next uint32) []byte {
	b := make([]byte, g.sectorSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0x41615252)
	le.PutUint32(b[484:], 0x61417272)
	le.PutUint32(b[488:], free)
	le.PutUint32(b[492:], next)
	le.PutUint32(b[508:], 0xAA550000)
	return b
}

func zeroRange(dev Device, start, n int64) error {
	buf := make([]byte, 1<<20)
	for off := int64(0); off < n; off += int64(len(buf)) {
		chunk := min(int64(len(buf)), n-off)
		if _, err := dev.WriteAt(buf[:chunk], start+off); err != nil {
			return fmt.Errorf("zero %d bytes at %d: %w", chunk, start+off, err)
		}
	}
	return nil
}

// syncDev flushes dev to stable storage when it can.
func syncDev(dev Device) error {
	if s, ok := dev.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	return nil
}
