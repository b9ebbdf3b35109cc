package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
	"node-installer/test/vm"
)

// newSigner is a fresh Ed25519 key, its public half written to dir/name.pub.
func newSigner(t *testing.T, dir, name string) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, name+".pub")
	if err := os.WriteFile(pub, []byte(media.Keys{{Pub: s.PublicKey(), Comment: name}}.Lines()), 0o644); err != nil {
		t.Fatal(err)
	}
	return s, pub
}

func (fx autoFixture) runArgs(t *testing.T, cmdline string, extra ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	args := append([]string{"--cmdline", cmdline, "--media", fx.bundle, "--disk", fx.disk, "--log", fx.log}, extra...)
	code, _ := autoMain(args, &out, &out)
	return code, out.String()
}

func untouched(t *testing.T, disk string) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(disk, &st); err != nil || st.Blocks != 0 {
		t.Errorf("the disk image has %d blocks written (%v), want none", st.Blocks, err)
	}
}

// TestAutoSignedMediaFreshInstall: every way the media can be unsigned or
// wrongly signed stops a fresh install with the media exit code, a
// message naming what failed, and not one byte written; the good cases
// install and say who signed.
func TestAutoSignedMediaFreshInstall(t *testing.T) {
	cmd := "storage_init=%DISK%" + smallVols
	cases := []struct {
		name   string
		tamper func(t *testing.T, fx autoFixture) []string // extra args
		args   string                                      // more kernel arguments
		code   int
		want   string
	}{
		{"signed by the embedded demo key", nil, "", installer.ExitOK, "media signed by ssh-ed25519"},
		{"a manifest byte changed", func(t *testing.T, fx autoFixture) []string {
			p := filepath.Join(fx.bundle, media.ManifestName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"release": "demo"`), []byte(`"release": "dem0"`), 1), 0o644)
			return nil
		}, "", installer.ExitMedia, "manifest.json does not match its signature"},
		{"the signature of another bundle's manifest", func(t *testing.T, fx autoFixture) []string {
			other := filepath.Join(fx.dir, "other")
			if err := media.BuildDemo(other, "9.0.0"); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(other, media.SignatureName))
			os.WriteFile(filepath.Join(fx.bundle, media.SignatureName), b, 0o644)
			return nil
		}, "", installer.ExitMedia, "the signature is another file's"},
		{"a file replaced by another signed bundle's", func(t *testing.T, fx autoFixture) []string {
			other := filepath.Join(fx.dir, "other")
			if err := media.BuildDemo(other, "9.0.0"); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(other, "initrd.img"))
			os.WriteFile(filepath.Join(fx.bundle, "initrd.img"), append(b, "a longer initrd"...), 0o644)
			return nil
		}, "", installer.ExitMedia, "initrd initrd.img: size "},
		{"signed by an untrusted key", func(t *testing.T, fx autoFixture) []string {
			s, _ := newSigner(t, fx.dir, "mallory")
			media.SignBundle(fx.bundle, s)
			return nil
		}, "", installer.ExitMedia, "which is not one of the 1 trusted keys of " + "%KEYS%"},
		{"a truncated signature", func(t *testing.T, fx autoFixture) []string {
			p := filepath.Join(fx.bundle, media.SignatureName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-40], 0o644)
			return nil
		}, "", installer.ExitMedia, "manifest.json.sig is not a valid SSH signature"},
		{"unsigned", func(t *testing.T, fx autoFixture) []string {
			os.Remove(filepath.Join(fx.bundle, media.SignatureName))
			return nil
		}, "", installer.ExitMedia, "manifest.json is not signed (no manifest.json.sig beside it)"},
		{"unsigned with node.insecure_media", func(t *testing.T, fx autoFixture) []string {
			os.Remove(filepath.Join(fx.bundle, media.SignatureName))
			return nil
		}, " node.insecure_media", installer.ExitOK, "NOT VERIFIED (node.insecure_media): manifest.json is not signed"},
		{"signed by a key given with --trust-key", func(t *testing.T, fx autoFixture) []string {
			s, pub := newSigner(t, fx.dir, "release-2027")
			media.SignBundle(fx.bundle, s)
			return []string{"--trust-key", pub}
		}, "", installer.ExitOK, "(release-2027)"},
		{"signed by a key given with node.trust_key", func(t *testing.T, fx autoFixture) []string {
			s, _ := newSigner(t, fx.dir, "release-2028")
			media.SignBundle(fx.bundle, s)
			return nil
		}, " node.trust_key=%DIR%/release-2028.pub", installer.ExitOK, "(release-2028)"},
		{"node.trust_key names a key file that is not there", nil, " node.trust_key=%DIR%/none.pub", installer.ExitMedia, "--trust-key or node.trust_key: trusted key open %DIR%/none.pub: no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newAutoFixture(t)
			var extra []string
			if c.tamper != nil {
				extra = c.tamper(t, fx)
			}
			code, out := fx.runArgs(t, strings.ReplaceAll(strings.ReplaceAll(cmd+c.args, "%DISK%", fx.disk), "%DIR%", fx.dir), extra...)
			want := strings.NewReplacer("%KEYS%", embeddedKeysDir, "%DIR%", fx.dir).Replace(c.want)
			if code != c.code || !strings.Contains(out, want) {
				t.Fatalf("exit %d, want %d and %q:\n%s", code, c.code, want, out)
			}
			if c.code != installer.ExitOK {
				untouched(t, fx.disk)
				if c.tamper != nil && strings.Contains(c.want, "sign") && !strings.Contains(out, "node.insecure_media accepts it") {
					t.Errorf("the refusal does not say what would accept it:\n%s", out)
				}
				return
			}
			if rep := storage.Inspect(fx.disk); rep.Installation == nil || rep.Installation.NotFinished {
				t.Fatalf("inspect: %s", rep.Text())
			}
		})
	}
}

// TestAutoUpgradeChecksNodeKeys: an installed node stores the keys that
// verified its media; an upgrade is checked against those only (a key
// given on the command line does not help), an older signed bundle is a
// downgrade, and a manifest's trusted_keys rotate the node's keys. Every
// refusal leaves the disk's bytes as they were.
func TestAutoUpgradeChecksNodeKeys(t *testing.T) {
	fx := newAutoFixture(t)
	if code, out := fx.run(t, "storage_init="+fx.disk+smallVols); code != installer.ExitOK {
		t.Fatalf("install: exit %d:\n%s", code, out)
	}
	inst := storage.Inspect(fx.disk).Installation
	if inst == nil || !strings.Contains(inst.TrustedKeys, media.DemoKeys()[0].Line()) {
		t.Fatalf("the node does not store the demo key: %+v", inst)
	}
	mallory, malloryPub := newSigner(t, fx.dir, "mallory")
	next, nextPub := newSigner(t, fx.dir, "release-next")

	refused := func(name, cmdline, want string, code int, extra ...string) {
		t.Helper()
		before := diskDigest(t, fx.disk)
		got, out := fx.runArgs(t, cmdline, extra...)
		if got != code || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want %d and %q:\n%s", name, got, code, want, out)
		}
		if diskDigest(t, fx.disk) != before {
			t.Errorf("%s: the disk changed", name)
		}
	}
	build := func(version string, signer ssh.Signer, rotate ...string) {
		t.Helper()
		if err := media.BuildDemo(fx.bundle, version); err != nil {
			t.Fatal(err)
		}
		if len(rotate) > 0 {
			b, err := media.Open(fx.bundle)
			if err != nil {
				t.Fatal(err)
			}
			m := b.Manifest
			for _, p := range rotate {
				ks, err := media.LoadKeys(false, p)
				if err != nil {
					t.Fatal(err)
				}
				m.TrustedKeys = append(m.TrustedKeys, strings.TrimSpace(ks.Lines()))
			}
			if err := media.WriteManifest(fx.bundle, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := media.SignBundle(fx.bundle, signer); err != nil {
			t.Fatal(err)
		}
	}

	build("2.1.0", mallory)
	refused("signed by a key the node does not trust", "upgrade", "which is not one of the 1 trusted keys of the installed node", installer.ExitMedia, "--trust-key", malloryPub)

	build("1.9.0", media.DemoSigner())
	refused("an older signed bundle", "upgrade", "1.9.0", installer.ExitInvalid)

	// A rotation: 2.1.0 signed by the demo key names release-next.
	build("2.1.0", media.DemoSigner(), nextPub)
	if code, out := fx.run(t, "upgrade"); code != installer.ExitOK {
		t.Fatalf("upgrade to 2.1.0 (rotation): exit %d:\n%s", code, out)
	}
	if keys := storage.Inspect(fx.disk).Installation.TrustedKeys; strings.Contains(keys, media.DemoKeys()[0].Line()) || !strings.Contains(keys, "release-next") {
		t.Fatalf("after the rotation the node trusts:\n%s", keys)
	}
	build("2.2.0", media.DemoSigner())
	refused("signed by the removed key", "upgrade", "(release-next)", installer.ExitMedia)

	// The new key is what the node trusts now: the plan of an upgrade
	// with media it signed says so (the upgrade itself waits for slot B
	// to be marked good).
	build("2.2.0", next)
	var out bytes.Buffer
	planMain([]string{"--cmdline", "upgrade", "--disk", fx.disk, "--media", fx.bundle}, &out, &out)
	if !strings.Contains(out.String(), ": signed by ssh-ed25519 "+ssh.FingerprintSHA256(next.PublicKey())+" (release-next)") {
		t.Fatalf("plan with media signed by the new key:\n%s", out.String())
	}
}

func diskDigest(t *testing.T, p string) string {
	t.Helper()
	d, err := vm.Digest(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAutoSignatureRefusalsOnLoopDevice: the refusals of
// TestAutoSignedMediaFreshInstall on a real block device (a loop device
// holding a pattern): exit 4 naming what failed, the device's bytes
// unchanged.
func TestAutoSignatureRefusalsOnLoopDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: attaches a loop device")
	}
	fx := newAutoFixture(t)
	backing := filepath.Join(fx.dir, "loop.img")
	if err := vm.CreateSparse(backing, 3*vm.GiB); err != nil {
		t.Fatal(err)
	}
	if err := vm.FillPattern(backing, 9, 1<<20, 0, vm.GiB, 3*vm.GiB-(1<<20)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", backing).Output()
	if err != nil {
		t.Skipf("no loop device: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	before := diskDigest(t, backing)
	_, otherPub := newSigner(t, fx.dir, "other")
	// This host boots with BIOS; the node needs UEFI: a recorded UEFI
	// machine, its disks replaced by the loop device.
	profile, err := filepath.Abs("../../installer/testdata/profiles/virtio-1disk.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		tamper func()
		want   string
	}{
		{"manifest changed", func() {
			p := filepath.Join(fx.bundle, media.ManifestName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"release": "demo"`), []byte(`"release": "dem0"`), 1), 0o644)
		}, "manifest.json does not match its signature"},
		{"signed by an untrusted key", func() {
			s, _ := newSigner(t, fx.dir, "mallory")
			media.SignBundle(fx.bundle, s)
		}, "which is not one of the"},
		{"unsigned", func() { os.Remove(filepath.Join(fx.bundle, media.SignatureName)) }, "manifest.json is not signed"},
	} {
		if err := media.BuildDemo(fx.bundle, "2.0.1"); err != nil {
			t.Fatal(err)
		}
		c.tamper()
		var buf bytes.Buffer
		code, _ := autoMain([]string{"--cmdline", "storage_init=" + loop + smallVols, "--media", fx.bundle, "--disk", loop,
			"--facts", profile, "--trust-key", otherPub, "--log", fx.log}, &buf, &buf)
		if code != installer.ExitMedia || !strings.Contains(buf.String(), c.want) {
			t.Errorf("%s: exit %d, want %d and %q:\n%s", c.name, code, installer.ExitMedia, c.want, buf.String())
		}
		exec.Command("blockdev", "--flushbufs", loop).Run()
		if diskDigest(t, backing) != before {
			t.Fatalf("%s: the loop device changed", c.name)
		}
	}
}

// TestAutoInsecureMediaWarnsWebhook: media accepted by node.insecure_media
// is a warning event in the webhook (and the plan says NOT VERIFIED),
// not only a console line.
func TestAutoInsecureMediaWarnsWebhook(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	os.Remove(filepath.Join(fx.bundle, media.SignatureName))
	code, out := fx.run(t, "storage_init="+fx.disk+smallVols+" node.insecure_media node.webhook="+h.srv.URL)
	if code != installer.ExitOK || !strings.Contains(out, "media signature: NOT VERIFIED: node.insecure_media accepts unsigned or wrongly signed media") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.got {
		if p.Event == "warning" && p.Step == "media" && strings.Contains(p.Message, "NOT VERIFIED (node.insecure_media): manifest.json is not signed") {
			return
		}
	}
	t.Errorf("no media warning among the %d webhook payloads", len(h.got))
}
