package installer

import (
	"os"
	"path/filepath"
	"testing"

	"node-installer/installer/media"
)

// TestNeedsConfigSignature: the argument decides; without it, the live
// system's marker file (media build --require-config-signature) does.
func TestNeedsConfigSignature(t *testing.T) {
	marked, plain := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(marked, media.ConfigSignatureRequiredFile), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg, dir string
		want     bool
	}{
		{"", plain, false},
		{"", marked, true},
		{"", "", false},
		{ConfigSignatureOptional, marked, false},
		{ConfigSignatureRequired, plain, true},
	} {
		cfg := Defaults()
		cfg.Unattended.ConfigSignature = c.arg
		if got := NeedsConfigSignature(cfg, c.dir); got != c.want {
			t.Errorf("node.config_signature=%q, live dir %q: %v, want %v", c.arg, c.dir, got, c.want)
		}
	}
}
