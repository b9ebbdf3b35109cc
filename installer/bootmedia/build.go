package bootmedia

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"node-installer/installer/media"
	"node-installer/internal/live"
	"node-installer/storage/esp"
)

//go:embed init/live-init.sh
var liveInit []byte

// Spec is one `media build`.
type Spec struct {
	Bundle string // media bundle folder (checked with the installer's reader)
	Out    string // output folder: <product>-<version>.iso and pxe/
	Binary string // static node-installer for the live environment
	Answer string // answer file to embed ("" for none)
	// TrustKeys are public key files (or folders of *.pub) the live
	// system trusts (media.TrustedKeysDir): the bundle must be signed by
	// one of them. Several allow a rotation.
	TrustKeys []string
	// RequireConfigSignature makes node.config_signature=required the
	// live system's default.
	RequireConfigSignature bool
	Flavor                 string // Debian kernel flavour of the live environment, e.g. amd64
	PXEBase                string // URL the PXE set will be served from (iPXE's default ${base})
	Options                Options
	Cache                  live.Cache
	Log                    io.Writer
}

// Result names what a build wrote.
type Result struct {
	ISO, PXE, Initrd string
	Kernel           string // Debian kernel package and version
}

// BIOS boot files (Debian's isolinux and syslinux-common).
var (
	isolinuxBin = "/usr/lib/ISOLINUX/isolinux.bin"
	isohdpfx    = "/usr/lib/ISOLINUX/isohdpfx.bin"
	syslinuxMod = "/usr/lib/syslinux/modules/bios"
	biosModules = []string{"ldlinux.c32", "menu.c32", "libutil.c32"}
)

// Build writes the ISO and the PXE set of s.
func Build(ctx context.Context, s Spec) (*Result, error) {
	if s.Log == nil {
		s.Log = io.Discard
	}
	keys, err := media.LoadKeys(false, s.TrustKeys...)
	if err != nil {
		return nil, fmt.Errorf("--trust-key: %w", err)
	}
	var b *media.Bundle
	if len(keys) > 0 {
		// Media whose own keys refuse its bundle would install nothing.
		b, err = media.OpenTrusted(s.Bundle, media.Trust{Keys: keys, KeysFrom: "--trust-key " + strings.Join(s.TrustKeys, ", ")})
	} else {
		fmt.Fprintf(s.Log, "media: warning: no --trust-key: the live system trusts no key, installs need node.trust_key= or node.insecure_media\n")
		b, err = media.Open(s.Bundle)
	}
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	if s.RequireConfigSignature && len(keys) == 0 {
		return nil, fmt.Errorf("--require-config-signature needs --trust-key: an answer file is checked against the embedded keys")
	}
	m := b.Manifest
	o := s.Options
	o.Product, o.Version = m.Product, m.Version
	if o.Label == "" {
		o.Label = VolumeLabel(m.Product, m.Version)
	}
	o.Answer = s.Answer != ""
	o.PXEBase = s.PXEBase
	if err := o.Check(); err != nil {
		return nil, err
	}
	if s.Answer != "" {
		if st, err := os.Stat(s.Answer); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("--answer %s: not a readable file", s.Answer)
		}
	}
	if static, err := live.IsStatic(s.Binary); err != nil {
		return nil, fmt.Errorf("--installer: %w", err)
	} else if !static {
		return nil, fmt.Errorf("--installer %s is dynamically linked: build it with CGO_ENABLED=0 (make build)", s.Binary)
	}
	for _, t := range []string{"xorriso", isolinuxBin, isohdpfx} {
		if _, err := findFile(t); err != nil {
			return nil, fmt.Errorf("%s: %w (apt-get install xorriso isolinux syslinux-common)", t, err)
		}
	}
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	bb, err := live.FindBusybox()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Log, "media: fetching the live kernel (linux-image-%s)\n", s.Flavor)
	k, err := s.Cache.FetchKernel(ctx, s.Flavor, bb)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(s.Out, ".build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	initrd := filepath.Join(work, "initrd.img")
	if err := writeLiveInitrd(ctx, k, bb, s.Binary, trustFiles(keys, s.RequireConfigSignature), initrd); err != nil {
		return nil, err
	}
	res := &Result{Kernel: k.Package + " " + k.Version}
	iso := filepath.Join(s.Out, m.Product+"-"+m.Version+".iso")
	fmt.Fprintf(s.Log, "media: writing %s\n", iso)
	if err := buildISO(ctx, work, b, k.Vmlinuz(), initrd, s.Answer, o, iso); err != nil {
		return nil, err
	}
	res.ISO = iso
	pxe := filepath.Join(s.Out, "pxe")
	fmt.Fprintf(s.Log, "media: writing the PXE set %s\n", pxe)
	if err := writePXE(b, k.Vmlinuz(), initrd, o, pxe); err != nil {
		return nil, err
	}
	res.PXE, res.Initrd = pxe, filepath.Join(pxe, PXEInitrd)
	return res, nil
}

// writeLiveInitrd writes the live environment: busybox, the installer as
// what /init hands PID 1 to, the modules and tools it needs.
func writeLiveInitrd(ctx context.Context, k *live.Kernel, busybox, binary string, extra []live.File, out string) error {
	var tools []string
	for _, t := range live.InstallerTools {
		p, err := live.FindTool(t)
		if err != nil {
			return err
		}
		tools = append(tools, p)
	}
	files := append([]live.File{{Src: binary, Dst: "bin/node-installer", Mode: 0o755}}, extra...)
	if _, err := os.Stat("/etc/mke2fs.conf"); err == nil {
		files = append(files, live.File{Src: "/etc/mke2fs.conf", Dst: "etc/mke2fs.conf", Mode: 0o644})
	}
	r := live.Initramfs{Kernel: k, Busybox: busybox, Init: liveInit, Modules: live.InstallerModules,
		Tools: tools, Files: files, Gzip: true}
	return r.WriteFile(ctx, out)
}

// trustFiles are the live system's trusted keys and policy files.
func trustFiles(keys media.Keys, requireConfigSig bool) []live.File {
	if len(keys) == 0 {
		return nil
	}
	dir := strings.TrimPrefix(media.TrustedKeysDir, "/")
	fs := []live.File{{Data: []byte(keys.Lines()), Dst: dir + "/media.pub", Mode: 0o644}}
	if requireConfigSig {
		fs = append(fs, live.File{Data: []byte("node.config must be signed\n"), Dst: dir + "/" + media.ConfigSignatureRequiredFile, Mode: 0o644})
	}
	return fs
}

// buildISO stages the ISO tree and writes it with xorriso: isolinux for
// BIOS (El Torito + an MBR for USB), an EFI FAT image with systemd-boot
// for UEFI (El Torito + a GPT/MBR partition for USB).
func buildISO(ctx context.Context, work string, b *media.Bundle, kernel, initrd, answer string, o Options, out string) error {
	root := filepath.Join(work, "iso")
	for _, d := range []string{"live", "isolinux", "boot", BundleDir} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	links := map[string]string{filepath.Join(root, LiveKernel): kernel, filepath.Join(root, LiveInitrd): initrd}
	bundleLinks(b, filepath.Join(root, BundleDir), links)
	if answer != "" {
		links[filepath.Join(root, AnswerName)] = answer
	}
	links[filepath.Join(root, "isolinux", "isolinux.bin")] = isolinuxBin
	for _, mod := range biosModules {
		links[filepath.Join(root, "isolinux", mod)] = filepath.Join(syslinuxMod, mod)
	}
	if err := linkAll(links); err != nil {
		return err
	}
	if err := writeISOTexts(root, o); err != nil {
		return err
	}
	boot, ok := b.Manifest.File(media.RoleBootloader)
	if !ok {
		return fmt.Errorf("--bundle: manifest has no bootloader")
	}
	efiImg := filepath.Join(root, "boot", "efi.img")
	if err := writeEFIImage(efiImg, filepath.Join(b.Dir, boot.Name), kernel, initrd, o); err != nil {
		return err
	}
	if err := writeEFIMenu(efiImg, o, nil); err != nil {
		return err
	}
	_, err := live.Run(ctx, "", "xorriso", "-as", "mkisofs", "-o", out, "-V", o.Label, "-J", "-joliet-long", "-R",
		"-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-isohybrid-mbr", isohdpfx,
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
		root)
	if err != nil {
		return fmt.Errorf("xorriso: %w", err)
	}
	return nil
}

// writeEFIImage makes the FAT32 image the UEFI firmware boots from the CD
// (El Torito) or USB (its partition): systemd-boot as the removable-media
// loader, its menu, and the live kernel and initrd it loads (systemd-boot
// reads only the filesystem it was started from).
func writeEFIImage(out, sdboot, kernel, initrd string, o Options) error {
	var need int64
	for _, p := range []string{sdboot, kernel, initrd} {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		need += st.Size()
	}
	size := (need + need/20 + 4<<20 + 1<<20 - 1) &^ (1<<20 - 1)
	for esp.CheckSize(size, 512) != nil {
		size += 1 << 20
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	if err := esp.Format(f, 0, size, 512, o.Label[:min(11, len(o.Label))]); err != nil {
		return err
	}
	fs, err := esp.OpenDevice(f, 0, size, 512)
	if err != nil {
		return err
	}
	put := func(dst string, data []byte, src string) error {
		if err := fs.MkdirAll(filepath.Dir(dst)); err != nil {
			return err
		}
		if src == "" {
			return fs.WriteFile(dst, bytesReader(data), int64(len(data)))
		}
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		st, err := in.Stat()
		if err != nil {
			return err
		}
		return fs.WriteFile(dst, in, st.Size())
	}
	files := map[string]string{"/EFI/BOOT/BOOTX64.EFI": sdboot, LiveKernel: kernel, LiveInitrd: initrd}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := put(n, nil, files[n]); err != nil {
			return fmt.Errorf("EFI image %s: %w", n, err)
		}
	}
	return f.Sync()
}

// writePXE writes the PXE set: kernel, initrd, the bundle (served beside
// them, fetched by URL so the initrd stays small), boot.ipxe, the kernel
// arguments per entry and example GRUB and pxelinux menus.
func writePXE(b *media.Bundle, kernel, initrd string, o Options, dir string) error {
	links := map[string]string{filepath.Join(dir, PXEKernel): kernel, filepath.Join(dir, PXEInitrd): initrd}
	bundleLinks(b, filepath.Join(dir, BundleDir), links)
	if err := linkAll(links); err != nil {
		return err
	}
	return writePXETexts(dir, o)
}

// writePXETexts writes the PXE set's menus and StateName for o.
func writePXETexts(dir string, o Options) error {
	state, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	texts := map[string]string{
		StateName:              string(state) + "\n",
		"boot.ipxe":            BootIPXE(o, o.PXEBase),
		"kernel-args.txt":      KernelArgsTxt(o, o.PXEBase),
		"grub.cfg":             GrubCfg(o, o.PXEBase),
		"pxelinux.cfg/default": PxelinuxCfg(o, o.PXEBase),
	}
	for n, t := range texts {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			return err
		}
		if err := writeReplace(filepath.Join(dir, n), []byte(t)); err != nil {
			return err
		}
	}
	return nil
}

// writeReplace writes data to path through a new file and a rename: a
// PXE server never serves half a menu, and a hard-linked copy of the
// set keeps its own.
func writeReplace(path string, data []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
