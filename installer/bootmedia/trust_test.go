package bootmedia

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/installer/media"
)

// TestBuildChecksTrustKeys: media build refuses, before anything else, a
// bundle its own --trust-key keys do not verify (the media would install
// nothing), and --require-config-signature without keys; the live
// system's trust files are the keys and the marker.
func TestBuildChecksTrustKeys(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	if err := media.BuildDemo(bundle, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	demoPub := filepath.Join(dir, "demo.pub")
	os.WriteFile(demoPub, []byte(media.DemoKeys().Lines()), 0o644)
	otherPub := filepath.Join(dir, "other.pub")
	os.WriteFile(otherPub, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl other\n"), 0o644)
	for _, c := range []struct {
		name string
		s    Spec
		want string
	}{
		{"bundle not signed by the trusted key", Spec{Bundle: bundle, TrustKeys: []string{otherPub}}, "which is not one of the 1 trusted keys of --trust-key " + otherPub},
		{"key file missing", Spec{Bundle: bundle, TrustKeys: []string{filepath.Join(dir, "none.pub")}}, "--trust-key: trusted key open"},
		{"config signature without keys", Spec{Bundle: bundle, RequireConfigSignature: true}, "--require-config-signature needs --trust-key"},
	} {
		_, err := Build(context.Background(), c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	_, err := Build(context.Background(), Spec{Bundle: bundle, TrustKeys: []string{demoPub}, Out: filepath.Join(dir, "out")})
	if err == nil || errors.Is(err, media.ErrSignature) || strings.Contains(err.Error(), "--bundle") || strings.Contains(err.Error(), "--trust-key") {
		t.Errorf("a bundle signed by its trusted key: %v, want it accepted (and the build to stop later, at --installer)", err)
	}

	fs := trustFiles(media.DemoKeys(), true)
	if len(fs) != 2 || fs[0].Dst != "etc/node-installer/trusted-keys/media.pub" || string(fs[0].Data) != media.DemoKeys().Lines() ||
		fs[1].Dst != "etc/node-installer/trusted-keys/"+media.ConfigSignatureRequiredFile {
		t.Errorf("trust files %+v", fs)
	}
	if trustFiles(nil, false) != nil {
		t.Error("trust files without keys")
	}
}
