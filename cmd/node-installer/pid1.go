package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"node-installer/installer"
)

// PID 1 of an installer initramfs: the kernel panics when init exits,
// so the run ends by powering off, rebooting or halting (node.after),
// and a failed run stays on the console with its error and never reboots.

// pid1Setup mounts the API filesystems a bare initramfs may lack (a
// target that is already a mount point is left alone: mounting over it
// would hide what /init put there), takes the console and brings the
// network up when the kernel arguments fetch over http(s) (liveNetwork).
func pid1Setup() {
	if _, err := os.Stat("/proc/self"); err != nil {
		_ = unix.Mount("proc", "/proc", "proc", 0, "")
	}
	mounted := map[string]bool{}
	if data, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) > 1 {
				mounted[f[1]] = true
			}
		}
	}
	for _, m := range []struct{ src, dir, fstype string }{
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/run", "tmpfs"},
		{"tmpfs", "/tmp", "tmpfs"},
		{"efivarfs", "/sys/firmware/efi/efivars", "efivarfs"},
	} {
		if mounted[m.dir] {
			continue
		}
		if _, err := os.Stat(m.dir); err != nil {
			continue
		}
		_ = unix.Mount(m.src, m.dir, m.fstype, 0, "")
	}
	pid1Console()
	if line, err := kernelCmdline("", false); err == nil && !liveNetTried {
		liveNetTried = true
		liveNetwork(line, os.Stderr)
	}
}

// liveNetTried: pid1Setup runs again when the default command hands over to auto.
var liveNetTried bool

// pid1Console makes the kernel's primary console (the last console=
// argument, e.g. ttyS0) the controlling terminal of PID 1 and its
// standard streams: /dev/console can never be one, and the TUI opens
// /dev/tty. Without a console device nothing changes.
func pid1Console() {
	data, err := os.ReadFile("/sys/class/tty/console/active")
	if err != nil {
		return
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return
	}
	name := f[len(f)-1]
	if name == "tty0" {
		name = "tty1" // tty0 is "the current VT", not a device of its own
	}
	fd, err := unix.Open("/dev/"+name, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return
	}
	_, _ = unix.Setsid()
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 1); err != nil {
		unix.Close(fd)
		return
	}
	for _, std := range []int{0, 1, 2} {
		_ = unix.Dup2(fd, std)
	}
	if fd > 2 {
		unix.Close(fd)
	}
	if os.Getenv("TERM") == "" {
		os.Setenv("TERM", "linux")
	}
}

// afterAction maps node.after to what happens after a successful run.
type afterAction struct {
	cmd  int    // unix.LINUX_REBOOT_CMD_*
	verb string // for the console
}

func pid1AfterOf(after string) (afterAction, bool) {
	switch after {
	case "", "reboot":
		return afterAction{unix.LINUX_REBOOT_CMD_RESTART, "rebooting"}, true
	case "poweroff":
		return afterAction{unix.LINUX_REBOOT_CMD_POWER_OFF, "powering off"}, true
	case "halt":
		return afterAction{unix.LINUX_REBOOT_CMD_HALT, "halting"}, true
	}
	return afterAction{}, false // shell
}

// pid1End never returns.
func pid1End(code int, cfg installer.Config) {
	ok := code == installer.ExitOK || code == installer.ExitInstalled
	if !ok {
		// Never reboot on failure: a reboot would PXE-boot into the same
		// failure, and the error would scroll away.
		fmt.Fprintln(os.Stderr, "\nThe node stays here. Fix the kernel arguments or the media and boot again.")
		for {
			if pid1Shell() {
				continue
			}
			time.Sleep(time.Hour)
		}
	}
	pid1Break(cfg, "pre-reboot", os.Stderr)
	a, power := pid1AfterOf(cfg.Unattended.After)
	if !power {
		pid1Shell()
		a, _ = pid1AfterOf("poweroff")
	}
	if d := cfg.Unattended.RebootDelay; d > 0 {
		fmt.Fprintf(os.Stderr, "%s in %d s\n", a.verb, d)
		time.Sleep(time.Duration(d) * time.Second)
	}
	fmt.Fprintln(os.Stderr, a.verb)
	unix.Sync()
	for {
		if err := unix.Reboot(a.cmd); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", a.verb, err)
		}
		time.Sleep(time.Minute)
	}
}

// pid1Break runs a shell at node.break=point (as oVirt Node did), when there is
// one to run; the run goes on when it exits.
func pid1Break(cfg installer.Config, point string, w *os.File) {
	if cfg.Unattended.Break != point {
		return
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		fmt.Fprintf(w, "node.break=%s: no shell in this image, going on\n", point)
		return
	}
	fmt.Fprintf(w, "node.break=%s: starting a shell; exit it to continue\n", point)
	pid1RunShell(sh)
}

// pid1Shell offers /bin/sh on the console; false when there is none.
func pid1Shell() bool {
	sh, err := exec.LookPath("sh")
	if err != nil {
		return false
	}
	fmt.Fprintln(os.Stderr, "Press Enter for a shell.")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return false
	}
	pid1RunShell(sh)
	return true
}

func pid1RunShell(sh string) {
	c := exec.Command(sh)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	_ = c.Run()
}
