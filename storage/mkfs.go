package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// Runner runs an external program (mkfs.ext4) and returns its combined
// output. Tests and the engine may swap it to log or time the command.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// ExecRunner runs programs with os/exec.
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// ext4Args builds the mkfs.ext4 command line for a filesystem of size
// bytes at offset bytes into diskPath (the whole disk: no partition node
// is needed, which makes image files and block devices alike).
func ext4Args(diskPath string, offset, size int64, label, populateDir string) ([]string, error) {
	if offset < 0 || offset%4096 != 0 {
		return nil, fmt.Errorf("mkfs.ext4: offset %d: want a multiple of 4096", offset)
	}
	if size < 1<<20 || size%4096 != 0 {
		return nil, fmt.Errorf("mkfs.ext4: size %d: want at least 1 MiB and a multiple of 4096", size)
	}
	if len(label) > 16 {
		return nil, fmt.Errorf("mkfs.ext4: label %q longer than 16 bytes", label)
	}
	// nodiscard: with an offset, a discard must not be trusted to stay
	// inside the filesystem; lazy_itable_init zeroes inode tables later.
	args := []string{"-F", "-q", "-t", "ext4", "-b", "4096", "-E", "offset=" + strconv.FormatInt(offset, 10) + ",nodiscard"}
	if label != "" {
		args = append(args, "-L", label)
	}
	if populateDir != "" {
		st, err := os.Stat(populateDir)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("mkfs.ext4: populate directory %q: not a directory", populateDir)
		}
		args = append(args, "-d", populateDir)
	}
	return append(args, diskPath, strconv.FormatInt(size/1024, 10)+"k"), nil
}

// MakeExt4 creates an ext4 filesystem of sizeBytes at offsetBytes of the
// disk or image diskPath, labelled label and, if populateDir is not "",
// filled with its contents (mkfs.ext4 -d, no mount needed).
func MakeExt4(diskPath string, offsetBytes, sizeBytes int64, label, populateDir string) error {
	return makeExt4(context.Background(), ExecRunner, diskPath, offsetBytes, sizeBytes, label, populateDir)
}

func makeExt4(ctx context.Context, run Runner, diskPath string, offset, size int64, label, populateDir string) error {
	args, err := ext4Args(diskPath, offset, size, label, populateDir)
	if err != nil {
		return err
	}
	if out, err := run(ctx, "mkfs.ext4", args...); err != nil {
		return fmt.Errorf("mkfs.ext4 %s at offset %d: %w: %s", diskPath, offset, err, bytes.TrimSpace(out))
	}
	return nil
}

// swapPage is the page size the swap header is written for. Linux reads
// the header with its own page size; x86-64 and most arm64 kernels use 4 KiB.
var swapPage = int64(os.Getpagesize())

// swapHeader builds the first page of a Linux swap area (what mkswap
// writes): version 1, last page, no bad pages, UUID, label, and the
// SWAPSPACE2 magic at the end of the page.
func swapHeader(size int64, label string) ([]byte, error) {
	pages := size / swapPage
	if pages < 10 {
		return nil, fmt.Errorf("swap: %d bytes is less than 10 pages", size)
	}
	if pages-1 > 0xFFFFFFFF {
		return nil, fmt.Errorf("swap: %d bytes is too large for a swap header", size)
	}
	if len(label) > 16 {
		return nil, fmt.Errorf("swap: label %q longer than 16 bytes", label)
	}
	b := make([]byte, swapPage)
	le := binary.LittleEndian
	le.PutUint32(b[1024:], 1)
	le.PutUint32(b[1028:], uint32(pages-1))
	uuid := b[1036:1052]
	if _, err := rand.Read(uuid); err != nil {
		return nil, fmt.Errorf("swap uuid: %w", err)
	}
	uuid[6] = uuid[6]&0x0f | 0x40 // version 4
	uuid[8] = uuid[8]&0x3f | 0x80 // variant
	copy(b[1052:1068], label)
	copy(b[swapPage-10:], "SWAPSPACE2")
	return b, nil
}

// MakeSwap writes a swap header for a swap area of size bytes at offset
// of dev, labelled label.
func MakeSwap(dev interface {
	WriteAt([]byte, int64) (int, error)
}, offset, size int64, label string) error {
	h, err := swapHeader(size, label)
	if err != nil {
		return err
	}
	if _, err := dev.WriteAt(h, offset); err != nil {
		return fmt.Errorf("write swap header at %d: %w", offset, err)
	}
	return nil
}

// MakeExt4 is MakeExt4 on the open target: the exclusive claim is
// released while mkfs.ext4 runs (it opens the device with O_EXCL itself)
// and the flock stays held.
func (t *Target) MakeExt4(ctx context.Context, offsetBytes, sizeBytes int64, label, populateDir string) error {
	if offsetBytes < 0 || offsetBytes+sizeBytes > t.Size {
		return fmt.Errorf("mkfs.ext4: %d bytes at %d outside %s (%d bytes)", sizeBytes, offsetBytes, t.Path, t.Size)
	}
	return t.withoutClaim(func() error {
		return makeExt4(ctx, ExecRunner, t.Path, offsetBytes, sizeBytes, label, populateDir)
	})
}
