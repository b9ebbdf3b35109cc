package esp

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
)

// free reports whether slot i of d is free; a 0x00 slot ends the directory.
func slotFree(d *dir, i int) bool {
	b := d.data[i*dirEntrySize]
	return b == 0 || b == deleted
}

// findRun finds n consecutive free slots, preferring a run inside the
// sector prefer (so a rename becomes one sector write); -1 if none.
func (f *FS) findRun(d *dir, n, prefer int) int {
	per := f.g.sectorSize / dirEntrySize
	slots := len(d.data) / dirEntrySize
	best := -1
	for i := 0; i+n <= slots; i++ {
		ok := true
		for k := range n {
			if !slotFree(d, i+k) {
				ok = false
				i += k // skip past the used slot
				break
			}
		}
		if !ok {
			continue
		}
		if prefer >= 0 && i/per == prefer && (i+n-1)/per == prefer {
			return i
		}
		if best < 0 {
			best = i
		}
	}
	return best
}

// grow appends one zeroed cluster to d.
func (f *FS) grow(d *dir) error {
	c, err := f.alloc(1)
	if err != nil {
		return err
	}
	zero := make([]byte, f.g.clusterBytes())
	if _, err := f.dev.WriteAt(zero, f.clusterOff(c[0])); err != nil {
		return fmt.Errorf("zero directory cluster: %w", err)
	}
	f.setFAT(d.chain[len(d.chain)-1], c[0])
	if err := f.flushFAT(); err != nil {
		return err
	}
	d.chain = append(d.chain, c[0])
	d.data = append(d.data, zero...)
	d.orig = append(d.orig, zero...)
	return nil
}

// place writes the entries of name into d's image (not to disk) and
// returns the sector of its short entry.
func (f *FS) place(d *dir, name string, attr byte, cluster, size uint32, prefer int, stamp []byte) (int, error) {
	if err := validName(name); err != nil {
		return 0, err
	}
	live := parseDir(d.data)
	taken := func(s [11]byte) bool {
		for _, e := range live {
			if e.short == s {
				return true
			}
		}
		return false
	}
	short, exact := exactShort(name)
	if exact && taken(short) {
		exact = false // another file's alias: this name gets a long entry and its own alias
	}
	if !exact {
		var err error
		short, err = makeShort(name, taken)
		if err != nil {
			return 0, err
		}
	}
	ents := encodeEntries(name, short, !exact, attr, cluster, size)
	if stamp != nil {
		copy(ents[len(ents)-dirEntrySize+13:len(ents)-dirEntrySize+20], stamp[13:20])
		copy(ents[len(ents)-dirEntrySize+22:len(ents)-dirEntrySize+26], stamp[22:26])
	}
	n := len(ents) / dirEntrySize
	i := f.findRun(d, n, prefer)
	for i < 0 {
		if err := f.grow(d); err != nil {
			return 0, err
		}
		i = f.findRun(d, n, prefer)
	}
	copy(d.data[i*dirEntrySize:], ents)
	return (i + n - 1) * dirEntrySize / f.g.sectorSize, nil
}

// unlink marks e's slots deleted in d's image.
func unlink(d *dir, e entry) {
	for i := e.first; i <= e.slot; i++ {
		d.data[i*dirEntrySize] = deleted
	}
}

func (f *FS) mkdir(parent *dir, name string) (entry, error) {
	if err := validName(name); err != nil {
		return entry{}, err
	}
	c, err := f.alloc(1)
	if err != nil {
		return entry{}, err
	}
	buf := make([]byte, f.g.clusterBytes())
	dotdot := parent.cluster
	if dotdot == f.rootClus {
		dotdot = 0 // '..' of a top-level directory names the root as 0
	}
	for i, dn := range []struct {
		name string
		c    uint32
	}{{".", c[0]}, {"..", dotdot}} {
		e := buf[i*dirEntrySize : (i+1)*dirEntrySize]
		copy(e[:11], fmt.Sprintf("%-11s", dn.name))
		e[11] = attrDir
		setCluster(e, dn.c)
		stampEntry(e)
	}
	if _, err := f.dev.WriteAt(buf, f.clusterOff(c[0])); err != nil {
		return entry{}, fmt.Errorf("write directory %s: %w", name, err)
	}
	if err := f.flushFAT(); err != nil {
		return entry{}, err
	}
	if _, err := f.place(parent, name, attrDir, c[0], 0, -1, nil); err != nil {
		return entry{}, err
	}
	if err := f.writeDir(parent, nil...); err != nil {
		return entry{}, err
	}
	e, _ := find(parent, name)
	return e, nil
}

// MkdirAll creates directory p and its parents.
func (f *FS) MkdirAll(p string) error {
	if err := f.checkWritable(); err != nil {
		return err
	}
	_, err := f.walk(split(p), true)
	return err
}

// WriteFile creates or replaces the file p (parents are created) with
// exactly size bytes from r. The new data goes to free clusters and the
// directory entry is switched in one sector write, so a power cut leaves
// the old or the new file.
func (f *FS) WriteFile(p string, r io.Reader, size int64) error {
	if err := f.checkWritable(); err != nil {
		return err
	}
	parts := split(p)
	if len(parts) == 0 {
		return fmt.Errorf("write %q: not a file path", p)
	}
	if size < 0 || size > 0xFFFFFFFF {
		return fmt.Errorf("write %s: size %d: want 0..4 GiB-1 (FAT limit)", p, size)
	}
	name := parts[len(parts)-1]
	if err := validName(name); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	d, err := f.walk(parts[:len(parts)-1], true)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	old, exists := find(d, name)
	if exists && old.isDir() {
		return fmt.Errorf("write %s: is a directory", p)
	}
	cb := int64(f.g.clusterBytes())
	chain, err := f.alloc(int((size + cb - 1) / cb))
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.writeData(chain, r, size); err != nil {
		f.freeChain(chain) // never flushed: the FAT on disk is unchanged
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := syncDev(f.dev); err != nil {
		return err
	}
	if err := f.flushFAT(); err != nil {
		return err
	}
	first := uint32(0)
	if len(chain) > 0 {
		first = chain[0]
	}
	var oldChain []uint32
	if exists {
		if oldChain, err = f.chain(old.cluster); err != nil {
			return fmt.Errorf("write %s: old file: %w", p, err)
		}
		e := d.data[old.slot*dirEntrySize : (old.slot+1)*dirEntrySize]
		setCluster(e, first)
		binary.LittleEndian.PutUint32(e[28:], uint32(size))
		stampEntry(e)
		e[11] |= attrArchive
	} else if _, err := f.place(d, name, attrArchive, first, uint32(size), -1, nil); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.writeDir(d); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if len(oldChain) > 0 {
		f.freeChain(oldChain)
		if err := f.flushFAT(); err != nil {
			return err
		}
	}
	return syncDev(f.dev)
}

// writeData streams size bytes of r into chain, one write per contiguous
// run of up to 4 MiB.
func (f *FS) writeData(chain []uint32, r io.Reader, size int64) error {
	cb := int64(f.g.clusterBytes())
	maxRun := int((4 << 20) / cb)
	buf := make([]byte, min(size, int64(maxRun)*cb))
	left := size
	for i := 0; i < len(chain); {
		j := i + 1
		for j < len(chain) && j-i < maxRun && chain[j] == chain[j-1]+1 {
			j++
		}
		n := min(int64(j-i)*cb, left)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return fmt.Errorf("source shorter than %d bytes: %w", size, err)
		}
		if _, err := f.dev.WriteAt(buf[:n], f.clusterOff(chain[i])); err != nil {
			return fmt.Errorf("write data: %w", err)
		}
		left -= n
		i = j
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		return fmt.Errorf("source longer than %d bytes", size)
	}
	return nil
}

// lookup returns the directory holding p and p's entry.
func (f *FS) lookup(p string) (*dir, entry, error) {
	parts := split(p)
	if len(parts) == 0 {
		return nil, entry{}, fmt.Errorf("%q: the root has no entry", p)
	}
	d, err := f.walk(parts[:len(parts)-1], false)
	if err != nil {
		return nil, entry{}, err
	}
	e, ok := find(d, parts[len(parts)-1])
	if !ok {
		return nil, entry{}, fmt.Errorf("%s: %w", "/"+strings.Join(parts, "/"), fs.ErrNotExist)
	}
	return d, e, nil
}

// ReadFile returns the content of the file p.
func (f *FS) ReadFile(p string) ([]byte, error) {
	_, e, err := f.lookup(p)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return nil, fmt.Errorf("read %s: is a directory", p)
	}
	chain, err := f.chain(e.cluster)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(e.size) > int64(len(chain))*int64(f.g.clusterBytes()) {
		return nil, fmt.Errorf("read %s: size %d exceeds its %d clusters", p, e.size, len(chain))
	}
	data, err := f.readChain(chain)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data[:e.size], nil
}

// Stat describes p.
func (f *FS) Stat(p string) (FileInfo, error) {
	if len(split(p)) == 0 {
		return FileInfo{Name: "/", Dir: true}, nil
	}
	_, e, err := f.lookup(p)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: e.name, Size: int64(e.size), Dir: e.isDir()}, nil
}

// List returns the names in directory p, sorted.
func (f *FS) List(p string) ([]string, error) {
	d, err := f.walk(split(p), false)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range parseDir(d.data) {
		names = append(names, e.name)
	}
	sort.Strings(names)
	return names, nil
}

// Rename renames the file or directory oldPath to newPath; newPath must
// not exist (a change of case only is allowed). Directories can only be
// renamed within their parent.
//
// Power cut: within one directory the new entries are placed in the same
// directory sector as the old ones whenever they fit (always for the few
// boot-counting entries of /loader/entries), and the whole change is one
// sector write, which disks perform atomically: the entry has the old or
// the new name. Otherwise the new name is written first and the old one
// deleted after, so a cut can leave both names on the same data (fsck
// reports a cross-link), never neither.
func (f *FS) Rename(oldPath, newPath string) error {
	if err := f.checkWritable(); err != nil {
		return err
	}
	od, oe, err := f.lookup(oldPath)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	np := split(newPath)
	if len(np) == 0 {
		return fmt.Errorf("rename to %q: not a file path", newPath)
	}
	nd, err := f.walk(np[:len(np)-1], false)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	name := np[len(np)-1]
	same := nd.cluster == od.cluster
	if same {
		nd = od
	}
	if ne, ok := find(nd, name); ok && !(same && ne.slot == oe.slot) {
		return fmt.Errorf("rename %s to %s: %w", oldPath, newPath, fs.ErrExist)
	}
	if oe.isDir() && !same {
		return fmt.Errorf("rename %s to %s: moving a directory to another directory is not supported", oldPath, newPath)
	}
	stamp := append([]byte(nil), od.data[oe.slot*dirEntrySize:(oe.slot+1)*dirEntrySize]...)
	if same {
		unlink(od, oe)
		sec, err := f.place(od, name, oe.attr, oe.cluster, oe.size, oe.slot*dirEntrySize/f.g.sectorSize, stamp)
		if err != nil {
			return fmt.Errorf("rename %s: %w", oldPath, err)
		}
		return f.writeDir(od, sec)
	}
	if _, err := f.place(nd, name, oe.attr, oe.cluster, oe.size, -1, stamp); err != nil {
		return fmt.Errorf("rename %s: %w", oldPath, err)
	}
	if err := f.writeDir(nd); err != nil {
		return err
	}
	unlink(od, oe)
	return f.writeDir(od)
}

// Remove deletes the file or empty directory p.
func (f *FS) Remove(p string) error {
	if err := f.checkWritable(); err != nil {
		return err
	}
	d, e, err := f.lookup(p)
	if err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	chain, err := f.chain(e.cluster)
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	if e.isDir() {
		sub, err := f.readDir(e.cluster)
		if err != nil {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		if len(parseDir(sub.data)) > 0 {
			return fmt.Errorf("remove %s: directory not empty", p)
		}
	}
	unlink(d, e)
	if err := f.writeDir(d); err != nil {
		return err
	}
	f.freeChain(chain)
	return f.flushFAT()
}
