package media

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testSigner is a fresh key named comment.
func testSigner(t *testing.T, comment string) (ssh.Signer, Key) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, Key{Pub: s.PublicKey(), Comment: comment}
}

// TestOpenTrustedRefusals: every way a bundle can be unsigned or wrongly
// signed is refused by OpenTrusted and OpenURLTrusted with an error that
// names what failed, and accepted, marked, with node.insecure_media.
func TestOpenTrustedRefusals(t *testing.T) {
	release, releaseKey := testSigner(t, "release-2026")
	_, otherKey := testSigner(t, "someone-else")
	cases := []struct {
		name   string
		keys   Keys
		tamper func(t *testing.T, dir string)
		want   string // "" = accepted, signed
	}{
		{"signed by a trusted key", Keys{releaseKey}, nil, ""},
		{"signed, one of two trusted keys (rotation)", Keys{otherKey, releaseKey}, nil, ""},
		{"a manifest byte changed", Keys{releaseKey}, func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestName)
			b, _ := os.ReadFile(p)
			b = []byte(strings.Replace(string(b), `"version": "1.2.3"`, `"version": "1.2.4"`, 1))
			os.WriteFile(p, b, 0o644)
		}, "manifest.json does not match its signature by ssh-ed25519"},
		{"signature of another manifest", Keys{releaseKey}, func(t *testing.T, dir string) {
			other := t.TempDir()
			if err := BuildDemo(other, "9.9.9"); err != nil {
				t.Fatal(err)
			}
			if err := SignBundle(other, release); err != nil {
				t.Fatal(err)
			}
			copyFile(t, filepath.Join(other, SignatureName), filepath.Join(dir, SignatureName))
		}, "changed after signing, or the signature is another file's"},
		{"signed by an untrusted key", Keys{otherKey}, nil, "which is not one of the 1 trusted keys"},
		{"the signing key removed from the trusted keys", Keys{otherKey}, nil, "is not one of the 1 trusted keys of test keys (ssh-ed25519 " + otherKey.Fingerprint()},
		{"no trusted key at all", nil, nil, "but no key is trusted (none in test keys)"},
		{"a truncated signature", Keys{releaseKey}, func(t *testing.T, dir string) {
			p := filepath.Join(dir, SignatureName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "manifest.json.sig is not a valid SSH signature (truncated or damaged?)"},
		{"unsigned", Keys{releaseKey}, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, SignatureName))
		}, "manifest.json is not signed (no manifest.json.sig beside it)"},
		{"signed for another namespace", Keys{releaseKey}, func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
			sig, err := Sign(data, release, "git")
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, SignatureName), sig, 0o644)
		}, `made for namespace "git", expected "node-installer-media"`},
		{"signature over the cap", Keys{releaseKey}, func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(dir, SignatureName), SignatureMax+1)
		}, "larger than"},
	}
	for _, c := range cases {
		for _, remote := range []bool{false, true} {
			name := c.name + map[bool]string{false: " (local)", true: " (HTTP)"}[remote]
			t.Run(name, func(t *testing.T) {
				dir := demo(t)
				if err := SignBundle(dir, release); err != nil {
					t.Fatal(err)
				}
				if c.tamper != nil {
					c.tamper(t, dir)
				}
				open := func(tr Trust) (*Bundle, error) {
					if remote {
						return OpenURLTrusted(context.Background(), serveBundle(t, dir, nil), fastRemote, tr)
					}
					return OpenTrusted(dir, tr)
				}
				b, err := open(Trust{Keys: c.keys, KeysFrom: "test keys"})
				if c.want == "" {
					if err != nil || !b.Verdict.Signed || b.Verdict.Signer.Comment != "release-2026" {
						t.Fatalf("open = %+v, %v; want signed by release-2026", b, err)
					}
					if got := b.Verdict.String(); !strings.HasPrefix(got, "signed by ssh-ed25519 SHA256:") || !strings.HasSuffix(got, "(release-2026)") {
						t.Errorf("Verdict = %q", got)
					}
					return
				}
				if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("open = %v\nwant ErrSignature naming %q", err, c.want)
				}
				if !strings.Contains(err.Error(), "node.insecure_media") {
					t.Errorf("the error does not say node.insecure_media would accept it: %v", err)
				}
				b, err = open(Trust{Keys: c.keys, Insecure: true})
				if err != nil || b.Verdict.Signed || !b.Verdict.Insecure || !strings.Contains(b.Verdict.String(), "NOT VERIFIED (node.insecure_media)") {
					t.Fatalf("insecure open = %+v, %v; want accepted and marked NOT VERIFIED", b, err)
				}
			})
		}
	}
}

// TestSignatureFromSSHKeygen: a bundle signed by the admin's standard
// tool, `ssh-keygen -Y sign`, verifies with its .pub as the trusted key,
// and one the library signs verifies with `ssh-keygen -Y verify`.
func TestSignatureFromSSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed (openssh-client)")
	}
	dir := demo(t)
	key := filepath.Join(t.TempDir(), "release")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "release@example.org", "-f", key)
	os.Remove(filepath.Join(dir, SignatureName))
	run(t, "ssh-keygen", "-Y", "sign", "-f", key, "-n", MediaNamespace, filepath.Join(dir, ManifestName))
	keys, err := LoadKeys(false, key+".pub")
	if err != nil || len(keys) != 1 {
		t.Fatalf("LoadKeys = %v, %v", keys, err)
	}
	b, err := OpenTrusted(dir, Trust{Keys: keys})
	if err != nil || b.Verdict.Signer.Comment != "release@example.org" {
		t.Fatalf("OpenTrusted of an ssh-keygen signature = %+v, %v", b, err)
	}

	// The other way: the demo signature, checked by ssh-keygen.
	dir = demo(t)
	signers := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(signers, []byte("demo "+DemoKeys()[0].Line()+"\n"), 0o644)
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", signers, "-I", "demo", "-n", MediaNamespace, "-s", filepath.Join(dir, SignatureName))
	cmd.Stdin, _ = os.Open(filepath.Join(dir, ManifestName))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y verify of the demo bundle: %v: %s", err, out)
	}
}

func TestLoadKeys(t *testing.T) {
	d := t.TempDir()
	_, a := testSigner(t, "a")
	_, b := testSigner(t, "b")
	os.WriteFile(filepath.Join(d, "a.pub"), []byte("# release key\n"+a.Line()+"\n\n"), 0o644)
	os.WriteFile(filepath.Join(d, "b.pub"), []byte(b.Line()+"\n"+a.Line()+"\n"), 0o644)
	os.WriteFile(filepath.Join(d, "README"), []byte("not a key"), 0o644)
	ks, err := LoadKeys(false, d)
	if err != nil || len(ks) != 2 || ks[0].Comment != "a" || ks[1].Comment != "b" {
		t.Fatalf("LoadKeys(dir) = %v, %v; want a, b once each", ks, err)
	}
	if ks, err := LoadKeys(true, filepath.Join(d, "missing")); err != nil || len(ks) != 0 {
		t.Errorf("optional missing path = %v, %v", ks, err)
	}
	if _, err := LoadKeys(false, filepath.Join(d, "missing")); err == nil {
		t.Error("a missing --trust-key file was accepted")
	}
	if _, err := LoadKeys(false, filepath.Join(d, "README")); err == nil || !strings.Contains(err.Error(), "README line 1: not an SSH public key") {
		t.Errorf("a file that is no key: %v", err)
	}
	if _, err := LoadKeys(false, "/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero as a key file: %v", err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
