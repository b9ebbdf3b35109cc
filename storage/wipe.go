package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"node-installer/internal/event"
)

// Refusal reasons of Wipe (check with errors.Is; ErrBusy is shared with OpenDisk).
var (
	ErrNotChosen = errors.New("disk was not chosen for wiping")
	ErrBootMedia = errors.New("disk holds the running live media")
)

// WipeOptions says which disks may be wiped and how.
type WipeOptions struct {
	// Chosen are the paths of the disks explicitly chosen (storage_init,
	// the TUI's confirmation); any other disk is refused.
	Chosen []string
	// DryRun finds and reports the signatures without writing.
	DryRun bool
	Sink   event.Sink
}

// WipeReport says what a wipe found and removed.
type WipeReport struct {
	Disk       string         `json:"disk"`
	DryRun     bool           `json:"dry_run,omitempty"`
	Signatures []SignatureHit `json:"signatures"` // found, and removed unless DryRun
}

// Text renders the report for people.
func (r WipeReport) Text() string {
	var b strings.Builder
	verb := "removed"
	if r.DryRun {
		verb = "found (dry run, nothing written)"
	}
	fmt.Fprintf(&b, "%s: %d signatures %s\n", r.Disk, len(r.Signatures), verb)
	for _, h := range r.Signatures {
		fmt.Fprintf(&b, "  %-12s %-18s at %d (%d bytes) %s\n", h.Where, h.Kind, h.Offset, h.Length, h.Note)
	}
	return b.String()
}

// Wipe removes the partition tables (primary and backup GPT, MBR) and
// every known signature of the disk and of each of its partitions. It
// refuses, writing nothing, a disk not in opts.Chosen, the live boot
// media, and a disk in use (mounted, active swap, held by dm/md, opened
// exclusively by someone else).
func Wipe(ctx context.Context, disk Disk, opts WipeOptions) (WipeReport, error) {
	rep := WipeReport{Disk: disk.Path, DryRun: opts.DryRun}
	sink := opts.Sink
	if sink == nil {
		sink = event.Discard{}
	}
	if err := checkWipe(disk, opts); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	var t *Target
	var err error
	if opts.DryRun {
		t, err = openReadOnly(disk.Path)
	} else {
		t, err = OpenDisk(disk.Path)
	}
	if err != nil {
		return rep, fmt.Errorf("wipe %s: %w", disk.Path, err)
	}
	defer t.Close()
	step := "wipe " + disk.Path
	sink.Emit(event.Event{Time: time.Now(), Kind: event.StepStarted, Step: step})
	rep.Signatures = scanAll(t, t.Size, t.SectorSize)
	if opts.DryRun {
		sink.Emit(event.Event{Time: time.Now(), Kind: event.StepFinished, Step: step, Message: fmt.Sprintf("%d signatures found", len(rep.Signatures))})
		return rep, nil
	}
	for _, h := range rep.Signatures {
		sink.Emit(event.Event{Time: time.Now(), Kind: event.Log, Step: step,
			Message: fmt.Sprintf("remove %s %s at %d (%d bytes)", h.Where, h.Kind, h.Offset, h.Length)})
	}
	if err := zeroHits(t, rep.Signatures); err != nil {
		return rep, fmt.Errorf("wipe %s: %w", disk.Path, err)
	}
	if err := t.Sync(); err != nil {
		return rep, fmt.Errorf("wipe %s: %w", disk.Path, err)
	}
	if t.Block {
		if err := t.dropKernelParts(); err != nil {
			return rep, fmt.Errorf("wipe %s: %w", disk.Path, err)
		}
	}
	if left := scanAll(t, t.Size, t.SectorSize); len(left) > 0 {
		return rep, fmt.Errorf("wipe %s: %d signatures still there after wiping (first: %s at %d)", disk.Path, len(left), left[0].Kind, left[0].Offset)
	}
	sink.Emit(event.Event{Time: time.Now(), Kind: event.StepFinished, Step: step, Message: fmt.Sprintf("%d signatures removed", len(rep.Signatures))})
	return rep, nil
}

// scanAll lists the signatures of each partition of the table, then of
// the whole disk and its partition table structures, without duplicates.
func scanAll(t *Target, size int64, ss int) []SignatureHit {
	var hits []SignatureHit
	tab := readPartTable(t, size, ss)
	for _, p := range tab.Parts {
		if p.Size <= 0 || p.Start >= size {
			continue
		}
		hits = append(hits, findSignatures(t, p.Start, min(p.Size, size-p.Start), "partition "+strconv.Itoa(p.Number))...)
	}
	hits = append(hits, findSignatures(t, 0, size, "disk")...)
	hits = append(hits, tableSignatures(t, size)...)
	seen := map[[2]int64]bool{}
	out := hits[:0]
	for _, h := range hits {
		k := [2]int64{h.Offset, h.Length}
		if !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return out
}

// openReadOnly opens a disk for a dry run: no lock, no claim.
func openReadOnly(path string) (*Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := &Target{Path: path, f: f}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Mode().IsRegular() {
		t.Size = st.Size()
		return t, nil
	}
	t.Block = true
	size, err := blkGetSize64(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("size of %s: %w", path, err)
	}
	t.Size = int64(size)
	t.SectorSize, _ = unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	return t, nil
}

// checkWipe refuses what must not be wiped; it only reads.
func checkWipe(d Disk, opts WipeOptions) error {
	if d.Path == "" {
		return errors.New("wipe: disk path is empty")
	}
	if !chosen(d.Path, opts.Chosen) {
		return fmt.Errorf("wipe %s: %w (chosen: %s)", d.Path, ErrNotChosen, strings.Join(opts.Chosen, ", "))
	}
	if d.BootMedia {
		return fmt.Errorf("wipe %s: %w", d.Path, ErrBootMedia)
	}
	if d.InUse != "" {
		return fmt.Errorf("wipe %s: %s: %w", d.Path, d.InUse, ErrBusy)
	}
	if why := busyReason(d.Path, "/proc/self/mountinfo", "/proc/swaps"); why != "" {
		return fmt.Errorf("wipe %s: %s: %w", d.Path, why, ErrBusy)
	}
	return nil
}

func chosen(path string, set []string) bool {
	real := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		a, _ := filepath.Abs(p)
		return filepath.Clean(a)
	}
	want := real(path)
	for _, c := range set {
		if real(c) == want {
			return true
		}
	}
	return false
}

// busyReason tells why the disk at path is in use right now, "" if it is
// free. Block devices: a mount or active swap on it or a partition, a
// holder (dm, md) in sysfs, or a refused O_EXCL open. Image files: a loop
// device backed by it.
func busyReason(path, mountinfo, swaps string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ""
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		return loopBacking(path)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return ""
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	devs := map[string]string{fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev)): filepath.Base(path)}
	name := filepath.Base(path)
	if l, err := os.Readlink(sys); err == nil {
		name = filepath.Base(l)
	}
	var why []string
	for _, k := range kernelParts("/sys/block", name) {
		devs[k.Dev] = k.Name
		if hs, _ := os.ReadDir(filepath.Join("/sys/block", name, k.Name, "holders")); len(hs) > 0 {
			why = append(why, fmt.Sprintf("%s is held by %s", k.Name, hs[0].Name()))
		}
	}
	if hs, _ := os.ReadDir(filepath.Join(sys, "holders")); len(hs) > 0 {
		why = append(why, "held by "+hs[0].Name())
	}
	for _, m := range mountsByDev(mountinfo) {
		if n, ok := devs[m[0]]; ok {
			why = append(why, fmt.Sprintf("%s is mounted at %s", n, m[1]))
		}
	}
	for _, s := range swapDevs(swaps) {
		if n, ok := devs[s]; ok {
			why = append(why, n+" is active swap")
		}
	}
	if len(why) == 0 {
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_EXCL, 0)
		if errors.Is(err, unix.EBUSY) {
			why = append(why, "opened exclusively by another program")
		}
		if f != nil {
			f.Close()
		}
	}
	return strings.Join(why, "; ")
}

// mountsByDev returns (maj:min, mount point) of every mount.
func mountsByDev(mountinfo string) [][2]string {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return nil
	}
	var out [][2]string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 {
			out = append(out, [2]string{f[2], unescapeMount(f[4])})
		}
	}
	return out
}

// swapDevs returns the maj:min of the active swap devices.
func swapDevs(swaps string) []string {
	b, err := os.ReadFile(swaps)
	if err != nil {
		return nil
	}
	var out []string
	for i, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) == 0 {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(unescapeMount(f[0]), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK {
			out = append(out, fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev)))
		}
	}
	return out
}

// loopBacking names the loop devices backed by the image file at path.
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
