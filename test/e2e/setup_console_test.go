//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/test/vm"
)

// TestSetupConsoleOnSerial: the installed disk booted by OVMF runs
// `node-installer setup` on its serial console (the test image with
// nodetest.setup); through the console's keys, sent with tmux, SSH
// password login goes on and the keymap becomes fr; the next boot
// applies the Config partition with the new values.
func TestSetupConsoleOnSerial(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux (test/deps.sh installs it)")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bundle, err := e.tc.Bundle(ctx, vm.BundleSpec{Version: v1, Binary: e.binary})
	if err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	installWith(t, e.installerVM(t, "setup-installer", vm.InstallerSpec{Bundle: bundle, Exec: true},
		"storage_init=/dev/vda adminpw="+adminHash+" hostname=node1.example.org ssh_pwauth=0 keyboard=de nodetest.setup", []vm.Disk{{Path: disk}}))

	m := vm.Machine{Name: "setup-console", UEFI: true, Disks: []vm.Disk{{Path: disk}}}
	args, err := m.Args()
	if err != nil {
		t.Fatal(err)
	}
	q, err := vm.QEMU()
	if err != nil {
		t.Skip(err)
	}
	s := &tmuxPane{t: t, sock: fmt.Sprintf("node-setup-vm-%d", os.Getpid())}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pane at the end:\n%s", s.capture())
		}
		_ = exec.Command("tmux", "-L", s.sock, "kill-server").Run()
	})
	// timeout(1) bounds the VM whatever the test does
	s.run(append([]string{"new-session", "-d", "-s", "main", "-x", "80", "-y", "25", "--", "timeout", "300", q}, args...)...)
	s.run("set-option", "-t", "main", "remain-on-exit", "on")
	start := time.Now()
	s.wait(3*time.Minute, "setup console", "Booted slot")
	t.Logf("timing: setup console on the serial console %.1fs after qemu started", time.Since(start).Seconds())

	// Security: SSH password login no -> yes
	s.keys("4") // the Security page (arrow keys are escape sequences a slow serial line may split)
	s.wait(20*time.Second, "Security", "SSH password login")
	s.keys("Tab", "Tab", "Tab", "Tab")
	s.keys("Enter") // open the list
	s.keys("y", "Enter")
	s.keys("C-n") // Save (F10 on terminals that have it)
	s.wait(30*time.Second, "Saved:")
	// Keyboard: de -> fr
	s.keys("Escape")
	s.wait(20*time.Second, "Enter Select")
	s.keys("8") // Keyboard
	s.wait(20*time.Second, "keymap: us, de")
	s.keys("C-u")
	s.typeText("fr")
	s.keys("C-n")
	s.wait(30*time.Second, "Saved:")
	s.keys("Escape")
	s.wait(20*time.Second, "Enter Select")
	s.keys("Escape")
	s.wait(20*time.Second, "Leave the setup console?")
	s.keys("Tab", "Enter")
	s.wait(2*time.Minute, "reboot: Power down") // synced and off: its disk is free once qemu is gone
	if h := s.history(); !strings.Contains(h, "NODE-SETUP-EXIT rc=0") {
		t.Fatalf("the setup console did not end with 0:\n%s", h)
	}
	_ = exec.Command("tmux", "-L", s.sock, "kill-server").Run() // ends qemu if it lingers
	time.Sleep(time.Second)

	_, got := boot(t, vm.Machine{Name: "setup-console-boot2", UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute}, configRE)
	if want := "node1.example.org yes  fr"; strings.Join(got[0][1:], " ") != want {
		t.Errorf("after the console: %q, want hostname, sshd_pwauth, syslog, keymap = %q", got[0][0], want)
	}
}

// tmuxPane is a detached tmux server on its own socket (-L).
type tmuxPane struct {
	t    *testing.T
	sock string
}

func (s *tmuxPane) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// history is the pane with its scrollback (the lines before a redraw).
func (s *tmuxPane) history() string {
	out, _ := exec.Command("tmux", "-L", s.sock, "capture-pane", "-p", "-J", "-S", "-2000", "-t", "main").CombinedOutput()
	return string(out)
}

func (s *tmuxPane) capture() string {
	out, _ := exec.Command("tmux", "-L", s.sock, "capture-pane", "-p", "-J", "-t", "main").CombinedOutput()
	return string(out)
}

// keys sends each key with a pause: a serial line under emulation
// would merge an Escape and the next key into one sequence.
func (s *tmuxPane) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.run("send-keys", "-t", "main", k)
		time.Sleep(400 * time.Millisecond)
	}
}

func (s *tmuxPane) typeText(text string) {
	s.t.Helper()
	s.run("send-keys", "-t", "main", "-l", text)
	time.Sleep(400 * time.Millisecond)
}

func (s *tmuxPane) wait(d time.Duration, subs ...string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.capture()
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(screen, sub)
		}
		if ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("the pane never showed %q:\n%s", subs, screen)
}
