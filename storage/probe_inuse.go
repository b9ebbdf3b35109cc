package storage

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mount is one line of /proc/self/mountinfo.
type mount struct {
	Point  string
	FSType string
	Source string
}

// readMountinfo parses mountinfo; a missing file gives no mounts.
func readMountinfo(path string) []mount {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+3 {
			continue
		}
		out = append(out, mount{Point: unescapeMount(fields[4]), FSType: fields[sep+1], Source: unescapeMount(fields[sep+2])})
	}
	return out
}

// unescapeMount undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readSwaps returns the device names (base names) of active swap areas.
func readSwaps(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for i, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) == 0 {
			continue // header
		}
		out = append(out, filepath.Base(unescapeMount(f[0])))
	}
	return out
}

// markInUse records why d is busy: mounted (itself or a partition), swap,
// or held by another device (dm, md).
func markInUse(d *Disk, mounts []mount, swaps []string) {
	var why []string
	// points lists where dev is mounted (bind mounts repeat a source)
	points := func(dev string) []string {
		var ps []string
		for _, m := range mounts {
			if strings.HasPrefix(m.Source, "/dev/") && filepath.Base(m.Source) == dev {
				ps = append(ps, m.Point)
			}
		}
		return ps
	}
	if ps := points(d.Name); len(ps) > 0 {
		why = append(why, "mounted at "+strings.Join(ps, ", "))
	}
	for _, s := range swaps {
		if s == d.Name {
			why = append(why, "active swap")
		}
	}
	for i := range d.Partitions {
		p := &d.Partitions[i]
		if p.Name == "" {
			continue
		}
		if ps := points(p.Name); len(ps) > 0 {
			p.Mounted = ps[0]
			why = append(why, p.Name+" mounted at "+strings.Join(ps, ", "))
		}
		for _, s := range swaps {
			if s == p.Name {
				p.Mounted = "[SWAP]"
				why = append(why, p.Name+" is active swap")
			}
		}
	}
	for _, h := range d.Holders {
		why = append(why, "held by "+h)
	}
	d.InUse = strings.Join(why, "; ")
}

// liveMountPoints are where the common live systems mount their media
// (dracut dmsquash-live, live-boot, casper/debian-installer, archiso).
var liveMountPoints = []string{"/run/initramfs/live", "/run/initramfs/isoscan", "/run/live/medium", "/cdrom", "/run/archiso/bootmnt"}

// markBootMedia flags the disks that hold the running live media: the
// devices behind the live mount points and every iso9660 mount, the
// device of root=live:... and node.media=..., followed through loop
// devices to the disk holding their backing file.
func markBootMedia(disks []Disk, mounts []mount, cmdline string) {
	owner := map[string]int{} // device name (disk or partition) -> disk index
	for i, d := range disks {
		owner[d.Name] = i
		for _, p := range d.Partitions {
			if p.Name != "" {
				owner[p.Name] = i
			}
		}
	}
	var mark func(dev string, depth int)
	mark = func(dev string, depth int) {
		i, ok := owner[filepath.Base(dev)]
		if !ok || depth > 4 {
			return
		}
		disks[i].BootMedia = true
		if bf := disks[i].BackingFile; bf != "" {
			if m, ok := mountOf(mounts, bf); ok {
				mark(m.Source, depth+1)
			}
		}
	}
	var media []string // mount points of the media, to find loop devices backed by it
	for _, m := range mounts {
		live := m.FSType == "iso9660"
		for _, p := range liveMountPoints {
			live = live || m.Point == p
		}
		if live {
			mark(m.Source, 0)
			media = append(media, m.Point)
		}
	}
	for _, arg := range strings.Fields(cmdline) {
		var v string
		switch {
		case strings.HasPrefix(arg, "root=live:"):
			v = strings.TrimPrefix(arg, "root=live:")
		case strings.HasPrefix(arg, "node.media="):
			v = strings.TrimPrefix(arg, "node.media=")
		default:
			continue
		}
		switch {
		case strings.HasPrefix(v, "/dev/"):
			mark(v, 0)
		case strings.HasPrefix(v, "CDLABEL=") || strings.HasPrefix(v, "LABEL="):
			label := v[strings.IndexByte(v, '=')+1:]
			for i, d := range disks {
				for _, p := range d.Partitions {
					if p.Label == label {
						disks[i].BootMedia = true
					}
				}
				if d.Signature != "" && d.Label == label {
					disks[i].BootMedia = true
				}
			}
		case strings.HasPrefix(v, "/"):
			if m, ok := mountOf(mounts, v); ok {
				mark(m.Source, 0)
			}
		}
	}
	// The live root is usually a squashfs on a loop device backed by a file
	// of the media: such a loop device is part of the media too.
	for i, d := range disks {
		for _, p := range media {
			if d.BackingFile != "" && strings.HasPrefix(d.BackingFile, p+"/") {
				disks[i].BootMedia = true
			}
		}
	}
}

// mountOf is the mount holding path (longest mount point prefix).
func mountOf(mounts []mount, path string) (mount, bool) {
	var best mount
	found := false
	for _, m := range mounts {
		if path == m.Point || strings.HasPrefix(path, strings.TrimSuffix(m.Point, "/")+"/") {
			if !found || len(m.Point) > len(best.Point) {
				best, found = m, true
			}
		}
	}
	return best, found
}

// SortDisks puts disks in the stable order used for "the first eligible
// disk": names alphabetically, numbers by value, and disk letters as the
// kernel assigns them (sda, sdb, ..., sdz, sdaa; nvme2n1 before nvme10n1).
func SortDisks(disks []Disk) {
	sort.SliceStable(disks, func(i, j int) bool { return nameLess(disks[i].Name, disks[j].Name) })
}

// nameLess compares names run by run: digit runs numerically, letter
// runs alphabetically except that sd/vd/hd/xvd suffixes go shorter first.
func nameLess(a, b string) bool {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		a, b = a[len(ra):], b[len(rb):]
		if ra == rb {
			continue
		}
		da, db := isDigit(ra[0]), isDigit(rb[0])
		if da && db {
			na, _ := strconv.ParseUint(ra, 10, 64)
			nb, _ := strconv.ParseUint(rb, 10, 64)
			if na != nb {
				return na < nb
			}
			return ra < rb
		}
		if da != db {
			return da
		}
		// sdz before sdaa: after a shared disk prefix, shorter suffixes first
		for _, p := range []string{"xvd", "sd", "vd", "hd"} {
			if strings.HasPrefix(ra, p) && strings.HasPrefix(rb, p) && len(ra) != len(rb) {
				return len(ra) < len(rb)
			}
		}
		return ra < rb
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// run is the leading run of digits or of non-digits of s.
func run(s string) string {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i]
}

// loopBacking names the loop devices backed by the image file at path:
// writing the file under them would change a disk the kernel serves.
func loopBacking(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	var st unix.Stat_t
	if unix.Stat(abs, &st) != nil {
		return ""
	}
	matches, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	var why []string
	for _, m := range matches {
		b := strings.TrimSpace(readTrim(m))
		b = strings.TrimSuffix(b, " (deleted)")
		var bst unix.Stat_t
		if b == abs || (unix.Stat(b, &bst) == nil && bst.Ino == st.Ino && bst.Dev == st.Dev) {
			why = append(why, "attached to /dev/"+filepath.Base(filepath.Dir(filepath.Dir(m))))
		}
	}
	return strings.Join(why, "; ")
}
