package live

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Debian packages are fetched with `apt-get download` and unpacked with
// `dpkg -x`, never installed: installing a kernel touches the host's boot
// setup, and installing systemd-boot-efi upgrades the host's systemd.

// Kernel is an unpacked Debian kernel package.
type Kernel struct {
	Package string // linux-image-6.1.0-56-cloud-amd64
	Version string // Debian version of the package
	Release string // uname -r: 6.1.0-56-cloud-amd64
	Root    string // dpkg -x folder (boot/, lib/modules/RELEASE/ with modules.dep)
}

// Vmlinuz is the kernel image path.
func (k *Kernel) Vmlinuz() string { return filepath.Join(k.Root, "boot", "vmlinuz-"+k.Release) }

// ModDir is lib/modules/RELEASE inside Root.
func (k *Kernel) ModDir() string { return filepath.Join(k.Root, "lib", "modules", k.Release) }

// Run runs name with args in dir and returns its output; an error
// carries the command line and its stderr.
func Run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// aptCache runs apt-cache with args, memoised in the cache under a key of
// apt's package lists (names, sizes, times): this machine's apt is set up
// without pkgcache.bin, so every apt-cache call re-reads all lists
// (1-5 s); the answer only changes when the lists do.
func (c Cache) aptCache(ctx context.Context, args ...string) ([]byte, error) {
	lists, _ := filepath.Glob("/var/lib/apt/lists/*")
	parts := append([]string{"apt-cache"}, args...)
	for _, l := range lists {
		if st, err := os.Stat(l); err == nil {
			parts = append(parts, fmt.Sprintf("%s %d %d", l, st.Size(), st.ModTime().UnixNano()))
		}
	}
	key, err := Key(parts...)
	if err != nil {
		return nil, err
	}
	dir, err := c.Entry("apt-cache", key, func(dir string) error {
		out, err := Run(ctx, "", "apt-cache", args...)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "out"), out, 0o644)
	})
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, "out"))
}

// ResolveKernelPackage returns the versioned kernel package the Debian
// meta-package linux-image-FLAVOR depends on, and its candidate version.
func (c Cache) ResolveKernelPackage(ctx context.Context, flavor string) (pkg, version string, err error) {
	meta := "linux-image-" + flavor
	out, err := c.aptCache(ctx, "depends", meta)
	if err != nil && os.Geteuid() == 0 {
		// a fresh container often has no package lists at all
		if _, uerr := Run(ctx, "", "apt-get", "update", "-qq"); uerr == nil {
			out, err = c.aptCache(ctx, "depends", meta)
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("resolve %s (is apt's package list fetched? run apt-get update): %w", meta, err)
	}
	pkg = DependsOnKernel(string(out))
	if pkg == "" {
		return "", "", fmt.Errorf("apt-cache depends %s names no linux-image-<version> package:\n%s", meta, out)
	}
	version, err = c.CandidateVersion(ctx, pkg)
	return pkg, version, err
}

// DependsOnKernel picks the first "Depends: linux-image-<digit>..." of
// `apt-cache depends` output.
func DependsOnKernel(out string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") &&
			len(f[1]) > len("linux-image-") && f[1][len("linux-image-")] >= '0' && f[1][len("linux-image-")] <= '9' {
			return f[1]
		}
	}
	return ""
}

// CandidateVersion is the version apt would fetch for pkg.
func (c Cache) CandidateVersion(ctx context.Context, pkg string) (string, error) {
	out, err := c.aptCache(ctx, "show", "--no-all-versions", pkg)
	if err != nil {
		return "", fmt.Errorf("apt-cache show %s: %w", pkg, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Version: "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("apt-cache show %s: no Version field", pkg)
}

// FetchDeb downloads pkg=version into the cache (once) and returns the .deb path.
func (c Cache) FetchDeb(ctx context.Context, pkg, version string) (string, error) {
	name := SafeName(pkg + "_" + version)
	dir, err := c.Entry("deb", name, func(dir string) error {
		if _, err := Run(ctx, dir, "apt-get", "download", "-q", pkg+"="+version); err != nil {
			return fmt.Errorf("download %s (run apt-get update if the version is gone): %w", pkg, err)
		}
		debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
		if len(debs) != 1 {
			return fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
		}
		return os.Rename(debs[0], filepath.Join(dir, "pkg.deb"))
	})
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "pkg.deb"), nil
}

// Unpack downloads pkg=version and unpacks it (dpkg -x) into the cache;
// post runs on the unpacked folder before it is published.
func (c Cache) Unpack(ctx context.Context, pkg, version string, post func(root string) error) (string, error) {
	deb, err := c.FetchDeb(ctx, pkg, version)
	if err != nil {
		return "", err
	}
	return c.Entry("unpacked", SafeName(pkg+"_"+version), func(dir string) error {
		if _, err := Run(ctx, "", "dpkg", "-x", deb, dir); err != nil {
			return err
		}
		if post != nil {
			return post(dir)
		}
		return nil
	})
}

// FetchKernel fetches and unpacks the kernel of linux-image-FLAVOR (e.g.
// "cloud-amd64": it boots about 4 s faster under emulation than the
// generic one) and runs depmod, since the .deb ships no modules.dep (its
// postinst makes it).
func (c Cache) FetchKernel(ctx context.Context, flavor, busybox string) (*Kernel, error) {
	pkg, version, err := c.ResolveKernelPackage(ctx, flavor)
	if err != nil {
		return nil, err
	}
	k := &Kernel{Package: pkg, Version: version, Release: strings.TrimPrefix(pkg, "linux-image-")}
	k.Root, err = c.Unpack(ctx, pkg, version, func(root string) error {
		_, err := Run(ctx, "", busybox, "depmod", "-b", root, k.Release)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(k.Vmlinuz()); err != nil {
		return nil, fmt.Errorf("kernel package %s: %w", pkg, err)
	}
	return k, nil
}

// SystemdBootPath is where systemd-boot-efi puts the x86-64 EFI binary.
const SystemdBootPath = "usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// FetchSystemdBoot fetches and unpacks systemd-boot-efi and returns the
// path of systemd-bootx64.efi.
func (c Cache) FetchSystemdBoot(ctx context.Context) (string, error) {
	const pkg = "systemd-boot-efi"
	version, err := c.CandidateVersion(ctx, pkg)
	if err != nil {
		return "", err
	}
	root, err := c.Unpack(ctx, pkg, version, nil)
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, SystemdBootPath)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s %s: %w", pkg, version, err)
	}
	return p, nil
}

// FindBusybox returns a statically linked busybox ($NODE_VM_BUSYBOX or
// busybox on PATH): the initramfs carries no C library for it.
func FindBusybox() (string, error) {
	p := os.Getenv("NODE_VM_BUSYBOX")
	if p == "" {
		var err error
		if p, err = exec.LookPath("busybox"); err != nil {
			return "", fmt.Errorf("busybox not found: install busybox-static: %w", err)
		}
	}
	static, err := IsStatic(p)
	if err != nil {
		return "", err
	}
	if !static {
		return "", fmt.Errorf("%s is dynamically linked: install busybox-static", p)
	}
	return p, nil
}

// IsStatic reports whether the ELF file at p has no program interpreter.
func IsStatic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, fmt.Errorf("read ELF %s: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
