package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/storage"
)

// tmuxSession drives the real binary in a detached tmux server on its own
// socket (-L), killed when the test ends.
type tmuxSession struct {
	t    *testing.T
	sock string
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) capture() string { return s.run("capture-pane", "-p", "-J", "-t", "main") }

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.run(append([]string{"send-keys", "-t", "main"}, keys...)...)
}

// typeText sends text literally (-l), so words are not taken for key names.
func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	s.run("send-keys", "-t", "main", "-l", text)
}

// wait polls the pane until it shows every one of subs.
func (s *tmuxSession) wait(d time.Duration, subs ...string) string {
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
			return screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the pane never showed %q:\n%s", subs, screen)
	return ""
}

// tmuxBinary skips the test in -short mode or without the tools (tmux,
// go, ...), else builds the binary the tmux tests drive.
func tmuxBinary(t *testing.T, tools ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (test/deps.sh installs it)", tool)
		}
	}
	return buildBinary(t)
}

// buildBinary builds node-installer once for the tmux tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "node-installer")
	cmd := exec.Command("go", "build", "-o", bin, "node-installer/cmd/node-installer")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTmuxDemoInstall types a whole install into `node-installer demo`
// running in tmux, with TERM=linux (ASCII, LANG=C) and TERM=xterm (UTF-8),
// shrinks the window below 80x24 and back on the way, and checks the image
// files afterwards.
func TestTmuxDemoInstall(t *testing.T) {
	bin := tmuxBinary(t, "tmux", "go", "mkfs.ext4", "mkswap")
	for _, tc := range []struct{ term, lang, border string }{
		{"linux", "C", "+ Welcome ---"},
		{"xterm", "C.UTF-8", "┌ Welcome ───"},
	} {
		t.Run(tc.term, func(t *testing.T) {
			dir := t.TempDir()
			s := &tmuxSession{t: t, sock: fmt.Sprintf("node-installer-test-%d-%s", os.Getpid(), tc.term)}
			t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.sock, "kill-server").Run() })
			shell := fmt.Sprintf("%s demo --dir %s; echo DEMO-EXIT=$?; sleep 300", bin, dir)
			s.run("new-session", "-d", "-s", "main", "-x", "80", "-y", "25",
				"-e", "TERM="+tc.term, "-e", "LANG="+tc.lang, "-e", "LC_ALL=", "sh", "-c", shell)
			start := time.Now()
			s.wait(10*time.Second, tc.border, "Install 4.5.0")
			t.Logf("first screen after %v", time.Since(start))
			s.keys("Enter")
			s.wait(5*time.Second, "Keyboard layout")
			s.keys("Enter")
			s.wait(5*time.Second, "Install on which disk?", "disk1.img", "disk2.img")
			s.keys("F10")
			s.wait(5*time.Second, "Use further disks for data?")
			s.keys("Space")
			s.wait(5*time.Second, "[x] file disk2.img")
			s.keys("F10")
			s.wait(5*time.Second, "Sizes in MiB", "disk2.img 16.0 GiB (data disk)")

			// Too small, then back: the notice, then the page as it was.
			s.run("resize-window", "-t", "main", "-x", "60", "-y", "20")
			s.wait(5*time.Second, "Terminal too small", "60x20")
			s.run("resize-window", "-t", "main", "-x", "80", "-y", "25")
			s.wait(5*time.Second, "Sizes in MiB", "disk2.img 16.0 GiB (data disk)")

			s.keys("F10")
			s.wait(5*time.Second, "Management NIC", "this machine's NICs are")
			s.keys("F10")
			s.wait(5*time.Second, "Password of the admin account")
			s.typeText("Demo-pass-12")
			s.keys("Tab")
			s.typeText("Demo-pass-12")
			s.wait(5*time.Second, "strong")
			// A double F10 and then a held one (key repeat): Confirm, the
			// dialog, and nothing written; a held Enter does not answer it.
			s.keys("F10", "F10")
			s.keys("F10", "F10", "F10", "F10", "F10", "F10")
			screen := s.wait(5*time.Second, "ERASED          disk1.img", "ERASED          disk2.img", "Type ERASE")
			if strings.Contains(screen, "Demo-pass-12") {
				t.Fatalf("the password is on the screen:\n%s", screen)
			}
			s.keys("Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter")
			time.Sleep(300 * time.Millisecond)
			s.wait(5*time.Second, "Type ERASE")
			for _, img := range []string{"disk1.img", "disk2.img"} {
				if d, err := storage.ProbeImage(filepath.Join(dir, img)); err != nil || d.Table != "" || len(d.Partitions) > 0 {
					t.Fatalf("%s written before ERASE was typed: table %q, %v", img, d.Table, err)
				}
			}
			time.Sleep(1100 * time.Millisecond) // the dialog ignores keys for a second
			s.typeText("ERASE")
			s.keys("Enter")
			s.wait(2*time.Minute, "node 4.5.0 was installed on", "Reboot")
			s.keys("Enter")
			out := s.wait(10*time.Second, "DEMO-EXIT=0", "Look at the result with:", "inspect "+filepath.Join(dir, "disk1.img"))
			t.Logf("after the TUI:\n%s", strings.TrimSpace(out))

			// The command the demo printed, run as a newcomer would.
			insp, err := exec.Command(bin, "inspect", filepath.Join(dir, "disk1.img")).CombinedOutput()
			if err != nil || !strings.Contains(string(insp), "installation: node") || !strings.Contains(string(insp), "slot A: 4.5.0, default") {
				t.Errorf("node-installer inspect: %v\n%s", err, insp)
			}
			for path, want := range map[string]string{"disk1.img": "EFI RootA RootB Config Logging Swap Data", "disk2.img": "Data2"} {
				d, err := storage.ProbeImage(filepath.Join(dir, path))
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, p := range d.Partitions {
					names = append(names, p.PartLabel)
				}
				if got := strings.Join(names, " "); d.Table != "gpt" || got != want {
					t.Errorf("%s: table %q partitions %q, want gpt %q", path, d.Table, got, want)
				}
			}
		})
	}
}
