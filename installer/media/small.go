package media

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Caps on the small documents a bundle supplies. They are read whole
// into memory, so each is bounded: a manifest.json that is a symlink to
// /dev/zero, a FIFO or a multi-GiB file must fail at once with an error,
// never exhaust memory or hang the installer.
const (
	ManifestMax  = 1 << 20  // manifest.json: a few hundred bytes in practice
	SignatureMax = 64 << 10 // manifest.json.sig: an SSH signature is ~300 bytes
	KeysMax      = 1 << 20  // a trusted-keys file: one line per key
)

// ErrTooLarge is wrapped by ReadSmall's error for a file over its cap.
var ErrTooLarge = errors.New("larger than its size cap")

// ReadSmall reads the regular file at path, at most max bytes. Anything
// else (a device, a FIFO, a directory, a socket, also behind a symlink)
// or a larger file is an error naming the path, returned before reading.
func ReadSmall(path string, max int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would block until a writer
	// comes; it has no effect on regular files.
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat() // the opened file, not the name: no swap in between
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(st.Mode()))
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, %w of %d bytes", path, st.Size(), ErrTooLarge, max)
	}
	// The size may still grow while we read: the limit holds anyway.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: grew while read, %w of %d bytes", path, ErrTooLarge, max)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
