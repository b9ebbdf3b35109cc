package vm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// GiB is 2^30 bytes.
const GiB = int64(1) << 30

// CreateSparse creates (or truncates) a sparse disk image of size bytes:
// it costs only what the guest writes.
func CreateSparse(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("sparse disk %s: %w", path, err)
	}
	return f.Close()
}

// Digest is a SHA-256 over a disk image's size and its data extents
// (offset, length, bytes) found with SEEK_DATA/SEEK_HOLE, so a mostly
// empty 20 GiB image hashes in milliseconds. Any write to the image
// changes it: new data, and also zeros written into a hole (the extent map
// changes), which is stricter than comparing bytes and just as wanted for
// "this disk was not touched".
func Digest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	h := sha256.New()
	var hdr [16]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(size))
	h.Write(hdr[:8])
	fd := int(f.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole up to the end
		}
		if err != nil { // no SEEK_DATA on this filesystem: hash it all as one extent
			binary.LittleEndian.PutUint64(hdr[:8], 0)
			binary.LittleEndian.PutUint64(hdr[8:], uint64(size))
			h.Write(hdr[:])
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
				return "", fmt.Errorf("digest %s: %w", path, err)
			}
			break
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return "", fmt.Errorf("digest %s: SEEK_HOLE: %w", path, err)
		}
		binary.LittleEndian.PutUint64(hdr[:8], uint64(data))
		binary.LittleEndian.PutUint64(hdr[8:], uint64(hole-data))
		h.Write(hdr[:])
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			return "", fmt.Errorf("digest %s: %w", path, err)
		}
		off = hole
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FillPattern writes n bytes of a deterministic pattern (seeded by seed)
// at each offset, so a disk holds recognisable data.
func FillPattern(path string, seed byte, n int64, offsets ...int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, n)
	x := uint32(seed) + 1
	for i := range buf {
		x = x*1664525 + 1013904223
		buf[i] = byte(x >> 24)
	}
	for _, off := range offsets {
		if _, err := f.WriteAt(buf, off); err != nil {
			return fmt.Errorf("fill %s at %d: %w", path, off, err)
		}
	}
	return f.Sync()
}
