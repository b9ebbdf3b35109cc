package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"node-installer/installer/media"
)

// TestMain makes the live system's embedded keys the demo key, so the
// tests install signed demo bundles as a real installer would install
// media signed by its release key.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trusted-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo.pub"), []byte(media.DemoKeys().Lines()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	embeddedKeysDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Every subcommand answers -h and --help with its usage and exit 0; bad
// flags stay a usage error (2).
func TestHelpOnEverySubcommand(t *testing.T) {
	for name, c := range commands {
		for _, h := range []string{"-h", "--help"} {
			if c.noFlags {
				if !wantsHelp([]string{h}) {
					t.Errorf("%s %s: main does not answer it", name, h)
				}
				continue
			}
			if code := c.run([]string{h}); code != 0 {
				t.Errorf("%s %s: exit %d, want 0", name, h, code)
			}
		}
		if !c.noFlags {
			if code := c.run([]string{"--no-such-flag"}); code != 2 {
				t.Errorf("%s --no-such-flag: exit %d, want 2", name, code)
			}
		}
	}
	if wantsHelp([]string{"--", "-h"}) {
		t.Error("-h after -- is an argument, not a request for help")
	}
}
