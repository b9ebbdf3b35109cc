package main

import (
	"path/filepath"
	"testing"

	"node-installer/installer/media"
)

// TestMediaVerifyTrustKey: media verify checks the signature only when
// given keys, and then refuses a bundle they do not verify.
func TestMediaVerifyTrustKey(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "b")
	if err := media.BuildDemo(bundle, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(embeddedKeysDir, "demo.pub")
	_, other := newSigner(t, dir, "other")
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{bundle}, 0},
		{[]string{bundle, "--trust-key", demo}, 0},
		{[]string{bundle, "--trust-key", other}, 1},
		{[]string{bundle, "--trust-key", filepath.Join(dir, "none.pub")}, 1},
	} {
		if got := runMediaVerify(c.args); got != c.want {
			t.Errorf("media verify %v: exit %d, want %d", c.args, got, c.want)
		}
	}
}
