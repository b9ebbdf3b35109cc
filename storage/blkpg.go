package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelPart is a partition as the kernel sees it (sysfs), in bytes.
type kernelPart struct {
	Name   string // "loop0p1", "sda1"
	Number int
	Start  int64
	Size   int64
	Dev    string // "259:1"
}

// sysfsName is the kernel name of the block device t (from its device
// number, so /dev/disk/by-id links and odd node names work).
func (t *Target) sysfsName() (string, error) {
	if t.rdev == 0 {
		return "", fmt.Errorf("%s: not a block device", t.Path)
	}
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(t.rdev), unix.Minor(t.rdev)))
	if err != nil {
		return "", fmt.Errorf("sysfs entry of %s: %w", t.Path, err)
	}
	return filepath.Base(link), nil
}

// kernelParts lists the partitions the kernel has for disk name.
func kernelParts(sysBlock, name string) []kernelPart {
	dir := filepath.Join(sysBlock, name)
	ents, _ := os.ReadDir(dir)
	var out []kernelPart
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		n, err := strconv.Atoi(readTrim(filepath.Join(p, "partition")))
		if err != nil {
			continue
		}
		// sysfs start and size are in 512-byte units whatever the sector size.
		start, _ := strconv.ParseInt(readTrim(filepath.Join(p, "start")), 10, 64)
		size, _ := strconv.ParseInt(readTrim(filepath.Join(p, "size")), 10, 64)
		out = append(out, kernelPart{Name: e.Name(), Number: n, Start: start * 512, Size: size * 512, Dev: readTrim(filepath.Join(p, "dev"))})
	}
	return out
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

// kernelMatches reports whether the kernel's partitions are exactly want.
func kernelMatches(have []kernelPart, want []Section, nums []int) bool {
	if len(have) != len(want) {
		return false
	}
	for i, w := range want {
		found := false
		for _, h := range have {
			if h.Number == nums[i] && h.Start == w.Offset && h.Size == w.Size {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// syncKernel makes the kernel see the partitions nums/secs of the block
// device t and makes sure their /dev nodes exist. It asks for a re-read
// first (BLKRRPART); kernels without a partition parser for the table
// (like the build host's) accept that and create nothing, so the result is
// checked in sysfs and, if it differs, the partitions are set one by one
// with BLKPG, as partx does. Returns the kernel's partitions.
func (t *Target) syncKernel(nums []int, secs []Section) ([]kernelPart, string, error) {
	name, err := t.sysfsName()
	if err != nil {
		return nil, "", err
	}
	how := "BLKRRPART"
	if err := t.rereadTable(); err != nil {
		how = "BLKRRPART failed (" + err.Error() + ")"
	}
	have := kernelParts("/sys/block", name)
	if !kernelMatches(have, secs, nums) {
		how += ", then BLKPG"
		for _, h := range have {
			if err := blkpg(t.f, unix.BLKPG_DEL_PARTITION, h.Number, 0, 0); err != nil {
				return nil, how, fmt.Errorf("remove kernel partition %s (BLKPG): %w", h.Name, err)
			}
		}
		for i, s := range secs {
			if err := blkpg(t.f, unix.BLKPG_ADD_PARTITION, nums[i], s.Offset, s.Size); err != nil {
				return nil, how, fmt.Errorf("add kernel partition %d of %s (BLKPG): %w", nums[i], t.Path, err)
			}
		}
		have = kernelParts("/sys/block", name)
		if !kernelMatches(have, secs, nums) {
			return nil, how, fmt.Errorf("%s: kernel partitions %v after BLKPG do not match the table", t.Path, have)
		}
	}
	for _, h := range have {
		if err := ensureNode(h); err != nil {
			return nil, how, err
		}
	}
	return have, how, nil
}

// blkpg adds or deletes one kernel partition.
func blkpg(f *os.File, op, pno int, start, length int64) error {
	p := unix.BlkpgPartition{Start: start, Length: length, Pno: int32(pno)}
	a := unix.BlkpgIoctlArg{Op: int32(op), Datalen: int32(unsafe.Sizeof(p)), Data: (*byte)(unsafe.Pointer(&p))}
	for range 50 {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKPG, uintptr(unsafe.Pointer(&a)))
		if errno == 0 {
			return nil
		}
		// EBUSY: udev or blkid briefly has the partition open.
		if errno != unix.EBUSY {
			return errno
		}
		time.Sleep(20 * time.Millisecond)
	}
	return unix.EBUSY
}

// nodeWait is how long ensureNode waits for udev/devtmpfs to make a node.
const nodeWait = 2 * time.Second

// ensureNode waits for /dev/<name> and creates it from the sysfs device
// number when nothing else does (no udev and no devtmpfs).
func ensureNode(k kernelPart) error {
	p := "/dev/" + k.Name
	maj, min, ok := strings.Cut(k.Dev, ":")
	if !ok {
		return fmt.Errorf("partition %s: no device number in sysfs", k.Name)
	}
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("partition %s: bad device number %q", k.Name, k.Dev)
	}
	want := unix.Mkdev(uint32(ma), uint32(mi))
	deadline := time.Now().Add(nodeWait)
	for {
		var st unix.Stat_t
		err := unix.Stat(p, &st)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK && st.Rdev == want {
			return nil
		}
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Missing, or a stale node with another device number.
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace stale %s: %w", p, err)
	}
	if err := unix.Mknod(p, unix.S_IFBLK|0o660, int(want)); err != nil {
		return fmt.Errorf("create %s (%s): %w", p, k.Dev, err)
	}
	return nil
}

// dropKernelParts removes every kernel partition of block device t (after
// a wipe), so no stale partition device points into wiped space.
func (t *Target) dropKernelParts() error {
	name, err := t.sysfsName()
	if err != nil {
		return err
	}
	_ = t.rereadTable()
	for _, h := range kernelParts("/sys/block", name) {
		if err := blkpg(t.f, unix.BLKPG_DEL_PARTITION, h.Number, 0, 0); err != nil {
			return fmt.Errorf("remove kernel partition %s (BLKPG): %w", h.Name, err)
		}
	}
	return nil
}

// rereadTable asks the kernel to re-read the partition table. It goes
// through the O_EXCL descriptor: from any other one the kernel refuses
// with EBUSY while an exclusive claim (ours) exists.
func (t *Target) rereadTable() error {
	f := t.f
	if t.claim != nil {
		f = t.claim
	}
	return unix.IoctlSetInt(int(f.Fd()), unix.BLKRRPART, 0)
}
