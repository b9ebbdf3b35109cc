// Command screenshots boots the media's ISO in qemu with a VGA screen
// and writes PNG screenshots (qemu's screendump) of the boot menu and
// the first pages of the installer's TUI, and the live system's other
// virtual terminals (a shell on tty2, the log on tty3), for the README
// (`make screenshots`). The TUI is on the VGA console; the serial
// console only tells this program when to take each picture.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"node-installer/test/vm"
)

func main() {
	iso := flag.String("iso", "out/media/node-1.0.0.iso", "the ISO of `make media`")
	out := flag.String("out", "docs/images", "folder for the PNG files")
	bin := flag.String("installer", "bin/node-installer", "node-installer (for media customize)")
	pages := flag.Int("pages", 5, "TUI pages to capture (Welcome and the ones F10 leads to)")
	flag.Parse()
	if err := run(*iso, *out, *bin, *pages); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(iso, out, bin string, pages int) error {
	work, err := os.MkdirTemp("", "screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// the VGA entry, the kernel log also on the serial line (the last
	// console=, tty0, carries the TUI), a menu that stays long enough
	shot := filepath.Join(work, "shot.iso")
	if b, err := exec.Command(bin, "media", "customize", iso, "--out", shot, "--default", "install",
		"--timeout", "8", "--karg", "console=ttyS0,115200").CombinedOutput(); err != nil {
		return fmt.Errorf("media customize: %v\n%s", err, b)
	}
	var disks []string
	for i := 1; i <= 2; i++ {
		d := filepath.Join(work, fmt.Sprintf("disk%d.img", i))
		if err := vm.CreateSparse(d, 20*vm.GiB); err != nil {
			return err
		}
		disks = append(disks, "-drive", "file="+d+",if=none,id=d"+fmt.Sprint(i)+",format=raw",
			"-device", fmt.Sprintf("virtio-blk-pci,drive=d%d,serial=DISK%d", i, i))
	}
	fw, err := vm.OVMF()
	if err != nil {
		return err
	}
	q, err := vm.QEMU()
	if err != nil {
		return err
	}
	sock := filepath.Join(work, "monitor.sock")
	args := append([]string{"-machine", "q35,accel=tcg", "-cpu", "max", "-m", "1024", "-nodefaults", "-no-reboot",
		"-bios", fw, "-vga", "std", "-display", "none", "-serial", "stdio", "-monitor", "unix:" + sock + ",server=on,wait=off",
		"-device", "virtio-scsi-pci,id=scsi0", "-drive", "file=" + shot + ",if=none,id=cd0,media=cdrom,readonly=on,format=raw",
		"-device", "scsi-cd,drive=cd0,bootindex=0", "-nic", "user,model=virtio-net-pci"}, disks...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, q, args...)
	serial, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// raw chunks, not lines: the boot menu is drawn without newlines
	chunks := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := serial.Read(buf)
			if n > 0 {
				chunks <- string(buf[:n])
			}
			if err != nil {
				close(chunks)
				return
			}
		}
	}()
	seen := ""
	waitFor := func(s string) error {
		for {
			if i := strings.Index(seen, s); i >= 0 {
				seen = seen[i+len(s):]
				return nil
			}
			select {
			case c, ok := <-chunks:
				if !ok {
					return fmt.Errorf("qemu ended before %q on the serial console", s)
				}
				seen += c
			case <-ctx.Done():
				return fmt.Errorf("no %q on the serial console within the timeout", s)
			}
		}
	}
	var mon net.Conn
	for i := 0; i < 50 && mon == nil; i++ {
		if mon, err = net.Dial("unix", sock); err != nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if mon == nil {
		return fmt.Errorf("qemu monitor: %v", err)
	}
	defer mon.Close()
	go func() { _, _ = bufio.NewReader(mon).WriteTo(discard{}) }()
	hmp := func(c string) error { _, err := fmt.Fprintf(mon, "%s\n", c); return err }
	dump := func(name string) error {
		p, _ := filepath.Abs(filepath.Join(out, name))
		if err := hmp("screendump " + p + " -f png"); err != nil {
			return err
		}
		time.Sleep(time.Second)
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("screendump %s: %w", name, err)
		}
		fmt.Printf("%s (%d bytes)\n", p, st.Size())
		return nil
	}
	if err := waitFor("Boot in"); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if err := dump("boot-menu.png"); err != nil {
		return err
	}
	// the live init and the TUI write to tty0 only: the kernel's start of
	// /init is the last sign on the serial line
	if err := waitFor("Run /init as init process"); err != nil {
		return err
	}
	time.Sleep(15 * time.Second) // modules, the medium and its check, the TUI's first frame
	for i := 1; i <= pages; i++ {
		if err := dump(fmt.Sprintf("tui-%d.png", i)); err != nil {
			return err
		}
		if err := hmp("sendkey f10"); err != nil {
			return err
		}
		time.Sleep(4 * time.Second)
	}
	// the other virtual terminals of the live system: a shell, the log
	for _, vt := range []struct{ key, name string }{{"alt-f2", "tty2-shell.png"}, {"alt-f3", "tty3-log.png"}} {
		if err := hmp("sendkey " + vt.key); err != nil {
			return err
		}
		time.Sleep(3 * time.Second)
		if err := dump(vt.name); err != nil {
			return err
		}
	}
	return hmp("quit")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
