package tui

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTmuxSetup runs `node-installer setup --root` in tmux with
// TERM=linux (ASCII, LANG=C) and TERM=xterm (UTF-8): the first screen,
// the too-small notice, a hostname saved through the Network page, and
// leaving with Esc.
func TestTmuxSetup(t *testing.T) {
	bin := tmuxBinary(t, "tmux", "go")
	for _, tc := range []struct{ term, lang, border string }{
		{"linux", "C", "+ Status ---"},
		{"xterm", "C.UTF-8", "┌ Status ───"},
	} {
		t.Run(tc.term, func(t *testing.T) {
			o := setupNode(t)
			facts := filepath.Join(t.TempDir(), "facts.json")
			b, _ := json.Marshal(map[string]any{"firmware": "uefi", "mem_bytes": 8 << 30, "nics": o.NICs})
			if err := os.WriteFile(facts, b, 0o644); err != nil {
				t.Fatal(err)
			}
			s := &tmuxSession{t: t, sock: fmt.Sprintf("node-installer-setup-%d-%s", os.Getpid(), tc.term)}
			t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.sock, "kill-server").Run() })
			shell := fmt.Sprintf("%s setup --root %s --facts %s; echo SETUP-EXIT=$?; sleep 300", bin, o.Root, facts)
			start := time.Now()
			s.run("new-session", "-d", "-s", "main", "-x", "80", "-y", "25",
				"-e", "TERM="+tc.term, "-e", "LANG="+tc.lang, "-e", "LC_ALL=", "sh", "-c", shell)
			s.wait(10*time.Second, tc.border, "Node 2.1 setup console", "Booted slot")
			t.Logf("first screen in tmux after %v", time.Since(start))

			s.run("resize-window", "-t", "main", "-x", "60", "-y", "20")
			s.wait(5*time.Second, "Terminal too small", "60x20")
			s.run("resize-window", "-t", "main", "-x", "80", "-y", "25")
			s.wait(5*time.Second, "Booted slot")

			s.keys("Down")
			s.wait(5*time.Second, "192.0.2.10/24")
			s.keys("Enter")
			for i := 0; i < 9; i++ {
				s.keys("Tab")
			}
			s.keys("C-u")
			s.typeText("tmux1.example.org")
			s.keys("F10")
			s.wait(5*time.Second, "Saved:", "Not applied live")
			if b, _ := os.ReadFile(filepath.Join(o.Root, "etc/hostname")); string(b) != "tmux1.example.org\n" {
				t.Errorf("/etc/hostname = %q", b)
			}
			s.keys("Escape")
			s.wait(5*time.Second, "Enter Select") // the menu
			s.keys("Escape")
			s.wait(5*time.Second, "Leave the setup console?")
			s.keys("Tab", "Enter")
			s.wait(5*time.Second, "SETUP-EXIT=0")
		})
	}
}
