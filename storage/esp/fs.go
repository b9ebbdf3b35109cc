package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// FS is an open FAT32 filesystem. It is not safe for concurrent use.
type FS struct {
	dev      Device
	base     int64 // byte offset of the filesystem on dev
	g        geometry
	rootClus uint32
	fsInfo   int // FSInfo sector, 0 if none
	label    string
	fat      []uint32 // raw entries 0..clusters+1 of the first FAT
	dirty    map[int]bool
	free     int
	next     uint32
	readOnly bool
	// infoStale: FSInfo's free count on disk is wrong (flushFAT rewrites it).
	infoStale bool
	closer    io.Closer
	dirs      map[uint32]*dir // read-only opens: directories read so far
}

// FileInfo describes one directory entry.
type FileInfo struct {
	Name string
	Size int64
	Dir  bool
}

// maxFATBytes bounds the memory a (possibly hostile) FAT may take.
const maxFATBytes = 256 << 20

// Read-only opens inspect disks that may not be ours (a stick someone
// plugged in): they read a FAT of at most maxReadOnlyFATBytes (8 Mi
// clusters, 32 GiB at 4 KiB clusters: larger than any ESP) and a
// directory of at most maxDirBytes (65536 entries, FAT's own limit).
// ErrTooLarge is what they return beyond those caps.
var ErrTooLarge = errors.New("too large to be read")

const (
	maxReadOnlyFATBytes = 32 << 20
	maxDirBytes         = 65536 * 32
)

// Open opens the FAT32 filesystem at [start, start+size) of the disk or
// image at diskPath for reading and writing. The open is not exclusive:
// the installer's disk target holds the exclusive claim. sectorSize is
// the disk's logical sector size; the filesystem must use the same.
func Open(diskPath string, start, size int64, sectorSize int) (*FS, error) {
	f, err := os.OpenFile(diskPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open ESP: %w", err)
	}
	fsys, err := OpenDevice(f, start, size, sectorSize)
	if err != nil {
		f.Close()
		return nil, err
	}
	fsys.closer = f
	return fsys, nil
}

// OpenDevice is Open on an already open device.
func OpenDevice(dev Device, start, size int64, sectorSize int) (*FS, error) {
	return open(dev, start, size, sectorSize, false)
}

// OpenReadOnly opens a FAT32 filesystem for reading only; every write
// method returns an error. sectorSize 0 accepts the filesystem's own.
func OpenReadOnly(r io.ReaderAt, start, size int64, sectorSize int) (*FS, error) {
	return open(readOnlyDev{r}, start, size, sectorSize, true)
}

type readOnlyDev struct{ io.ReaderAt }

func (readOnlyDev) WriteAt([]byte, int64) (int, error) { return 0, errors.New("read-only") }

func open(dev Device, start, size int64, sectorSize int, ro bool) (*FS, error) {
	b := make([]byte, 512)
	if _, err := dev.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("read FAT boot sector at %d: %w", start, err)
	}
	le := binary.LittleEndian
	g := geometry{
		sectorSize: int(le.Uint16(b[11:])), secPerClus: int(b[13]), reserved: int(le.Uint16(b[14:])),
		numFATs: int(b[16]), fatSectors: int(le.Uint32(b[36:])), totalSectors: int(le.Uint32(b[32:])),
	}
	bad := func(what string) (*FS, error) {
		return nil, fmt.Errorf("not a valid FAT32 filesystem at offset %d: %s", start, what)
	}
	switch {
	case b[510] != 0x55 || b[511] != 0xAA:
		return bad("no boot sector signature")
	case g.sectorSize != 512 && g.sectorSize != 1024 && g.sectorSize != 2048 && g.sectorSize != 4096:
		return bad(fmt.Sprintf("bytes per sector %d", g.sectorSize))
	case sectorSize != 0 && g.sectorSize != sectorSize:
		return bad(fmt.Sprintf("bytes per sector %d, disk sector size %d", g.sectorSize, sectorSize))
	case g.secPerClus == 0 || g.secPerClus&(g.secPerClus-1) != 0:
		return bad(fmt.Sprintf("sectors per cluster %d", g.secPerClus))
	case g.reserved == 0 || g.numFATs < 1 || g.numFATs > 2:
		return bad("reserved sectors or number of FATs")
	case le.Uint16(b[22:]) != 0 || g.fatSectors == 0 || le.Uint16(b[17:]) != 0:
		return bad("not FAT32 (FAT12/16 fields set)")
	case size > 0 && int64(g.totalSectors)*int64(g.sectorSize) > size:
		return bad(fmt.Sprintf("%d sectors do not fit the partition of %d bytes", g.totalSectors, size))
	}
	data := g.totalSectors - g.reserved - g.numFATs*g.fatSectors
	if data <= 0 {
		return bad("no data region")
	}
	g.clusters = data / g.secPerClus
	if int64(g.clusters+2)*4 > int64(g.fatSectors)*int64(g.sectorSize) || (g.clusters+2)*4 > maxFATBytes {
		return bad(fmt.Sprintf("FAT of %d sectors for %d clusters", g.fatSectors, g.clusters))
	}
	if ro && (g.clusters+2)*4 > maxReadOnlyFATBytes {
		return nil, fmt.Errorf("FAT32 filesystem at offset %d: its FAT of %d MiB (%d clusters) is larger than an ESP's (at most %d MiB are read): %w",
			start, (g.clusters+2)*4>>20, g.clusters, maxReadOnlyFATBytes>>20, ErrTooLarge)
	}
	f := &FS{dev: dev, base: start, g: g, rootClus: le.Uint32(b[44:]), dirty: map[int]bool{}, readOnly: ro,
		label: strings.TrimRight(string(b[71:82]), " ")}
	if f.rootClus < 2 || int(f.rootClus) >= g.clusters+2 {
		return bad(fmt.Sprintf("root cluster %d", f.rootClus))
	}
	raw := make([]byte, (g.clusters+2)*4)
	if _, err := dev.ReadAt(raw, start+int64(g.reserved)*int64(g.sectorSize)); err != nil {
		return nil, fmt.Errorf("read FAT: %w", err)
	}
	f.fat = make([]uint32, g.clusters+2)
	for i := range f.fat {
		f.fat[i] = le.Uint32(raw[i*4:])
		if i >= 2 && f.fat[i]&fatMask == 0 {
			f.free++
		}
	}
	f.next = 2
	var infoFree uint32
	if s := int(le.Uint16(b[48:])); s > 0 && s < g.reserved {
		info := make([]byte, 512)
		if _, err := dev.ReadAt(info, start+int64(s)*int64(g.sectorSize)); err == nil &&
			le.Uint32(info[0:]) == 0x41615252 && le.Uint32(info[484:]) == 0x61417272 {
			f.fsInfo, infoFree = s, fsInfoFree(info)
		}
	}
	if !ro {
		if err := f.syncCopies(raw); err != nil {
			return nil, err
		}
		f.reclaim(infoFree)
	}
	return f, nil
}

// Label is the volume label of the boot sector.
func (f *FS) Label() string { return f.label }

// Close flushes pending metadata and closes the device if Open opened it.
func (f *FS) Close() error {
	var err error
	if !f.readOnly {
		err = f.flushFAT()
		if err == nil {
			err = syncDev(f.dev)
		}
	}
	if f.closer != nil {
		if cerr := f.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (f *FS) clusterOff(c uint32) int64 {
	return f.base + (f.g.dataStart()+int64(c-2)*int64(f.g.secPerClus))*int64(f.g.sectorSize)
}

func (f *FS) valid(c uint32) bool { return c >= 2 && int(c) < len(f.fat) }

// chain follows a cluster chain, refusing loops and out-of-range links.
func (f *FS) chain(c uint32) ([]uint32, error) {
	var out []uint32
	if c == 0 {
		return nil, nil
	}
	for {
		if !f.valid(c) {
			return nil, fmt.Errorf("broken cluster chain: cluster %d out of range", c)
		}
		out = append(out, c)
		if len(out) > f.g.clusters {
			return nil, errors.New("broken cluster chain: loop")
		}
		n := f.fat[c] & fatMask
		if n >= 0x0FFFFFF8 {
			return out, nil
		}
		c = n
	}
}

// readChain reads the clusters of chain, coalescing contiguous runs.
func (f *FS) readChain(chain []uint32) ([]byte, error) {
	cb := f.g.clusterBytes()
	out := make([]byte, len(chain)*cb)
	for i := 0; i < len(chain); {
		j := i + 1
		for j < len(chain) && chain[j] == chain[j-1]+1 {
			j++
		}
		if _, err := f.dev.ReadAt(out[i*cb:j*cb], f.clusterOff(chain[i])); err != nil {
			return nil, fmt.Errorf("read clusters: %w", err)
		}
		i = j
	}
	return out, nil
}

func (f *FS) setFAT(c, v uint32) {
	f.fat[c] = f.fat[c]&^fatMask | v&fatMask
	f.dirty[int(c)*4/f.g.sectorSize] = true
}

// alloc links n free clusters into a chain (in memory; flushFAT writes it).
func (f *FS) alloc(n int) ([]uint32, error) {
	if n == 0 {
		return nil, nil
	}
	if n > f.free {
		return nil, fmt.Errorf("ESP full: need %d clusters of %d bytes, %d free", n, f.g.clusterBytes(), f.free)
	}
	out := make([]uint32, 0, n)
	c := f.next
	for scanned := 0; len(out) < n && scanned < len(f.fat); scanned++ {
		if !f.valid(c) {
			c = 2
		}
		if f.fat[c]&fatMask == 0 {
			out = append(out, c)
		}
		c++
	}
	if len(out) < n {
		return nil, errors.New("ESP full: FAT free count is wrong")
	}
	for i, c := range out {
		v := uint32(eoc)
		if i+1 < len(out) {
			v = out[i+1]
		}
		f.setFAT(c, v)
	}
	f.free -= n
	f.next = out[n-1] + 1
	return out, nil
}

func (f *FS) freeChain(chain []uint32) {
	for _, c := range chain {
		f.setFAT(c, 0)
	}
	f.free += len(chain)
}

// flushFAT writes the changed FAT sectors to every FAT copy, then FSInfo.
func (f *FS) flushFAT() error {
	if len(f.dirty) == 0 && !f.infoStale {
		return nil
	}
	secs := make([]int, 0, len(f.dirty))
	for s := range f.dirty {
		secs = append(secs, s)
	}
	sort.Ints(secs)
	per := f.g.sectorSize / 4
	ss := int64(f.g.sectorSize)
	for _, s := range secs {
		lo, hi := s*per, min((s+1)*per, len(f.fat))
		buf := make([]byte, (hi-lo)*4)
		for i := lo; i < hi; i++ {
			binary.LittleEndian.PutUint32(buf[(i-lo)*4:], f.fat[i])
		}
		for k := range f.g.numFATs {
			off := f.base + (int64(f.g.reserved)+int64(k*f.g.fatSectors)+int64(s))*ss
			if _, err := f.dev.WriteAt(buf, off); err != nil {
				return fmt.Errorf("write FAT %d: %w", k+1, err)
			}
		}
	}
	f.dirty = map[int]bool{}
	if f.fsInfo > 0 {
		var b [8]byte
		binary.LittleEndian.PutUint32(b[0:], uint32(f.free))
		binary.LittleEndian.PutUint32(b[4:], f.next)
		if _, err := f.dev.WriteAt(b[:], f.base+int64(f.fsInfo)*ss+488); err != nil {
			return fmt.Errorf("write FSInfo: %w", err)
		}
		f.infoStale = false
	}
	return nil
}

// dir is a directory read into memory; orig is what is on disk.
type dir struct {
	cluster    uint32
	chain      []uint32
	data, orig []byte
	// frozen: read-only, cached in FS.dirs and looked up through idx (by
	// lower-case name), so that reading every file of a directory of n
	// entries costs n, not n*n (a stick with thousands of entries must
	// not stall the probe).
	frozen bool
	idx    map[string]entry
}

func (f *FS) readDir(c uint32) (*dir, error) {
	if d, ok := f.dirs[c]; ok {
		return d, nil
	}
	chain, err := f.chain(c)
	if err != nil {
		return nil, err
	}
	if f.readOnly && len(chain)*f.g.clusterBytes() > maxDirBytes {
		return nil, fmt.Errorf("directory of %d clusters: more than FAT's %d entries: %w", len(chain), maxDirBytes/32, ErrTooLarge)
	}
	data, err := f.readChain(chain)
	if err != nil {
		return nil, err
	}
	if f.readOnly {
		d := &dir{cluster: c, chain: chain, data: data, frozen: true}
		if f.dirs == nil {
			f.dirs = map[uint32]*dir{}
		}
		f.dirs[c] = d
		return d, nil
	}
	return &dir{cluster: c, chain: chain, data: data, orig: append([]byte(nil), data...)}, nil
}

// writeDir writes the changed sectors of d, those listed in first before
// the others, each with one write.
func (f *FS) writeDir(d *dir, first ...int) error {
	ss := f.g.sectorSize
	n := len(d.data) / ss
	changed := func(s int) bool { return string(d.data[s*ss:(s+1)*ss]) != string(d.orig[s*ss:(s+1)*ss]) }
	order := append([]int(nil), first...)
	for s := range n {
		order = append(order, s)
	}
	done := map[int]bool{}
	for _, s := range order {
		if s < 0 || s >= n || done[s] || !changed(s) {
			continue
		}
		done[s] = true
		off := f.clusterOff(d.chain[s/f.g.secPerClus]) + int64(s%f.g.secPerClus*ss)
		if _, err := f.dev.WriteAt(d.data[s*ss:(s+1)*ss], off); err != nil {
			return fmt.Errorf("write directory: %w", err)
		}
	}
	copy(d.orig, d.data)
	return syncDev(f.dev)
}

// split cleans p into its components.
func split(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

func find(d *dir, name string) (entry, bool) {
	if d.frozen {
		if d.idx == nil {
			d.idx = map[string]entry{}
			for _, e := range parseDir(d.data) {
				if k := strings.ToLower(e.name); !hasKey(d.idx, k) {
					d.idx[k] = e // the first of equal names wins, as in the scan
				}
			}
		}
		e, ok := d.idx[strings.ToLower(name)]
		return e, ok
	}
	for _, e := range parseDir(d.data) {
		if strings.EqualFold(e.name, name) {
			return e, true
		}
	}
	return entry{}, false
}

func hasKey(m map[string]entry, k string) bool { _, ok := m[k]; return ok }

// walk returns the directory holding the last component of parts.
func (f *FS) walk(parts []string, create bool) (*dir, error) {
	d, err := f.readDir(f.rootClus)
	if err != nil {
		return nil, err
	}
	for i, name := range parts {
		e, ok := find(d, name)
		if !ok {
			if !create {
				return nil, fmt.Errorf("%s: %w", "/"+strings.Join(parts[:i+1], "/"), fs.ErrNotExist)
			}
			if e, err = f.mkdir(d, name); err != nil {
				return nil, err
			}
		} else if !e.isDir() {
			return nil, fmt.Errorf("%s: not a directory", "/"+strings.Join(parts[:i+1], "/"))
		}
		if d, err = f.readDir(e.cluster); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (f *FS) checkWritable() error {
	if f.readOnly {
		return errors.New("ESP opened read-only")
	}
	return nil
}
