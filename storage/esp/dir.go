package esp

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

const (
	attrReadOnly = 0x01
	attrHidden   = 0x02
	attrSystem   = 0x04
	attrVolume   = 0x08
	attrDir      = 0x10
	attrArchive  = 0x20
	attrLFN      = 0x0F
	deleted      = 0xE5
	lfnChars     = 13
)

// entry is one directory entry as read, with its long name resolved.
type entry struct {
	name    string // long name if present, else the short name as 8.3
	short   [11]byte
	attr    byte
	cluster uint32
	size    uint32
	first   int // slot index of the first entry (an LFN entry or the short entry)
	slot    int // slot index of the short entry
}

func (e entry) isDir() bool { return e.attr&attrDir != 0 }

// parseDir lists the live entries of a directory image. Garbage never
// panics: malformed long names fall back to the short name.
func parseDir(data []byte) []entry {
	var out []entry
	var lfn []uint16
	lfnStart, lfnSum, lfnNext := -1, byte(0), 0
	n := len(data) / dirEntrySize
	for i := range n {
		e := data[i*dirEntrySize : (i+1)*dirEntrySize]
		if e[0] == 0 {
			break
		}
		if e[0] == deleted {
			lfnStart = -1
			continue
		}
		if e[11]&0x3F == attrLFN {
			ord := int(e[0] & 0x1F)
			if e[0]&0x40 != 0 {
				lfn = make([]uint16, ord*lfnChars)
				lfnStart, lfnSum, lfnNext = i, e[13], ord
			}
			if lfnStart < 0 || ord != lfnNext || ord == 0 || e[13] != lfnSum {
				lfnStart = -1
				continue
			}
			base := (ord - 1) * lfnChars
			for k, off := range lfnOffsets {
				lfn[base+k] = binary.LittleEndian.Uint16(e[off:])
			}
			lfnNext--
			continue
		}
		ent := entry{attr: e[11], slot: i, first: i,
			cluster: uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:])),
			size:    binary.LittleEndian.Uint32(e[28:])}
		copy(ent.short[:], e[:11])
		ent.name = shortString(ent.short, e[12])
		if lfnStart >= 0 && lfnNext == 0 && checksum(ent.short) == lfnSum {
			ent.first = lfnStart
			end := len(lfn)
			for k, c := range lfn {
				if c == 0 {
					end = k
					break
				}
			}
			ent.name = string(utf16.Decode(lfn[:end]))
		}
		lfnStart = -1
		if ent.attr&attrVolume != 0 || ent.name == "." || ent.name == ".." {
			continue
		}
		out = append(out, ent)
	}
	return out
}

var lfnOffsets = []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}

// shortString renders an 8.3 name, honouring the NT lower-case flags.
func shortString(s [11]byte, nt byte) string {
	base := strings.TrimRight(string(s[:8]), " ")
	ext := strings.TrimRight(string(s[8:]), " ")
	if len(base) > 0 && base[0] == 0x05 {
		base = "\xe5" + base[1:]
	}
	if nt&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if nt&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

func checksum(s [11]byte) byte {
	var sum byte
	for _, c := range s {
		sum = (sum&1)<<7 + sum>>1 + c
	}
	return sum
}

const shortChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~"

// validName rejects what no FAT long name may contain.
func validName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return fmt.Errorf("file name %q: want 1-255 characters, not . or ..", name)
	}
	for _, r := range name {
		if r < 0x20 || strings.ContainsRune(`"*/:<>?\|`, r) {
			return fmt.Errorf("file name %q: character %q not allowed on FAT", name, r)
		}
	}
	if strings.TrimRight(name, ". ") != name {
		return fmt.Errorf("file name %q: may not end with a dot or space", name)
	}
	return nil
}

// exactShort returns the 8.3 form of name if name is already a valid
// upper-case short name (then no long name entry is needed).
func exactShort(name string) ([11]byte, bool) {
	var s [11]byte
	base, ext, _ := strings.Cut(name, ".")
	if strings.Contains(ext, ".") || len(base) == 0 || len(base) > 8 || len(ext) > 3 {
		return s, false
	}
	for _, c := range []byte(base + ext) {
		if strings.IndexByte(shortChars, c) < 0 {
			return s, false
		}
	}
	copy(s[:], fmt.Sprintf("%-8s%-3s", base, ext))
	return s, true
}

// makeShort generates a unique NAME~N.EXT alias for a long name.
func makeShort(name string, taken func([11]byte) bool) ([11]byte, error) {
	clean := func(s string, max int) string {
		var b strings.Builder
		for _, c := range []byte(strings.ToUpper(s)) {
			if c == ' ' || c == '.' {
				continue
			}
			if strings.IndexByte(shortChars, c) < 0 {
				c = '_'
			}
			if b.Len() < max {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	base, ext := strings.TrimLeft(name, "."), ""
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base, ext = base[:i], base[i+1:]
	}
	b, x := clean(base, 8), clean(ext, 3)
	if b == "" {
		b = "FILE"
	}
	for n := 1; n < 1000000; n++ {
		tail := fmt.Sprintf("~%d", n)
		head := b
		if len(head)+len(tail) > 8 {
			head = head[:8-len(tail)]
		}
		var s [11]byte
		copy(s[:], fmt.Sprintf("%-8s%-3s", head+tail, x))
		if !taken(s) {
			return s, nil
		}
	}
	return [11]byte{}, fmt.Errorf("file name %q: no free short name", name)
}

// encodeEntries returns the directory entries (long name entries, then the
// short entry) for name.
func encodeEntries(name string, short [11]byte, needLFN bool, attr byte, cluster, size uint32) []byte {
	var lfnSlots [][]byte
	if needLFN {
		u := utf16.Encode([]rune(name))
		n := (len(u) + lfnChars - 1) / lfnChars
		padded := make([]uint16, n*lfnChars)
		for i := range padded {
			switch {
			case i < len(u):
				padded[i] = u[i]
			case i == len(u):
				padded[i] = 0
			default:
				padded[i] = 0xFFFF
			}
		}
		sum := checksum(short)
		for ord := n; ord >= 1; ord-- {
			e := make([]byte, dirEntrySize)
			e[0] = byte(ord)
			if ord == n {
				e[0] |= 0x40
			}
			e[11], e[13] = attrLFN, sum
			for k, off := range lfnOffsets {
				binary.LittleEndian.PutUint16(e[off:], padded[(ord-1)*lfnChars+k])
			}
			lfnSlots = append(lfnSlots, e)
		}
	}
	e := make([]byte, dirEntrySize)
	copy(e[:11], short[:])
	e[11] = attr
	setCluster(e, cluster)
	binary.LittleEndian.PutUint32(e[28:], size)
	stampEntry(e)
	out := make([]byte, 0, (len(lfnSlots)+1)*dirEntrySize)
	for _, s := range lfnSlots {
		out = append(out, s...)
	}
	return append(out, e...)
}

func setCluster(e []byte, c uint32) {
	binary.LittleEndian.PutUint16(e[20:], uint16(c>>16))
	binary.LittleEndian.PutUint16(e[26:], uint16(c))
}

// stampEntry sets the creation, access and modification times to now.
func stampEntry(e []byte) {
	t := time.Now()
	if t.Year() < 1980 || t.Year() > 2107 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	d := uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	tm := uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	le := binary.LittleEndian
	le.PutUint16(e[14:], tm)
	le.PutUint16(e[16:], d)
	le.PutUint16(e[18:], d)
	le.PutUint16(e[22:], tm)
	le.PutUint16(e[24:], d)
}
