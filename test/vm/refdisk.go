package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A reference disk is an installation made on the host with sgdisk,
// mkfs.vfat, mtools and mkfs.ext4, following the on-disk contract the
// engine writes (partition names, ESP files, loader entries, Config
// files). It tests the bootable bundle on its own (firmware ->
// systemd-boot -> kernel -> node initramfs -> slot -> marker) and gives
// lifecycle tests a known starting disk, independent of the engine.

// RefSlot is one installed slot of a reference disk.
type RefSlot struct {
	Slot   string // "A" or "B"
	Bundle string // bundle folder
	Entry  string // loader entry file name; default "node-<slot>.conf" (boot counting: "node-B+3.conf")
}

// RefDisk describes a reference disk image.
type RefDisk struct {
	Path     string
	Size     int64 // default 1 GiB
	Slots    []RefSlot
	Hostname string // written to Config:/hostname
	// Options are the kernel arguments after root= and node.slot=;
	// default "console=ttyS0 panic=-1 quiet".
	Options string
}

// Reference layout in MiB: EFI, RootA, RootB, Config (1 MiB aligned).
var refParts = []struct {
	Name, Type string
	MiB        int64
}{
	{"EFI", "ef00", 64}, {"RootA", "8304", 64}, {"RootB", "8304", 64}, {"Config", "8300", 16},
}

// MakeReferenceDisk writes the reference disk r.
func MakeReferenceDisk(ctx context.Context, r RefDisk) error {
	if r.Size == 0 {
		r.Size = GiB
	}
	if r.Options == "" {
		r.Options = "console=ttyS0 panic=-1 quiet"
	}
	if err := CreateSparse(r.Path, r.Size); err != nil {
		return err
	}
	args := []string{"-Z"}
	offsets := map[string]int64{}
	start := int64(1) // MiB
	for i, p := range refParts {
		n := strconv.Itoa(i + 1)
		args = append(args, "-n", fmt.Sprintf("%s:%d:%d", n, start*2048, (start+p.MiB)*2048-1), "-t", n+":"+p.Type, "-c", n+":"+p.Name)
		offsets[p.Name] = start << 20
		start += p.MiB
	}
	if _, err := run(ctx, "", "sgdisk", append(args, r.Path)...); err != nil {
		return fmt.Errorf("reference disk (install gdisk): %w", err)
	}
	tmp, err := os.MkdirTemp("", "vm-ref-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	esp := filepath.Join(tmp, "esp.img")
	if err := r.makeESP(ctx, esp, tmp); err != nil {
		return err
	}
	if err := copyInto(r.Path, esp, offsets["EFI"]); err != nil {
		return err
	}
	for _, s := range r.Slots {
		if err := copyInto(r.Path, filepath.Join(s.Bundle, BundleRoot), offsets["Root"+s.Slot]); err != nil {
			return err
		}
	}
	cfgDir := filepath.Join(tmp, "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "hostname"), []byte(r.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	cfg := filepath.Join(tmp, "config.img")
	if err := CreateSparse(cfg, 16<<20); err != nil {
		return err
	}
	if _, err := run(ctx, "", "mkfs.ext4", "-q", "-F", "-L", "node-config", "-d", cfgDir, cfg); err != nil {
		return fmt.Errorf("reference Config: %w", err)
	}
	return copyInto(r.Path, cfg, offsets["Config"])
}

func (r RefDisk) makeESP(ctx context.Context, esp, tmp string) error {
	if err := CreateSparse(esp, refParts[0].MiB<<20); err != nil {
		return err
	}
	if _, err := run(ctx, "", "mkfs.vfat", "-F", "32", "-n", "NODE-EFI", esp); err != nil {
		return fmt.Errorf("reference ESP (install dosfstools): %w", err)
	}
	put := map[string]string{} // ESP path -> host file
	dirs := []string{"/EFI", "/EFI/BOOT", "/EFI/systemd", "/loader", "/loader/entries", "/node"}
	text := func(name, content string) error {
		p := filepath.Join(tmp, strings.ReplaceAll(strings.TrimPrefix(name, "/"), "/", "_"))
		put[name] = p
		return os.WriteFile(p, []byte(content), 0o644)
	}
	if err := text("/loader/loader.conf", "timeout 0\nconsole-mode keep\neditor no\n"); err != nil {
		return err
	}
	for i, s := range r.Slots {
		m, err := ReadManifest(s.Bundle)
		if err != nil {
			return err
		}
		if i == 0 {
			put["/EFI/BOOT/BOOTX64.EFI"] = filepath.Join(s.Bundle, BundleBootloader)
			put["/EFI/systemd/systemd-bootx64.efi"] = filepath.Join(s.Bundle, BundleBootloader)
			if err := text("/node/product", m.Product+"\n"); err != nil {
				return err
			}
		}
		d := "/node/" + s.Slot
		dirs = append(dirs, d)
		put[d+"/vmlinuz"] = filepath.Join(s.Bundle, BundleKernel)
		put[d+"/initrd.img"] = filepath.Join(s.Bundle, BundleInitrd)
		if err := text(d+"/version", m.Version+"\n"); err != nil {
			return err
		}
		entry := s.Entry
		if entry == "" {
			entry = "node-" + s.Slot + ".conf"
		}
		conf := fmt.Sprintf("title %s %s (slot %s)\nversion %s\nlinux %s/vmlinuz\ninitrd %s/initrd.img\noptions root=PARTLABEL=Root%s node.slot=%s %s\n",
			m.Product, m.Version, s.Slot, m.Version, d, d, s.Slot, s.Slot, r.Options)
		if err := text("/loader/entries/"+entry, conf); err != nil {
			return err
		}
	}
	env := append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	mm := append([]string{"-i", esp}, dirs...)
	if err := runEnv(ctx, env, "mmd", mm...); err != nil {
		return fmt.Errorf("reference ESP (install mtools): %w", err)
	}
	for dst, src := range put {
		if err := runEnv(ctx, env, "mcopy", "-i", esp, src, "::"+dst); err != nil {
			return err
		}
	}
	return nil
}

func runEnv(ctx context.Context, env []string, name string, args ...string) error {
	cmd := execCommand(ctx, name, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// copyInto writes the file src into the image dst at offset, skipping
// all-zero blocks so sparse inputs stay sparse.
func copyInto(dst, src string, offset int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	for pos := int64(0); ; {
		n, rerr := in.ReadAt(buf, pos)
		if n > 0 && !allZero(buf[:n]) {
			if _, err := out.WriteAt(buf[:n], offset+pos); err != nil {
				return fmt.Errorf("write %s into %s: %w", src, dst, err)
			}
		}
		pos += int64(n)
		if rerr != nil {
			break
		}
	}
	return out.Sync()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
