package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Slot streaming: the image is read (and hashed by media.Reader) in one
// goroutine and written in another, through a few large page-aligned
// buffers, so reading, hashing and writing overlap and the device sees
// the same 4 MiB writes as `dd bs=4M oflag=direct`. Memory stays
// streamBuffers x streamChunk whatever the image size.
const (
	streamChunk   = 4 << 20
	streamBuffers = 3
)

// SlotProgress is called after each chunk with the bytes written so far.
type SlotProgress func(written int64)

// WriteSlot streams r (total bytes) into the region [off, off+size) of
// the disk or image file at path, and fsyncs. It uses O_DIRECT on block
// devices when the offset is aligned (falling back to buffered writes
// when the kernel refuses), so the page cache does not fill with the
// image. It fails, after writing nothing, when total exceeds size, and
// returns r's error (a verification error of media.Reader at the end of
// the stream) as is, so a bad image is never reported as written.
func WriteSlot(ctx context.Context, path string, off, size int64, r io.Reader, total int64, progress SlotProgress) (int64, error) {
	if total > size {
		return 0, fmt.Errorf("image of %d bytes does not fit the %d byte slot", total, size)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("open %s for writing: %w", path, err)
	}
	defer f.Close()
	w := &slotWriter{buffered: f, direct: -1}
	defer w.close()
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeDevice != 0 {
		w.openDirect(path, off)
	}

	bufs := make([][]byte, streamBuffers)
	for i := range bufs {
		bufs[i] = alignedBuffer(streamChunk)
	}
	type chunk struct {
		buf []byte
		n   int
		err error // io.EOF after the last chunk
	}
	free := make(chan []byte, streamBuffers)
	full := make(chan chunk, streamBuffers)
	for _, b := range bufs {
		free <- b
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(r, b)
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			select {
			case full <- chunk{b, n, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	var written int64
	for {
		// Cancellation wins over a ready chunk (select picks at random).
		if err := ctx.Err(); err != nil {
			return written, err
		}
		var c chunk
		select {
		case c = <-full:
		case <-ctx.Done():
			return written, ctx.Err()
		}
		if c.err != nil && c.err != io.EOF {
			return written, c.err // read or verification error: stop before the last chunk lands
		}
		if written+int64(c.n) > size {
			return written, fmt.Errorf("image is longer than the %d byte slot", size)
		}
		if c.n > 0 {
			if err := w.writeAt(c.buf[:c.n], off+written); err != nil {
				return written, fmt.Errorf("write %s at offset %d: %w", path, off+written, err)
			}
			written += int64(c.n)
			if progress != nil {
				progress(written)
			}
		}
		if c.err == io.EOF {
			break
		}
		free <- c.buf
	}
	if written != total {
		return written, fmt.Errorf("image ended after %d of %d bytes", written, total)
	}
	if err := w.sync(); err != nil {
		return written, fmt.Errorf("fsync %s: %w", path, err)
	}
	return written, nil
}

// slotWriter writes aligned heads through an O_DIRECT descriptor and the
// unaligned tail (or everything, without O_DIRECT) through the buffered one.
type slotWriter struct {
	buffered *os.File
	direct   int // -1 when not used
	align    int64
}

func (w *slotWriter) openDirect(path string, off int64) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	ss, err := unix.IoctlGetInt(fd, unix.BLKSSZGET)
	if err != nil || ss <= 0 || off%int64(ss) != 0 {
		unix.Close(fd)
		return
	}
	w.direct, w.align = fd, int64(ss)
}

func (w *slotWriter) writeAt(b []byte, off int64) error {
	if w.direct >= 0 {
		head := int64(len(b)) / w.align * w.align
		if head > 0 {
			n, err := pwriteAll(w.direct, b[:head], off)
			if errors.Is(err, unix.EINVAL) && n == 0 {
				w.dropDirect() // the device refuses O_DIRECT after all: go buffered
			} else if err != nil {
				return err
			} else {
				b, off = b[head:], off+head
			}
		}
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.buffered.WriteAt(b, off)
	return err
}

// alignedBuffer returns n bytes starting on a page boundary, as O_DIRECT
// needs. It lives on the Go heap, so a reader goroutine still holding it
// after an early return is safe.
func alignedBuffer(n int) []byte {
	const page = 4096
	b := make([]byte, n+page)
	skip := int(uintptr(page)-uintptr(unsafe.Pointer(&b[0]))%page) % page
	return b[skip : skip+n : skip+n]
}

func pwriteAll(fd int, b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Pwrite(fd, b[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, io.ErrShortWrite
		}
		done += n
	}
	return done, nil
}

func (w *slotWriter) dropDirect() {
	if w.direct >= 0 {
		unix.Close(w.direct)
		w.direct = -1
	}
}

func (w *slotWriter) sync() error {
	if w.direct >= 0 {
		if err := unix.Fsync(w.direct); err != nil {
			return err
		}
	}
	return w.buffered.Sync()
}

func (w *slotWriter) close() { w.dropDirect() }
