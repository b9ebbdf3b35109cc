// Package sparse copies ranges of sparse files by their data extents
// (SEEK_DATA/SEEK_HOLE), so that a 64 GiB image that holds 100 MiB costs
// 100 MiB to copy. Tests use it to check partitions of big image files.
package sparse

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// CopyRange writes [off, off+size) of src into a new sparse file dst of
// size bytes, copying only the data extents.
func CopyRange(dst, src string, off, size int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := out.Truncate(size); err != nil {
		out.Close()
		return err
	}
	if err := copyExtents(out, in, off, off+size); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyExtents copies the data extents of in within [off, end) to out at
// their offset less off.
func copyExtents(out, in *os.File, off, end int64) error {
	buf := make([]byte, 1<<20)
	for pos := off; pos < end; {
		d, err := unix.Seek(int(in.Fd()), pos, unix.SEEK_DATA)
		if err != nil || d >= end {
			return nil // ENXIO: only a hole is left
		}
		h, err := unix.Seek(int(in.Fd()), d, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("seek hole in %s: %w", in.Name(), err)
		}
		h = min(h, end)
		for p := d; p < h; {
			n, err := in.ReadAt(buf[:min(int64(len(buf)), h-p)], p)
			if n > 0 {
				if _, werr := out.WriteAt(buf[:n], p-off); werr != nil {
					return werr
				}
			}
			p += int64(n)
			if err == io.EOF {
				break
			} else if err != nil {
				return err
			}
		}
		pos = h
	}
	return nil
}
