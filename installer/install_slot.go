package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"unsafe"

	"node-installer/installer/media"

	"golang.org/x/sys/unix"
)

// Slot streaming: the image is read into a few large page-aligned
// buffers in one goroutine; each buffer is then written (O_DIRECT, the
// same 4 MiB writes as `dd bs=4M oflag=direct`) and hashed (SHA-256, by
// its own goroutine) at the same time, and reused once both are done.
// The writes never wait for the hash except the last one, which lands
// only when the whole image matched its manifest. Memory stays
// streamBuffers x streamChunk whatever the image size.
//
// Every flushEvery bytes a background fsync is started (one at a time):
// the device drains its cache while the next buffers are hashed, so the
// final fsync waits for one interval and not the whole image, and the
// progress shown is never far ahead of what is durable.
const (
	streamChunk   = 4 << 20
	streamBuffers = 8
	flushEvery    = 32 << 20
)

// SlotProgress is called after each chunk with the bytes written so far.
type SlotProgress func(written int64)

// slotBuf is one buffer in flight; refs counts the writer and the hasher.
type slotBuf struct {
	b    []byte
	n    int
	err  error // io.EOF on the last chunk
	refs atomic.Int32
	free chan<- *slotBuf
}

// WriteSlot streams r (total bytes) into the region [off, off+size) of
// the disk or image file at path, and fsyncs. It uses O_DIRECT on block
// devices when the offset is aligned (falling back to buffered writes
// when the kernel refuses), so the page cache does not fill with the
// image. It fails, after writing nothing, when total exceeds size. When
// r is a *media.Reader the image is hashed while it is written, and a
// size or SHA-256 mismatch is returned before the last chunk is
// written, so a bad image is never reported as written; r's Finish then
// reports the verdict without reading again.
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

	src, v := r, (*media.Verifier)(nil)
	if mr, ok := r.(*media.Reader); ok {
		src, v = mr.Split()
	}
	stop := make(chan struct{})
	defer close(stop)
	full, verdict := streamChunks(src, v, stop)
	fl := startFlusher(f)
	defer fl.stop()

	var written, flushed int64
	verified := false
	for {
		// Cancellation wins over a ready chunk (select picks at random).
		if err := ctx.Err(); err != nil {
			return written, err
		}
		var c *slotBuf
		select {
		case c = <-full:
		case <-ctx.Done():
			return written, ctx.Err()
		}
		if c.err != nil && c.err != io.EOF {
			return written, c.err
		}
		if written+int64(c.n) > size {
			return written, fmt.Errorf("image is longer than the %d byte slot", size)
		}
		if v != nil && !verified && (c.err == io.EOF || written+int64(c.n) >= total) {
			// The chunk that completes the image lands only when the
			// whole image matched its manifest.
			select {
			case err := <-verdict:
				if err != nil {
					return written, err
				}
			case <-ctx.Done():
				return written, ctx.Err()
			}
			verified = true
		}
		if c.n > 0 {
			if err := w.writeAt(c.b[:c.n], off+written); err != nil {
				return written, fmt.Errorf("write %s at offset %d: %w", path, off+written, err)
			}
			written += int64(c.n)
			if written-flushed >= flushEvery && fl.request() {
				flushed = written
			}
			if progress != nil {
				progress(written)
			}
		}
		if c.err == io.EOF {
			break
		}
		c.release()
	}
	if written != total {
		return written, fmt.Errorf("image ended after %d of %d bytes", written, total)
	}
	if err := errors.Join(fl.stop(), w.sync()); err != nil {
		return written, fmt.Errorf("fsync %s: %w", path, err)
	}
	return written, nil
}

// streamChunks reads src into streamBuffers buffers and sends each to the
// writer (full) and, when v is set, to a hashing goroutine whose Check
// result arrives on verdict after the last chunk. Both goroutines end
// when stop is closed; buffers stay on the heap, so one still in use
// after WriteSlot returned is harmless.
func streamChunks(src io.Reader, v *media.Verifier, stop <-chan struct{}) (<-chan *slotBuf, <-chan error) {
	free := make(chan *slotBuf, streamBuffers)
	for range streamBuffers {
		b := &slotBuf{b: alignedBuffer(streamChunk)}
		b.free = free
		free <- b
	}
	full := make(chan *slotBuf, streamBuffers)
	hashq := make(chan *slotBuf, streamBuffers)
	verdict := make(chan error, 1)
	if v != nil {
		go func() {
			var herr error
			sent := false
			for c := range hashq {
				if herr == nil {
					_, herr = v.Write(c.b[:c.n])
				}
				last := c.err == io.EOF
				c.release()
				if !sent && (herr != nil || last) {
					if herr == nil {
						herr = v.Check()
					}
					verdict <- herr // buffered: never blocks
					sent = true
				}
			}
		}()
	}
	go func() {
		defer close(hashq)
		for {
			var c *slotBuf
			select {
			case c = <-free:
			case <-stop:
				return
			}
			c.n, c.err = io.ReadFull(src, c.b)
			if errors.Is(c.err, io.ErrUnexpectedEOF) {
				c.err = io.EOF
			}
			c.refs.Store(1)
			if v != nil && (c.err == nil || c.err == io.EOF) {
				c.refs.Store(2)
				hashq <- c // never blocks: hashq holds every buffer
			}
			select {
			case full <- c:
			case <-stop:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	return full, verdict
}

// release hands the buffer back once the writer and the hasher are done.
func (c *slotBuf) release() {
	if c.refs.Add(-1) == 0 {
		c.free <- c // never blocks: free holds every buffer
	}
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

// flusher runs fsync in the background, at most one at a time. fsync on
// any descriptor of a device or file flushes all of it, so the buffered
// *os.File (safe for concurrent use) serves while the writer goes on
// with its O_DIRECT descriptor.
type flusher struct {
	req  chan struct{}
	done chan error
}

func startFlusher(f *os.File) *flusher {
	req, done := make(chan struct{}), make(chan error, 1)
	go func() {
		var first error
		for range req {
			if err := f.Sync(); err != nil && first == nil {
				first = err
			}
		}
		done <- first
	}()
	return &flusher{req: req, done: done}
}

// request starts a flush unless one is running, and says whether it did.
func (fl *flusher) request() bool {
	select {
	case fl.req <- struct{}{}:
		return true
	default:
		return false
	}
}

// stop waits for a running flush and returns the first flush error. It
// may be called more than once.
func (fl *flusher) stop() error {
	if fl.req == nil {
		return nil
	}
	close(fl.req)
	fl.req = nil
	return <-fl.done
}
