package vm

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"node-installer/installer/media"
	"node-installer/internal/live"
)

//go:embed init/installer-init.sh
var installerInit []byte

// MediaPath is where the installer initramfs holds the media bundle; pass
// it as node.media= (InstallerSpec does not add kernel arguments itself).
const MediaPath = "/media/bundle"

// CmdlineArg, as an element of InstallerSpec.Args, stands for the whole
// kernel command line of the guest (e.g. plan --cmdline CmdlineArg).
const CmdlineArg = "@CMDLINE@"

// InstallerModules and InstallerTools are the live environment's
// (internal/live), as on real media.
var (
	InstallerModules = live.InstallerModules
	InstallerTools   = live.InstallerTools
)

// InstallerSpec describes an installer initramfs.
type InstallerSpec struct {
	Binary string   // static node-installer (CGO_ENABLED=0)
	Bundle string   // media bundle folder, carried at MediaPath
	Args   []string // node-installer arguments; default ["auto"]
	// Exec makes node-installer PID 1 (what real media do: it must power
	// off or reboot itself). Otherwise /init runs it, prints
	// "VMTEST-INSTALLER-EXIT rc=N" and powers off (smoke tests).
	Exec  bool
	Disks int // wait up to 10 s for this many virtio disks before starting
	// Net brings eth0 up with qemu's user network addresses before the
	// installer starts (UserNetGuest via UserNetHost), as the live
	// environment of a PXE boot does; the VM needs UserNetArgs.
	Net bool
	// Pre is shell run by /init just before the installer (a test's setup
	// inside the guest), with Tools (more host programs) on the PATH.
	Pre   string
	Tools []string
}

// qemu's user network: the guest's address, and the host's as the guest
// sees it (a connection to it reaches the host's loopback).
const (
	UserNetGuest = "10.0.2.15/24"
	UserNetHost  = "10.0.2.2"
	UserNetMAC   = "52:54:00:12:34:56"
)

// UserNetArgs are the qemu arguments of one virtio NIC on qemu's user
// network, for Machine.Extra.
var UserNetArgs = []string{"-nic", "user,model=virtio-net-pci,mac=" + UserNetMAC}

// ShellQuote quotes s for /bin/sh.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func findTool(name string) (string, error) { return live.FindTool(name) }

// InstallerInitrd builds (or takes from the cache) the installer initramfs
// of spec and returns its path.
func (tc *Toolchain) InstallerInitrd(ctx context.Context, spec InstallerSpec) (string, error) {
	if static, err := IsStatic(spec.Binary); err != nil {
		return "", err
	} else if !static {
		return "", fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", spec.Binary)
	}
	if len(spec.Args) == 0 {
		spec.Args = []string{"auto"}
	}
	words := make([]string, len(spec.Args))
	for i, a := range spec.Args {
		if a == CmdlineArg {
			words[i] = `"$CMDLINE"`
		} else {
			words[i] = ShellQuote(a)
		}
	}
	mode := "child"
	if spec.Exec {
		mode = "exec"
	}
	tools := make([]string, 0, len(InstallerTools)+len(spec.Tools))
	for _, t := range append(append([]string{}, InstallerTools...), spec.Tools...) {
		p, err := findTool(t)
		if err != nil {
			return "", err
		}
		tools = append(tools, p)
	}
	files := []File{
		{Src: spec.Binary, Dst: "bin/node-installer", Mode: 0o755},
		{Data: []byte(strings.Join(words, " ") + "\n"), Dst: "etc/vmtest.args"},
		{Data: []byte(mode + "\n"), Dst: "etc/vmtest.mode"},
		{Data: []byte(strconv.Itoa(spec.Disks) + "\n"), Dst: "etc/vmtest.disks"},
		// The live system trusts the key test bundles are signed with, as
		// real media trust the keys of media build --trust-key.
		{Data: []byte(TestKeys().Lines()), Dst: strings.TrimPrefix(media.TrustedKeysDir, "/") + "/test.pub", Mode: 0o644},
	}
	if spec.Pre != "" {
		files = append(files, File{Data: []byte(spec.Pre + "\n"), Dst: "etc/vmtest.pre"})
	}
	if spec.Net {
		files = append(files, File{Data: []byte("eth0 " + UserNetGuest + " " + UserNetHost + "\n"), Dst: "etc/vmtest.net"})
	}
	if _, err := os.Stat("/etc/mke2fs.conf"); err == nil {
		files = append(files, File{Src: "/etc/mke2fs.conf", Dst: "etc/mke2fs.conf", Mode: 0o644})
	}
	keyParts := []string{"installer-v1", BuilderID(), tc.Kernel.Package, tc.Kernel.Version, "file:" + tc.Busybox,
		string(installerInit), strings.Join(InstallerModules, ",")}
	for _, t := range tools {
		keyParts = append(keyParts, "file:"+t)
	}
	for _, f := range files {
		if f.Src != "" {
			keyParts = append(keyParts, "file:"+f.Src)
		} else {
			keyParts = append(keyParts, f.Dst, string(f.Data))
		}
	}
	if spec.Bundle != "" {
		keyParts = append(keyParts, "file:"+filepath.Join(spec.Bundle, "manifest.json"))
		m, err := ReadManifest(spec.Bundle)
		if err != nil {
			return "", fmt.Errorf("installer media: %w", err)
		}
		names := []string{media.ManifestName}
		if _, err := os.Stat(filepath.Join(spec.Bundle, media.SignatureName)); err == nil {
			names = append(names, media.SignatureName)
			keyParts = append(keyParts, "file:"+filepath.Join(spec.Bundle, media.SignatureName))
		}
		for _, f := range m.Files {
			names = append(names, f.Name)
		}
		for _, n := range names {
			files = append(files, File{Src: filepath.Join(spec.Bundle, n), Dst: strings.TrimPrefix(MediaPath, "/") + "/" + n, Mode: 0o644})
		}
	}
	key, err := Key(keyParts...)
	if err != nil {
		return "", err
	}
	dir, err := tc.Cache.Entry("installer-initrd", key, func(dir string) error {
		r := Initramfs{Kernel: tc.Kernel, Busybox: tc.Busybox, Init: installerInit,
			Modules: InstallerModules, Tools: tools, Files: files}
		return r.WriteFile(ctx, filepath.Join(dir, "initrd.img"))
	})
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "initrd.img"), nil
}

// RepoRoot finds the module root (the folder with go.mod) from the
// working directory up.
func RepoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(data), "module node-installer") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("go.mod of node-installer not found above the working directory")
		}
		d = parent
	}
}

// BuildInstaller builds the static node-installer binary from the source
// tree at root into out, stamped with version.
func BuildInstaller(ctx context.Context, root, out, version string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version,
		"-o", out, "./cmd/node-installer")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build node-installer: %w\n%s", err, out)
	}
	return nil
}
