package vm

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"node-installer/installer/media"

	"golang.org/x/crypto/ssh"
)

var (
	//go:embed init/node-init.sh
	nodeInit []byte
	//go:embed init/root-init.sh
	rootInit []byte
)

// NodeModules are loaded by the installed node's initramfs: the virtio
// disk, squashfs for the slot, ext4 for the Config partition (crc32c is a
// softdep of ext4 that busybox does not follow), vfat for the ESP.
var NodeModules = []string{
	"virtio_pci", "virtio_blk", "squashfs", "?crc32c_generic", "?crc32c_intel", "ext4",
	"vfat", "?nls_cp437", "?nls_ascii", "?nls_utf8",
}

// Bundle file names (the media bundle contract, media.DefaultNames).
var (
	BundleKernel     = media.DefaultNames[media.RoleKernel]
	BundleInitrd     = media.DefaultNames[media.RoleInitrd]
	BundleRoot       = media.DefaultNames[media.RoleRootfs]
	BundleBootloader = media.DefaultNames[media.RoleBootloader]
)

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]*$`)

// BundleSpec names a bootable test bundle.
type BundleSpec struct {
	Product string // default "node"
	Version string // e.g. "1.0.0"; printed by the image's marker line
	Release string // default "1"
	// Binary, when set, is a static node-installer put in the root image
	// as /bin/node-installer: with nodetest.setup on the kernel command
	// line the image runs `node-installer setup` on its console.
	Binary string
}

func (s BundleSpec) withDefaults() BundleSpec {
	if s.Product == "" {
		s.Product = "node"
	}
	if s.Release == "" {
		s.Release = "1"
	}
	return s
}

// Toolchain holds the unpacked inputs every build needs.
type Toolchain struct {
	Cache       Cache
	Kernel      *Kernel
	Busybox     string
	SystemdBoot string
}

// KernelFlavor is $NODE_VM_KERNEL_FLAVOR or "cloud-amd64".
func KernelFlavor() string {
	if f := os.Getenv("NODE_VM_KERNEL_FLAVOR"); f != "" {
		return f
	}
	return "cloud-amd64"
}

// Prepare finds busybox and fetches (or takes from the cache) the kernel
// and systemd-boot.
func Prepare(ctx context.Context, c Cache) (*Toolchain, error) {
	bb, err := FindBusybox()
	if err != nil {
		return nil, err
	}
	k, err := c.FetchKernel(ctx, KernelFlavor(), bb)
	if err != nil {
		return nil, err
	}
	sd, err := c.FetchSystemdBoot(ctx)
	if err != nil {
		return nil, err
	}
	return &Toolchain{Cache: c, Kernel: k, Busybox: bb, SystemdBoot: sd}, nil
}

// Bundle builds (or takes from the cache) the bootable test bundle of spec
// and returns its folder: manifest.json, vmlinuz, initrd.img (the node
// initramfs), root.squashfs (the marker image), systemd-bootx64.efi.
func (tc *Toolchain) Bundle(ctx context.Context, spec BundleSpec) (string, error) {
	spec = spec.withDefaults()
	for name, v := range map[string]string{"product": spec.Product, "version": spec.Version, "release": spec.Release} {
		if !versionRE.MatchString(v) {
			return "", fmt.Errorf("bundle %s %q: expected letters, digits and ._+~-", name, v)
		}
	}
	key, err := Key("bundle-v3-blake3", BuilderID(), spec.Product, spec.Version, spec.Release, tc.Kernel.Package, tc.Kernel.Version,
		"file:"+tc.Busybox, "file:"+tc.SystemdBoot, string(nodeInit), string(rootInit), strings.Join(NodeModules, ","), binaryKey(spec.Binary))
	if err != nil {
		return "", err
	}
	return tc.Cache.Entry("bundle", safeName(spec.Version)+"-"+key, func(dir string) error {
		return tc.BuildBundle(ctx, dir, spec)
	})
}

// BuildBundle writes the bundle of spec into dir (no cache).
func (tc *Toolchain) BuildBundle(ctx context.Context, dir string, spec BundleSpec) error {
	spec = spec.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := copyFile(tc.Kernel.Vmlinuz(), filepath.Join(dir, BundleKernel)); err != nil {
		return err
	}
	if err := copyFile(tc.SystemdBoot, filepath.Join(dir, BundleBootloader)); err != nil {
		return err
	}
	initrd := Initramfs{Kernel: tc.Kernel, Busybox: tc.Busybox, Init: nodeInit, Modules: NodeModules, Gzip: true}
	if err := initrd.WriteFile(ctx, filepath.Join(dir, BundleInitrd)); err != nil {
		return err
	}
	if err := tc.buildRoot(ctx, filepath.Join(dir, BundleRoot), spec.Version, spec.Binary); err != nil {
		return err
	}
	if err := media.Create(dir, spec.Product, spec.Version, spec.Release); err != nil {
		return err
	}
	return media.SignBundle(dir, TestSigner())
}

// TestSigner signs the test bundles: the published demo key, so every
// VM test installs signed media as a real installer does (never trust
// it outside tests).
func TestSigner() ssh.Signer { return media.DemoSigner() }

// TestKeys trusts TestSigner: what the test installer's live system
// holds in media.TrustedKeysDir.
func TestKeys() media.Keys { return media.DemoKeys() }

// buildRoot makes the squashfs OS image whose /sbin/init prints the marker.
func (tc *Toolchain) buildRoot(ctx context.Context, out, version, binary string) error {
	stage, err := os.MkdirTemp("", "vm-root-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, d := range []string{"bin", "sbin", "etc", "dev", "proc", "sys", "run", "tmp", "mnt/config"} {
		if err := os.MkdirAll(filepath.Join(stage, d), 0o755); err != nil {
			return err
		}
	}
	if err := copyFile(tc.Busybox, filepath.Join(stage, "bin", "busybox")); err != nil {
		return err
	}
	applets, err := run(ctx, "", tc.Busybox, "--list")
	if err != nil {
		return err
	}
	for _, a := range strings.Fields(string(applets)) {
		if a != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(stage, "bin", a)); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(stage, "sbin", "init"), rootInit, 0o755); err != nil {
		return err
	}
	if binary != "" {
		if err := copyFile(binary, filepath.Join(stage, "bin", "node-installer")); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(stage, "etc", "node-release"), []byte("VERSION="+version+"\n"), 0o644); err != nil {
		return err
	}
	// fixed times: the same inputs give the same image (and hash)
	_, err = run(ctx, "", "mksquashfs", stage, out, "-noappend", "-comp", "xz", "-all-root",
		"-mkfs-time", "0", "-all-time", "0", "-quiet", "-no-progress")
	if err != nil {
		return fmt.Errorf("root image (install squashfs-tools): %w", err)
	}
	return nil
}

// copyFile copies src to dst, keeping the permission bits.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, st.Mode().Perm())
}

// binaryKey is the cache key part of a root image's node-installer: its
// content when there is one.
func binaryKey(path string) string {
	if path == "" {
		return "no-binary"
	}
	return "file:" + path
}
