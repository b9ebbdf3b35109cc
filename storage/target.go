package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Target is a disk (block device or image file) opened for writing. It
// holds flock(LOCK_EX) on the disk for its whole life, so udev and other
// tools that follow the block device locking convention leave it alone,
// and on block devices an O_EXCL claim, which the kernel refuses while
// any partition is mounted, is active swap or is held by dm/md, and which
// keeps them from being set up while we write.
type Target struct {
	Path       string
	Size       int64 // bytes
	SectorSize int   // logical sector size; 0 for image files (the plan decides)
	Block      bool  // a block device, not an image file

	f     *os.File // O_RDWR; carries the flock
	claim *os.File // O_EXCL claim (block devices)
	rdev  uint64
}

// ErrBusy means a disk is in use: mounted, active swap, held by another
// device, or locked by another process.
var ErrBusy = errors.New("disk is in use")

// lockWait is how long OpenDisk retries a lock held by someone else (udev
// holds a shared lock for a moment while it probes).
var lockWait = 5 * time.Second

// OpenDisk opens path (a block device or a regular image file) for
// writing: exclusive open and flock(LOCK_EX), both kept until Close.
func OpenDisk(path string) (*Target, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open disk: %w", err)
	}
	t := &Target{Path: path}
	switch {
	case st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0:
		t.Block = true
	case st.Mode().IsRegular():
		t.Size = st.Size()
	default:
		return nil, fmt.Errorf("open disk %s: not a block device or regular file", path)
	}
	t.f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open disk: %w", err)
	}
	if err := LockFile(t.f, lockWait); err != nil {
		t.f.Close()
		return nil, fmt.Errorf("lock disk %s: %w", path, err)
	}
	if t.Block {
		if err := t.takeClaim(); err != nil {
			t.f.Close()
			return nil, err
		}
		var sst unix.Stat_t
		if err := unix.Fstat(int(t.f.Fd()), &sst); err == nil {
			t.rdev = sst.Rdev
		}
		size, err := blkGetSize64(t.f)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("size of %s (BLKGETSIZE64): %w", path, err)
		}
		ss, err := unix.IoctlGetInt(int(t.f.Fd()), unix.BLKSSZGET)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("sector size of %s (BLKSSZGET): %w", path, err)
		}
		t.Size, t.SectorSize = int64(size), ss
	}
	return t, nil
}

// LockFile takes flock(LOCK_EX) on f, retrying for up to wait: a process
// that just ended (or a tool that probes the disk) may hold it briefly.
func LockFile(f *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("locked by another process for %v: %w", wait, ErrBusy)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (t *Target) takeClaim() error {
	c, err := os.OpenFile(t.Path, os.O_RDONLY|unix.O_EXCL, 0)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("open %s exclusively: mounted, active swap or held by another device: %w", t.Path, ErrBusy)
		}
		return fmt.Errorf("open %s exclusively: %w", t.Path, err)
	}
	t.claim = c
	return nil
}

// withoutClaim runs fn with the O_EXCL claim released and the flock still
// held: mke2fs opens its device with O_EXCL itself and would get EBUSY.
func (t *Target) withoutClaim(fn func() error) error {
	if t.claim == nil {
		return fn()
	}
	t.claim.Close()
	t.claim = nil
	ferr := fn()
	if err := t.takeClaim(); err != nil && ferr == nil {
		return err
	}
	return ferr
}

// File is the open disk; writes through it are positioned (WriteAt).
func (t *Target) File() *os.File { return t.f }

// ReadAt reads from the disk.
func (t *Target) ReadAt(b []byte, off int64) (int, error) { return t.f.ReadAt(b, off) }

// WriteAt writes to the disk, refusing to write past its end.
func (t *Target) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > t.Size {
		return 0, fmt.Errorf("write %d bytes at %d: outside %s (%d bytes)", len(b), off, t.Path, t.Size)
	}
	return t.f.WriteAt(b, off)
}

// Sync flushes the disk's writes to stable storage.
func (t *Target) Sync() error { return t.f.Sync() }

// Close syncs and releases the claim, the lock and the file.
func (t *Target) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Sync()
	if t.claim != nil {
		t.claim.Close()
		t.claim = nil
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr // closing drops the flock
	}
	t.f = nil
	return err
}

// Section is a byte range of the disk.
type Section struct {
	Offset, Size int64
}

// Partition returns the byte range of partition n of the GPT on the disk.
func (t *Target) Partition(n int) (Section, error) {
	tab := readPartTable(t.f, t.Size, t.SectorSize)
	for _, p := range tab.Parts {
		if p.Number == n {
			return Section{p.Start, p.Size}, nil
		}
	}
	return Section{}, fmt.Errorf("%s: no partition %d in the partition table", t.Path, n)
}

// PartitionByName returns the number and byte range of the GPT partition
// named name (RootA, Config...).
func (t *Target) PartitionByName(name string) (int, Section, error) {
	tab := readPartTable(t.f, t.Size, t.SectorSize)
	for _, p := range tab.Parts {
		if p.Name == name {
			return p.Number, Section{p.Start, p.Size}, nil
		}
	}
	return 0, Section{}, fmt.Errorf("%s: no partition named %q", t.Path, name)
}

// PartitionWriter returns a writer confined to partition n.
func (t *Target) PartitionWriter(n int) (*PartitionWriter, error) {
	s, err := t.Partition(n)
	if err != nil {
		return nil, err
	}
	return &PartitionWriter{t: t, Section: s}, nil
}

// SlotWriter returns a writer confined to the root slot partition of
// slot ("A" or "B"), i.e. the GPT partition named Root<slot>, for
// streaming a root image into it.
func (t *Target) SlotWriter(slot string) (*PartitionWriter, error) {
	_, s, err := t.PartitionByName("Root" + slot)
	if err != nil {
		return nil, err
	}
	return &PartitionWriter{t: t, Section: s}, nil
}

// PartitionWriter writes inside one partition: io.Writer from its start,
// io.WriterAt and io.ReaderAt relative to it. Writes past its end fail.
type PartitionWriter struct {
	Section
	t   *Target
	pos int64
}

// Write writes b at the current position.
func (w *PartitionWriter) Write(b []byte) (int, error) {
	n, err := w.WriteAt(b, w.pos)
	w.pos += int64(n)
	return n, err
}

// WriteAt writes b at off bytes into the partition.
func (w *PartitionWriter) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > w.Size {
		return 0, fmt.Errorf("write %d bytes at %d: beyond the partition's %d bytes", len(b), off, w.Size)
	}
	return w.t.f.WriteAt(b, w.Offset+off)
}

// ReadAt reads at off bytes into the partition.
func (w *PartitionWriter) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= w.Size {
		return 0, io.EOF
	}
	if rest := w.Size - off; int64(len(b)) > rest {
		n, err := w.t.f.ReadAt(b[:rest], w.Offset+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return w.t.f.ReadAt(b, w.Offset+off)
}

// Sync flushes the disk.
func (w *PartitionWriter) Sync() error { return w.t.Sync() }

// blkGetSize64 is the BLKGETSIZE64 ioctl: the device size in bytes.
func blkGetSize64(f *os.File) (uint64, error) {
	var size uint64
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&size)))
	if errno != 0 {
		return 0, errno
	}
	return size, nil
}
