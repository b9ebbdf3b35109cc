//go:build e2e

// Package e2e holds the VM end-to-end tests (build tag e2e, run by
// `make e2e`): they boot the installer initramfs in qemu against virtual
// disks, check the disks from the host, and boot the installed disks
// through OVMF and systemd-boot. See docs/testing.md.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"node-installer/test/vm"
)

// installerVersion is stamped into the node-installer built for the tests.
const installerVersion = "0.0.0-e2e"

// Image versions of the bootable test bundles.
const (
	v1 = "1.0.0"
	v2 = "2.0.0"
)

// env is what every VM test shares, built once per test binary.
type env struct {
	tc      *vm.Toolchain
	bundles map[string]string // version -> bundle folder
	binary  string            // static node-installer
	cmds    map[string]bool   // its subcommands
}

var (
	envOnce sync.Once
	envVal  *env
	envErr  error
	envSkip string
	binDir  string
)

func TestMain(m *testing.M) {
	var err error
	binDir, err = os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// setup returns the shared env, skipping the test when the machine cannot
// run VMs at all and failing it when a build fails.
func setup(t testing.TB) *env {
	t.Helper()
	envOnce.Do(func() {
		if _, err := vm.QEMU(); err != nil {
			envSkip = "needs qemu: " + err.Error() + " (make deps)"
			return
		}
		for _, c := range []string{"apt-get", "apt-cache", "dpkg", "mksquashfs", "sgdisk", "mkfs.vfat", "mcopy"} {
			if _, err := exec.LookPath(c); err != nil {
				envSkip = "needs " + c + " (Debian; make deps)"
				return
			}
		}
		envVal, envErr = build()
	})
	if envSkip != "" {
		t.Skip(envSkip)
	}
	if envErr != nil {
		t.Fatalf("build the VM artifacts: %v", envErr)
	}
	return envVal
}

func build() (*env, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	tc, err := vm.Prepare(ctx, vm.DefaultCache())
	if err != nil {
		return nil, err
	}
	tPrep := time.Since(t0)
	e := &env{tc: tc, bundles: map[string]string{}, cmds: map[string]bool{}}
	for _, v := range []string{v1, v2} {
		if e.bundles[v], err = tc.Bundle(ctx, vm.BundleSpec{Version: v}); err != nil {
			return nil, err
		}
	}
	tBundles := time.Since(t0)
	root, err := vm.RepoRoot()
	if err != nil {
		return nil, err
	}
	e.binary = filepath.Join(binDir, "node-installer")
	if err := vm.BuildInstaller(ctx, root, e.binary, installerVersion); err != nil {
		return nil, err
	}
	out, _ := exec.Command(e.binary, "--help").CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, "  ") {
			e.cmds[f[0]] = true
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: artifacts ready in %.1fs (kernel+systemd-boot %.1fs, bundles %.1fs, node-installer %.1fs); cache %s\n",
		time.Since(t0).Seconds(), tPrep.Seconds(), (tBundles - tPrep).Seconds(), (time.Since(t0) - tBundles).Seconds(), tc.Cache.Dir)
	return e, nil
}

// needCommand skips t until node-installer has the subcommand.
func (e *env) needCommand(t *testing.T, name, what string) {
	t.Helper()
	if !e.cmds[name] {
		t.Skipf("node-installer has no %q command yet (%s); commands: %s", name, what, strings.Join(keys(e.cmds), " "))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func needOVMF(t *testing.T) {
	t.Helper()
	if _, err := vm.OVMF(); err != nil {
		t.Skip(err.Error())
	}
}

// installerInitrd builds the installer initramfs for spec.
func (e *env) installerInitrd(t *testing.T, spec vm.InstallerSpec) string {
	t.Helper()
	spec.Binary = e.binary
	start := time.Now()
	p, err := e.tc.InstallerInitrd(context.Background(), spec)
	if err != nil {
		t.Fatalf("installer initramfs: %v", err)
	}
	t.Logf("timing: installer initramfs %.2fs", time.Since(start).Seconds())
	return p
}

// installerVM is the installer's VM: the installer initramfs of spec,
// booted through UEFI (so the installer sees EFI variables) with args on
// the kernel command line, powering off after a success and ending early
// on the installer's failure screen. A bundle in spec is the media.
func (e *env) installerVM(t *testing.T, name string, spec vm.InstallerSpec, args string, disks []vm.Disk) vm.Machine {
	t.Helper()
	e.needCommand(t, "auto", "the unattended run")
	spec.Disks = len(disks)
	if spec.Bundle != "" {
		if len(spec.Args) == 0 {
			spec.Args = []string{"auto", "--media", vm.MediaPath}
		}
		args = "node.media=" + vm.MediaPath + " " + args
	}
	return vm.Machine{Name: name, UEFI: true, Kernel: e.tc.Kernel.Vmlinuz(), Initrd: e.installerInitrd(t, spec),
		StopOn:  append([]string{"The node stays here"}, vm.DefaultStopOn...),
		Append:  "console=ttyS0 panic=-1 quiet node.after=poweroff " + args,
		Disks:   disks,
		Timeout: 5 * time.Minute}
}

// installWith boots the installer VM m and fails t unless the installer
// ended it by itself (power-off); PID 1 exiting shows as a kernel panic.
func installWith(t *testing.T, m vm.Machine) *vm.Result {
	t.Helper()
	res, _ := boot(t, m)
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("vm %s: %s; the installer must finish and power off by itself; last lines:\n%s", m.Name, res.Summary(), res.Tail(40))
	}
	return res
}

// bootsInto boots disk through OVMF (with the variable store vars, when
// set) and fails t unless slot A of v1 comes up with hostname.
func bootsInto(t *testing.T, name, disk, vars, hostname string) {
	t.Helper()
	boot(t, vm.Machine{Name: name, UEFI: true, UEFIVars: vars, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute},
		regexp.MustCompile(`^NODE-MARKER version=`+regexp.QuoteMeta(v1)+` slot=A hostname=`+regexp.QuoteMeta(hostname)+`$`))
}

// boot runs m with its serial log in the test's temp folder, kept under
// logs/ when the test fails, and fails t unless every want matched a
// console line. It returns the result and the submatches of each want.
func boot(t *testing.T, m vm.Machine, want ...*regexp.Regexp) (*vm.Result, [][]string) {
	t.Helper()
	if m.Log == "" {
		m.Log = filepath.Join(t.TempDir(), m.Name+".log")
	}
	keepLog(t, m.Log, m.Name)
	res, err := m.Run(context.Background())
	if err != nil {
		t.Fatalf("vm %s: %v", m.Name, err)
	}
	t.Logf("timing: vm %s %.2fs (%s)", m.Name, res.Duration.Seconds(), res.Summary())
	var found [][]string
	var missing []string
	for _, w := range want {
		sub := res.Find(w)
		if sub == nil {
			missing = append(missing, w.String())
		}
		found = append(found, sub)
	}
	if len(missing) > 0 {
		t.Fatalf("vm %s: %s; missing on the serial console: %s\nserial log kept (see above); last lines:\n%s",
			m.Name, res.Summary(), strings.Join(missing, ", "), res.Tail(40))
	}
	return res, found
}

// keepLog copies the serial log to logs/ if the test fails.
func keepLog(t *testing.T, log, name string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		data, err := os.ReadFile(log)
		if err != nil {
			return
		}
		dst := filepath.Join("logs", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name+".log")
		if err := os.MkdirAll("logs", 0o755); err == nil && os.WriteFile(dst, data, 0o644) == nil {
			abs, _ := filepath.Abs(dst)
			t.Logf("serial log of vm %s kept at %s", name, abs)
		}
	})
}

// sh runs a host command and returns its combined output, failing t.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
