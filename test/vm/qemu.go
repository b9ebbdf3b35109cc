package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Disk is a raw disk image attached as a virtio disk (vda, vdb... in order).
type Disk struct {
	Path   string
	Serial string // virtio serial (at most 20 bytes), "" for none
}

// Machine is one qemu run. The VM always runs under a hard timeout with the
// serial console captured; qemu runs with -no-reboot, so a guest reboot, a
// power-off or a panic (with panic=-1) all end the run.
type Machine struct {
	Name   string // for messages
	Kernel string // direct kernel boot: kernel, initrd, command line
	Initrd string
	Append string
	// UEFI boots through OVMF: the disks' ESP (systemd-boot), or Kernel
	// directly as an EFI program (the installer then sees EFI variables).
	UEFI bool
	// UEFIVars, with UEFI, is a writable copy of the firmware's variable
	// store (see NewUEFIVars): the firmware then runs from pflash and boot
	// entries (efibootmgr) persist across runs sharing the file. Without
	// it, -bios OVMF.fd keeps variables for one run only.
	UEFIVars string
	Disks    []Disk
	// CDROM is an ISO image attached as a CD (virtio-scsi: the cloud
	// kernel has no AHCI) and booted first; without UEFI the machine
	// boots it with SeaBIOS.
	CDROM  string
	MemMiB int // default 1024
	SMP    int // default 1: two VMs fit the 2 cores of CI
	// Timeout ends the VM (killed by PID); default 5 minutes.
	Timeout time.Duration
	// Log is the serial log file (one host-timestamped line per guest line).
	Log string
	// StopOn ends the VM as soon as one of these strings is on the serial
	// console (a firmware shell, a kernel panic): no point waiting for the
	// timeout.
	StopOn []string
	Extra  []string // more qemu arguments
}

// Result is what a VM run left.
type Result struct {
	Lines     []string      // serial console lines, \r stripped
	Duration  time.Duration // wall time of qemu (not counting the wait for a VM slot)
	ExitCode  int
	TimedOut  bool
	StoppedOn string // the StopOn string that ended the run
	Log       string
}

// DefaultStopOn are consoles a test never wants to wait out.
var DefaultStopOn = []string{"Kernel panic - not syncing", "UEFI Interactive Shell", "Shell> "}

var (
	slotsOnce sync.Once
	slots     chan struct{}
)

// Parallel is how many VMs run at once: $NODE_VM_PARALLEL, else
// min(2, CPUs) (each VM uses one core under emulation).
func Parallel() int {
	if n, err := strconv.Atoi(os.Getenv("NODE_VM_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return min(2, runtime.NumCPU())
}

// OVMF returns the firmware image ($NODE_VM_OVMF or the ovmf package's).
func OVMF() (string, error) {
	cands := []string{os.Getenv("NODE_VM_OVMF"), "/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF.fd", "/usr/share/qemu/OVMF.fd"}
	for _, c := range cands {
		if c != "" {
			if _, err := os.Stat(c); err == nil {
				return c, nil
			}
		}
	}
	return "", errors.New("OVMF firmware not found: install the ovmf package (or set NODE_VM_OVMF)")
}

// OVMFPflash returns the split firmware: code and the pristine variable
// store ($NODE_VM_OVMF_CODE and $NODE_VM_OVMF_VARS, or the ovmf package's 4M pair).
func OVMFPflash() (code, vars string, err error) {
	code, vars = os.Getenv("NODE_VM_OVMF_CODE"), os.Getenv("NODE_VM_OVMF_VARS")
	if code == "" || vars == "" {
		code, vars = "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"
	}
	for _, p := range []string{code, vars} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("OVMF pflash firmware: %w (install ovmf)", err)
		}
	}
	return code, vars, nil
}

// NewUEFIVars copies the pristine variable store to path, for
// Machine.UEFIVars.
func NewUEFIVars(path string) error {
	_, vars, err := OVMFPflash()
	if err != nil {
		return err
	}
	return copyFile(vars, path)
}

// QEMU returns the qemu binary ($NODE_VM_QEMU or qemu-system-x86_64).
func QEMU() (string, error) {
	q := os.Getenv("NODE_VM_QEMU")
	if q == "" {
		q = "qemu-system-x86_64"
	}
	p, err := exec.LookPath(q)
	if err != nil {
		return "", fmt.Errorf("%s not found: install qemu-system-x86: %w", q, err)
	}
	return p, nil
}

// Args returns the qemu command line of m (without the binary).
func (m Machine) Args() ([]string, error) {
	mem, smp := m.MemMiB, m.SMP
	if mem == 0 {
		mem = 1024
	}
	if smp == 0 {
		smp = 1
	}
	accel := os.Getenv("NODE_VM_ACCEL") // KVM here is a nested flavour stock kernels hang on: TCG by default
	if accel == "" {
		accel = "tcg"
	}
	a := []string{"-machine", "q35,accel=" + accel, "-cpu", "max", "-m", strconv.Itoa(mem), "-smp", strconv.Itoa(smp),
		// -nodefaults: no CD-ROM for OVMF to try first (+4 s)
		"-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio", "-monitor", "none"}
	switch {
	case m.UEFI && m.UEFIVars != "":
		code, _, err := OVMFPflash()
		if err != nil {
			return nil, err
		}
		a = append(a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+strings.ReplaceAll(code, ",", ",,"),
			"-drive", "if=pflash,format=raw,unit=1,file="+strings.ReplaceAll(m.UEFIVars, ",", ",,"))
	case m.UEFI:
		fw, err := OVMF()
		if err != nil {
			return nil, err
		}
		a = append(a, "-bios", fw)
	}
	switch {
	case m.Kernel != "": // with UEFI too: OVMF starts the kernel's EFI stub
		a = append(a, "-kernel", m.Kernel)
		if m.Initrd != "" {
			a = append(a, "-initrd", m.Initrd)
		}
		if m.Append != "" {
			a = append(a, "-append", m.Append)
		}
	case !m.UEFI && m.CDROM == "":
		return nil, fmt.Errorf("vm %s: neither a kernel, UEFI nor a CD to boot", m.Name)
	}
	if m.CDROM != "" {
		a = append(a, "-device", "virtio-scsi-pci,id=scsi0",
			"-drive", "file="+strings.ReplaceAll(m.CDROM, ",", ",,")+",if=none,id=cd0,media=cdrom,readonly=on,format=raw",
			"-device", "scsi-cd,drive=cd0,bootindex=0")
	}
	for i, d := range m.Disks {
		if strings.ContainsAny(d.Serial, ", ") || len(d.Serial) > 20 {
			return nil, fmt.Errorf("vm %s: disk %d serial %q: want at most 20 bytes without commas or spaces", m.Name, i, d.Serial)
		}
		// qemu option values escape a comma by doubling it; serial= lives on
		// the device (this qemu refuses it on -drive)
		id := "disk" + strconv.Itoa(i)
		dev := "virtio-blk-pci,drive=" + id
		if d.Serial != "" {
			dev += ",serial=" + d.Serial
		}
		a = append(a, "-drive", "file="+strings.ReplaceAll(d.Path, ",", ",,")+",if=none,id="+id+",format=raw,cache=unsafe",
			"-device", dev)
	}
	return append(a, m.Extra...), nil
}

// Run boots m and waits until the VM ends, times out or shows a StopOn
// string. The error is only about running qemu at all; callers judge the
// console with Result.
func (m Machine) Run(ctx context.Context) (*Result, error) {
	q, err := QEMU()
	if err != nil {
		return nil, err
	}
	args, err := m.Args()
	if err != nil {
		return nil, err
	}
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	slotsOnce.Do(func() { slots = make(chan struct{}, Parallel()) })
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-slots }()

	var logw io.Writer = io.Discard
	if m.Log != "" {
		f, err := os.Create(m.Log)
		if err != nil {
			return nil, fmt.Errorf("vm %s: serial log: %w", m.Name, err)
		}
		defer f.Close()
		fmt.Fprintf(f, "# %s %s\n", q, strings.Join(args, " "))
		logw = f
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, q, args...)
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout // qemu's own complaints land in the log too
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("vm %s: start qemu: %w", m.Name, err)
	}
	res := &Result{Log: m.Log}
	stopOn := m.StopOn
	if stopOn == nil {
		stopOn = DefaultStopOn
	}
	res.StoppedOn = scanConsole(stdout, logw, start, stopOn, &res.Lines)
	if res.StoppedOn != "" {
		cancel() // kills qemu (by its PID)
	}
	werr := cmd.Wait()
	res.Duration = time.Since(start)
	res.TimedOut = runCtx.Err() == context.DeadlineExceeded && res.StoppedOn == ""
	res.ExitCode = cmd.ProcessState.ExitCode()
	fmt.Fprintf(logw, "# qemu exit=%d wall=%.2fs timed_out=%v stopped_on=%q wait=%v\n",
		res.ExitCode, res.Duration.Seconds(), res.TimedOut, res.StoppedOn, werr)
	return res, nil
}

// scanConsole copies the console to the log line by line and returns the
// first StopOn string seen. Partial lines are checked too: a firmware
// prompt ("Shell> ") ends no line.
func scanConsole(r io.Reader, logw io.Writer, start time.Time, stopOn []string, lines *[]string) string {
	br := bufio.NewReaderSize(r, 64*1024)
	var cur strings.Builder
	stopped := ""
	emit := func() {
		l := ansiRE.ReplaceAllString(strings.ReplaceAll(cur.String(), "\r", ""), "")
		*lines = append(*lines, l)
		fmt.Fprintf(logw, "[%8.3f] %s\n", time.Since(start).Seconds(), l)
		cur.Reset()
	}
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		for _, b := range buf[:n] {
			if b == '\n' {
				emit()
				continue
			}
			cur.WriteByte(b)
		}
		if stopped == "" {
			for _, s := range stopOn {
				if strings.Contains(cur.String(), s) || (len(*lines) > 0 && containsRecent(*lines, s)) {
					stopped = s
					break
				}
			}
		}
		if err != nil || stopped != "" {
			if cur.Len() > 0 {
				emit()
			}
			if stopped != "" {
				go io.Copy(io.Discard, br) // drain until qemu dies
			}
			return stopped
		}
	}
}

// ansiRE matches terminal control sequences (OVMF clears the screen
// before the kernel's first line; tview draws with them): stripped from
// Lines so markers can be matched at the start of a line.
var ansiRE = regexp.MustCompile(`\x1b(\[[0-9;?=<>]*[ -/]*[@-~]|[@-Z\\-_]|[c78=>])`)

// containsRecent checks the last few lines (those completed by this read).
func containsRecent(lines []string, s string) bool {
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-8; i-- {
		if strings.Contains(lines[i], s) {
			return true
		}
	}
	return false
}

// Find returns the submatches of the first console line matching re.
func (r *Result) Find(re *regexp.Regexp) []string {
	for _, l := range r.Lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m
		}
	}
	return nil
}

// Has reports whether a console line contains s.
func (r *Result) Has(s string) bool {
	for _, l := range r.Lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// Tail returns the last n console lines.
func (r *Result) Tail(n int) string {
	from := max(0, len(r.Lines)-n)
	return strings.Join(r.Lines[from:], "\n")
}

// Summary says how the run ended, for failure messages.
func (r *Result) Summary() string {
	switch {
	case r.TimedOut:
		return fmt.Sprintf("timed out after %.1fs (killed)", r.Duration.Seconds())
	case r.StoppedOn != "":
		return fmt.Sprintf("stopped on %q after %.1fs", r.StoppedOn, r.Duration.Seconds())
	}
	return fmt.Sprintf("qemu exited %d after %.1fs", r.ExitCode, r.Duration.Seconds())
}
