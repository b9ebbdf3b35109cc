package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unicode/utf16"
)

// partTable is a partition table as found on a disk, checked the way
// sgdisk checks it (header and entry CRCs, both GPT copies).
type partTable struct {
	Kind       string // "gpt", "dos" or ""
	SectorSize int    // sector size the table was found with
	DiskGUID   string
	FromBackup bool     // the primary GPT is bad; the backup was used
	Problems   []string // what is wrong with the table
	Parts      []tablePart
}

// tablePart is one partition entry, in bytes.
type tablePart struct {
	Number   int
	Start    int64
	Size     int64
	TypeGUID string // GPT type, or the MBR type as "0x83"
	GUID     string
	Name     string // GPT partition name
}

type gptHeader struct {
	current, backup   uint64
	firstUse, lastUse uint64
	diskGUID          string
	entriesLBA        uint64
	numEntries        uint32
	entrySize         uint32
	entriesCRC        uint32
}

// readGPTHeader reads and checks the GPT header at lba; "" problem if good.
func readGPTHeader(r io.ReaderAt, lba uint64, ss int, sectors uint64) (gptHeader, string) {
	var h gptHeader
	if lba == 0 || lba >= sectors {
		return h, fmt.Sprintf("header LBA %d outside the disk", lba)
	}
	b := readAt(r, int64(lba)*int64(ss), ss)
	if string(b[0:8]) != "EFI PART" {
		return h, fmt.Sprintf("no GPT header at LBA %d", lba)
	}
	le := binary.LittleEndian
	hs := le.Uint32(b[12:])
	if hs < 92 || int(hs) > ss {
		return h, fmt.Sprintf("GPT header at LBA %d: bad header size %d", lba, hs)
	}
	want := le.Uint32(b[16:])
	c := append([]byte(nil), b[:hs]...)
	copy(c[16:20], []byte{0, 0, 0, 0})
	if crc32.ChecksumIEEE(c) != want {
		return h, fmt.Sprintf("GPT header at LBA %d: CRC mismatch", lba)
	}
	h = gptHeader{current: le.Uint64(b[24:]), backup: le.Uint64(b[32:]), firstUse: le.Uint64(b[40:]),
		lastUse: le.Uint64(b[48:]), diskGUID: guidString(b[56:72]), entriesLBA: le.Uint64(b[72:]),
		numEntries: le.Uint32(b[80:]), entrySize: le.Uint32(b[84:]), entriesCRC: le.Uint32(b[88:])}
	switch {
	case h.current != lba:
		return h, fmt.Sprintf("GPT header at LBA %d says it is at LBA %d", lba, h.current)
	case h.entrySize < 128 || h.entrySize%8 != 0 || h.entrySize > 4096 || h.numEntries == 0 || h.numEntries > 4096:
		return h, fmt.Sprintf("GPT header at LBA %d: %d entries of %d bytes", lba, h.numEntries, h.entrySize)
	case h.entriesLBA >= sectors || h.entriesLBA+uint64(h.numEntries)*uint64(h.entrySize)/uint64(ss) > sectors:
		return h, fmt.Sprintf("GPT header at LBA %d: entry array outside the disk", lba)
	}
	return h, ""
}

// readGPTEntries reads and checks the entry array of h.
func readGPTEntries(r io.ReaderAt, h gptHeader, ss int) ([]tablePart, string) {
	buf := readAt(r, int64(h.entriesLBA)*int64(ss), int(h.numEntries*h.entrySize))
	if crc32.ChecksumIEEE(buf) != h.entriesCRC {
		return nil, fmt.Sprintf("GPT entry array at LBA %d: CRC mismatch", h.entriesLBA)
	}
	var out []tablePart
	for i := range int(h.numEntries) {
		e := buf[i*int(h.entrySize) : (i+1)*int(h.entrySize)]
		if allZero(e[0:16]) {
			continue
		}
		first, last := binary.LittleEndian.Uint64(e[32:]), binary.LittleEndian.Uint64(e[40:])
		u := make([]uint16, 36)
		for j := range u {
			u[j] = binary.LittleEndian.Uint16(e[56+2*j:])
		}
		name := string(utf16.Decode(u))
		if k := strings.IndexByte(name, 0); k >= 0 {
			name = name[:k]
		}
		p := tablePart{Number: i + 1, TypeGUID: guidString(e[0:16]), GUID: guidString(e[16:32]), Name: name}
		if last >= first && last < 1<<48 {
			p.Start, p.Size = int64(first)*int64(ss), int64(last-first+1)*int64(ss)
		}
		out = append(out, p)
	}
	return out, ""
}

// readPartTable finds the partition table of a disk of size bytes.
// sectorSize 0 (image files) tries 512 then 4096-byte sectors.
func readPartTable(r io.ReaderAt, size int64, sectorSize int) partTable {
	sizes := []int{512, 4096}
	if sectorSize == 4096 {
		sizes = []int{4096, 512}
	}
	var seen []string
	for _, ss := range sizes {
		sectors := uint64(size / int64(ss))
		if sectors < 3 {
			continue
		}
		if t, ok := readGPT(r, ss, sectors); ok {
			return t
		} else if t.Problems != nil {
			seen = append(seen, t.Problems...)
		}
	}
	mss := int64(512)
	if sectorSize > 0 {
		mss = int64(sectorSize) // MBR sector numbers count logical sectors (4Kn disks)
	}
	t := readMBR(r, size, mss)
	if len(seen) > 0 {
		t.Problems = append(seen, t.Problems...)
	}
	return t
}

// readGPT reads a GPT with ss-byte sectors: the primary, else the backup.
// ok is false when neither copy is usable; Problems then says why if a
// GPT signature was there at all.
func readGPT(r io.ReaderAt, ss int, sectors uint64) (partTable, bool) {
	t := partTable{Kind: "gpt", SectorSize: ss}
	ph, pprob := readGPTHeader(r, 1, ss, sectors)
	var parts []tablePart
	if pprob == "" {
		parts, pprob = readGPTEntries(r, ph, ss)
	}
	backupLBA := sectors - 1
	if pprob == "" && ph.backup != backupLBA {
		t.Problems = append(t.Problems, fmt.Sprintf("primary GPT puts the backup at LBA %d, the disk ends at LBA %d", ph.backup, backupLBA))
		if ph.backup < sectors {
			backupLBA = ph.backup
		}
	}
	bh, bprob := readGPTHeader(r, backupLBA, ss, sectors)
	var bparts []tablePart
	if bprob == "" {
		bparts, bprob = readGPTEntries(r, bh, ss)
	}
	hasSig := strings.HasPrefix(pprob, "GPT") || pprob == "" || strings.HasPrefix(bprob, "GPT") || bprob == ""
	switch {
	case pprob == "":
		t.DiskGUID, t.Parts = ph.diskGUID, parts
		if bprob != "" {
			t.Problems = append(t.Problems, "backup GPT: "+bprob)
		}
		t.checkParts(ph, sectors)
		return t, true
	case bprob == "":
		t.DiskGUID, t.Parts, t.FromBackup = bh.diskGUID, bparts, true
		t.Problems = append(t.Problems, "primary GPT is corrupt ("+pprob+"); using the backup GPT at LBA "+fmt.Sprint(backupLBA))
		t.checkParts(bh, sectors)
		return t, true
	case hasSig:
		t.Problems = append(t.Problems, fmt.Sprintf("%d-byte sectors: primary GPT: %s; backup GPT: %s", ss, pprob, bprob))
	}
	return partTable{Problems: t.Problems}, false
}

func (t *partTable) checkParts(h gptHeader, sectors uint64) {
	ss := int64(t.SectorSize)
	for i, p := range t.Parts {
		first, last := uint64(p.Start/ss), uint64((p.Start+p.Size)/ss)-1
		if p.Size == 0 {
			t.Problems = append(t.Problems, fmt.Sprintf("partition %d: end before start", p.Number))
			continue
		}
		if first < h.firstUse || last > h.lastUse || last >= sectors {
			t.Problems = append(t.Problems, fmt.Sprintf("partition %d: sectors %d-%d outside the usable %d-%d", p.Number, first, last, h.firstUse, h.lastUse))
		}
		for _, q := range t.Parts[:i] {
			if q.Size > 0 && p.Start < q.Start+q.Size && q.Start < p.Start+p.Size {
				t.Problems = append(t.Problems, fmt.Sprintf("partitions %d and %d overlap", q.Number, p.Number))
			}
		}
	}
}

// readMBR reads a DOS partition table (primary and logical partitions).
func readMBR(r io.ReaderAt, size, ss int64) partTable {
	var t partTable
	b := readAt(r, 0, 512)
	if b[510] != 0x55 || b[511] != 0xAA || fatSignature(b).FSType != "" {
		return t
	}
	le := binary.LittleEndian
	t.Kind, t.SectorSize = "dos", int(ss)
	t.DiskGUID = fmt.Sprintf("%08x", le.Uint32(b[440:]))
	for i := range 4 {
		e := b[446+16*i : 462+16*i]
		typ, start, n := e[4], int64(le.Uint32(e[8:])), int64(le.Uint32(e[12:]))
		if typ == 0 || n == 0 {
			continue
		}
		if e[0] != 0 && e[0] != 0x80 {
			// Not a partition table (boot code or a filesystem boot sector).
			return partTable{}
		}
		p := tablePart{Number: i + 1, Start: start * ss, Size: n * ss, TypeGUID: fmt.Sprintf("0x%02x", typ)}
		if typ == 0xEE {
			t.Problems = append(t.Problems, "protective MBR (type 0xee) but no valid GPT")
		}
		if p.Start+p.Size > size {
			t.Problems = append(t.Problems, fmt.Sprintf("partition %d ends beyond the disk", p.Number))
		}
		t.Parts = append(t.Parts, p)
		if typ == 0x05 || typ == 0x0F || typ == 0x85 {
			t.Parts = append(t.Parts, logicalParts(r, start, size, ss, &t)...)
		}
	}
	return t
}

// logicalParts walks the chain of extended boot records, bounded.
func logicalParts(r io.ReaderAt, extStart, size, ss int64, t *partTable) []tablePart {
	var out []tablePart
	le := binary.LittleEndian
	ebr := extStart
	for n := 5; n < 5+128; n++ {
		b := readAt(r, ebr*ss, 512)
		if b[510] != 0x55 || b[511] != 0xAA {
			t.Problems = append(t.Problems, fmt.Sprintf("extended boot record at sector %d has no signature", ebr))
			return out
		}
		e1, e2 := b[446:462], b[462:478]
		if e1[4] != 0 && le.Uint32(e1[12:]) != 0 {
			out = append(out, tablePart{Number: n, Start: (ebr + int64(le.Uint32(e1[8:]))) * ss,
				Size: int64(le.Uint32(e1[12:])) * ss, TypeGUID: fmt.Sprintf("0x%02x", e1[4])})
		}
		next := int64(le.Uint32(e2[8:]))
		if e2[4] == 0 || next == 0 || (extStart+next)*ss >= size || extStart+next <= ebr {
			return out
		}
		ebr = extStart + next
	}
	t.Problems = append(t.Problems, "more than 128 logical partitions: stopped reading")
	return out
}
