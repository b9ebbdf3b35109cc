package live

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// File is one extra file of an initramfs: host file Src (or Data) at Dst.
type File struct {
	Src  string
	Data []byte
	Dst  string
	Mode uint32 // 0 means 0755 for Src, 0644 for Data
}

// Initramfs describes a busybox initramfs for a Kernel.
type Initramfs struct {
	Kernel  *Kernel
	Busybox string // static busybox; every applet becomes a /bin symlink
	Init    []byte // /init script (PID 1)
	// Modules are loaded by /init from /etc/modules.order in dependency
	// order; '?' marks a module that may be absent or built in.
	Modules []string
	// Tools are host programs copied to the same path with the shared
	// libraries ldd lists for them (e.g. /usr/sbin/mke2fs).
	Tools []string
	Files []File
	// Gzip compresses the archive. The kernel also takes it plain, which
	// saves decompression time under emulation for payloads that are
	// already compressed.
	Gzip bool
}

// Write writes the archive to w and returns its entry count.
func (r Initramfs) Write(ctx context.Context, w io.Writer) (int, error) {
	var gz *gzip.Writer
	out := w
	if r.Gzip {
		gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	c := NewCPIOWriter(bw)
	if err := r.fill(ctx, c); err != nil {
		return 0, err
	}
	if err := c.Close(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return 0, err
		}
	}
	return len(c.Names()), nil
}

// WriteFile writes the archive to path.
func (r Initramfs) WriteFile(ctx context.Context, p string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := r.Write(ctx, f); err != nil {
		f.Close()
		return fmt.Errorf("initramfs %s: %w", p, err)
	}
	return f.Close()
}

func addHostFile(c *CPIOWriter, src, dst string, mode uint32) error {
	f, err := os.Open(src) // follows symlinks: the archive gets the content
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if mode == 0 {
		mode = uint32(st.Mode().Perm())
	}
	return c.File(dst, mode, st.Size(), f)
}

func (r Initramfs) fill(ctx context.Context, c *CPIOWriter) error {
	for _, d := range []string{"dev", "proc", "sys", "run", "tmp", "mnt", "sysroot", "etc", "sbin", "usr/bin", "usr/sbin"} {
		if err := c.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := c.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := c.CharDev("dev/null", 0o666, 1, 3); err != nil {
		return err
	}
	if err := c.Bytes("init", 0o755, r.Init); err != nil {
		return err
	}
	if err := addHostFile(c, r.Busybox, "bin/busybox", 0o755); err != nil {
		return fmt.Errorf("busybox: %w", err)
	}
	applets, err := Run(ctx, "", r.Busybox, "--list")
	if err != nil {
		return err
	}
	for _, a := range strings.Fields(string(applets)) {
		if a != "busybox" {
			if err := c.Symlink("bin/"+a, "busybox"); err != nil {
				return err
			}
		}
	}
	if err := r.addModules(c); err != nil {
		return err
	}
	if err := r.addTools(ctx, c); err != nil {
		return err
	}
	for _, f := range r.Files {
		var err error
		if f.Data != nil {
			mode := f.Mode
			if mode == 0 {
				mode = 0o644
			}
			err = c.Bytes(f.Dst, mode, f.Data)
		} else {
			err = addHostFile(c, f.Src, f.Dst, f.Mode)
		}
		if err != nil {
			return fmt.Errorf("initramfs file %s: %w", f.Dst, err)
		}
	}
	return nil
}

func (r Initramfs) addModules(c *CPIOWriter) error {
	if len(r.Modules) == 0 {
		return c.Bytes("etc/modules.order", 0o644, nil)
	}
	md := r.Kernel.ModDir()
	f, err := os.Open(filepath.Join(md, "modules.dep"))
	if err != nil {
		return fmt.Errorf("kernel modules (run busybox depmod): %w", err)
	}
	deps, err := ParseModulesDep(f)
	f.Close()
	if err != nil {
		return err
	}
	builtin := map[string]bool{}
	if bf, err := os.Open(filepath.Join(md, "modules.builtin")); err == nil {
		builtin, err = ParseBuiltin(bf)
		bf.Close()
		if err != nil {
			return err
		}
	}
	order, err := deps.LoadOrder(r.Modules, builtin)
	if err != nil {
		return fmt.Errorf("kernel %s: %w", r.Kernel.Release, err)
	}
	base := path.Join("lib/modules", r.Kernel.Release)
	for _, p := range order {
		if err := addHostFile(c, filepath.Join(md, p), path.Join(base, p), 0o644); err != nil {
			return fmt.Errorf("module %s: %w", p, err)
		}
	}
	return c.Bytes("etc/modules.order", 0o644, []byte(strings.Join(order, "\n")+"\n"))
}

func (r Initramfs) addTools(ctx context.Context, c *CPIOWriter) error {
	libs := map[string]bool{}
	var libOrder []string
	for _, t := range r.Tools {
		if err := addHostFile(c, t, t, 0o755); err != nil {
			return fmt.Errorf("tool %s: %w", t, err)
		}
		static, err := IsStatic(t)
		if err != nil {
			return err
		}
		if static {
			continue
		}
		out, err := Run(ctx, "", "ldd", t)
		if err != nil {
			return fmt.Errorf("libraries of %s: %w", t, err)
		}
		for _, l := range ParseLdd(string(out)) {
			if !libs[l] {
				libs[l] = true
				libOrder = append(libOrder, l)
			}
		}
	}
	for _, l := range libOrder {
		if err := addHostFile(c, l, l, 0o755); err != nil {
			return fmt.Errorf("library %s: %w", l, err)
		}
	}
	return nil
}

// ParseLdd returns the library paths of ldd output, the loader included
// ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)",
// "/lib64/ld-linux-x86-64.so.2 (0x...)"); linux-vdso has no file.
func ParseLdd(out string) []string {
	var libs []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	return libs
}
