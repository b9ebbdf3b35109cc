package live

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// cpio "newc" (SVR4 without checksums) is the only archive format the
// kernel unpacks as an initramfs. Writing it here (instead of running
// cpio(1) over a staging folder) lets the builder add device nodes such as
// /dev/console without root, and keeps the archive byte-reproducible.

const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeLink = 0o120000
	modeChar = 0o020000
)

// CPIOWriter writes a cpio newc archive. Entries are written in the order
// given; parent directories are added automatically, once.
type CPIOWriter struct {
	w     io.Writer
	ino   uint32
	dirs  map[string]bool
	names map[string]bool
	err   error
}

// NewCPIOWriter returns a writer of a newc archive onto w.
func NewCPIOWriter(w io.Writer) *CPIOWriter {
	return &CPIOWriter{w: w, ino: 1, dirs: map[string]bool{".": true, "": true}, names: map[string]bool{}}
}

func (c *CPIOWriter) header(name string, mode, rdevMajor, rdevMinor uint32, size int64) {
	if c.err != nil {
		return
	}
	c.ino++
	nlink := 1
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, size, 0, 0, rdevMajor, rdevMinor, len(name)+1, 0)
	if _, err := io.WriteString(c.w, hdr+name+"\x00"); err != nil {
		c.err = err
		return
	}
	c.pad(110 + len(name) + 1)
}

func (c *CPIOWriter) pad(n int) {
	if c.err != nil {
		return
	}
	if r := n % 4; r != 0 {
		_, c.err = c.w.Write(make([]byte, 4-r))
	}
}

// clean turns "/a/b" or "a/b/" into the archive's relative form "a/b".
func clean(name string) (string, error) {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if n == "" {
		return "", fmt.Errorf("cpio: empty name %q", name)
	}
	return n, nil
}

func (c *CPIOWriter) parents(name string) {
	dir := path.Dir(name)
	if c.dirs[dir] {
		return
	}
	c.parents(dir)
	c.dirs[dir] = true
	c.names[dir] = true
	c.header(dir, modeDir|0o755, 0, 0, 0)
}

func (c *CPIOWriter) begin(name string) (string, error) {
	if c.err != nil {
		return "", c.err
	}
	n, err := clean(name)
	if err != nil {
		return "", err
	}
	if c.names[n] {
		return "", fmt.Errorf("cpio: duplicate entry %q", n)
	}
	c.parents(n)
	c.names[n] = true
	return n, nil
}

// Dir adds a directory.
func (c *CPIOWriter) Dir(name string, perm uint32) error {
	n, err := c.begin(name)
	if err != nil {
		return err
	}
	c.dirs[n] = true
	c.header(n, modeDir|perm&0o7777, 0, 0, 0)
	return c.err
}

// File adds a regular file of size bytes read from r.
func (c *CPIOWriter) File(name string, perm uint32, size int64, r io.Reader) error {
	n, err := c.begin(name)
	if err != nil {
		return err
	}
	c.header(n, modeFile|perm&0o7777, 0, 0, size)
	if c.err != nil {
		return c.err
	}
	got, err := io.Copy(c.w, io.LimitReader(r, size))
	if err != nil {
		c.err = fmt.Errorf("cpio: write %s: %w", n, err)
		return c.err
	}
	if got != size {
		c.err = fmt.Errorf("cpio: %s: short read: %d of %d bytes", n, got, size)
		return c.err
	}
	c.pad(int(size % 4))
	return c.err
}

// Bytes adds a regular file holding data.
func (c *CPIOWriter) Bytes(name string, perm uint32, data []byte) error {
	return c.File(name, perm, int64(len(data)), strings.NewReader(string(data)))
}

// Symlink adds a symbolic link name -> target.
func (c *CPIOWriter) Symlink(name, target string) error {
	n, err := c.begin(name)
	if err != nil {
		return err
	}
	c.header(n, modeLink|0o777, 0, 0, int64(len(target)))
	if c.err == nil {
		_, c.err = io.WriteString(c.w, target)
	}
	c.pad(len(target))
	return c.err
}

// CharDev adds a character device node (e.g. /dev/console 5:1).
func (c *CPIOWriter) CharDev(name string, perm, major, minor uint32) error {
	n, err := c.begin(name)
	if err != nil {
		return err
	}
	c.header(n, modeChar|perm&0o7777, major, minor, 0)
	return c.err
}

// Close writes the trailer. It does not close the underlying writer.
func (c *CPIOWriter) Close() error {
	if c.err != nil {
		return c.err
	}
	c.ino = 0
	c.header("TRAILER!!!", 0, 0, 0, 0)
	return c.err
}

// Names lists the entries written so far, sorted (for tests and logs).
func (c *CPIOWriter) Names() []string {
	out := make([]string, 0, len(c.names))
	for n := range c.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
