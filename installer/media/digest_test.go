package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestDigestKnownAnswers: the BLAKE3 is the real BLAKE3-256 (the
// reference test vectors), so b3sum agrees with the manifest.
func TestDigestKnownAnswers(t *testing.T) {
	for in, want := range map[string]string{
		"":    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
		"abc": "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
	} {
		_, sha, b3, err := sums(strings.NewReader(in))
		if err != nil || b3 != want {
			t.Errorf("BLAKE3(%q) = %s, %v; want %s", in, b3, err, want)
		}
		if s := sha256.Sum256([]byte(in)); sha != hex.EncodeToString(s[:]) {
			t.Errorf("SHA-256(%q) = %s", in, sha)
		}
	}
}

// TestVerifyPrefersBLAKE3: with both digests the stream is checked with
// BLAKE3 (a wrong BLAKE3 fails even when the SHA-256 matches); a manifest
// without blake3 (older builds) is checked with SHA-256.
func TestVerifyPrefersBLAKE3(t *testing.T) {
	data := bytes.Repeat([]byte("root image "), 100000)
	n, sha, b3, _ := sums(bytes.NewReader(data))
	_, otherSHA, otherB3, _ := sums(strings.NewReader("something else"))
	cases := []struct {
		name    string
		f       File
		wantErr string
	}{
		{"both digests", File{SHA256: sha, BLAKE3: b3}, ""},
		{"BLAKE3 wrong, SHA-256 right", File{SHA256: sha, BLAKE3: otherB3}, "has BLAKE3 " + b3 + ", manifest says " + otherB3},
		{"SHA-256 only (an older manifest)", File{SHA256: sha}, ""},
		{"SHA-256 only, wrong", File{SHA256: otherSHA}, "has SHA-256 " + sha},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.f.Name, c.f.Role, c.f.Size = "root.squashfs", RoleRootfs, n
			v := NewVerifier(c.f)
			for p := data; len(p) > 0; p = p[min(len(p), 4096):] {
				v.Write(p[:min(len(p), 4096)])
			}
			err := v.Check()
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Check = %v, want ErrVerify naming %q", err, c.wantErr)
			}
		})
	}
}

// TestCreateWritesBothDigests: a new manifest carries SHA-256 and BLAKE3
// for every file, and Check refuses a malformed blake3.
func TestCreateWritesBothDigests(t *testing.T) {
	dir := demo(t)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Manifest.Files {
		if !wellFormed(f.SHA256) || !wellFormed(f.BLAKE3) || f.Digest().Name != "BLAKE3" {
			t.Errorf("%s: sha256 %q blake3 %q", f.Name, f.SHA256, f.BLAKE3)
		}
	}
	m := b.Manifest
	m.Files[0].BLAKE3 = strings.ToUpper(m.Files[0].BLAKE3)
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "blake3") {
		t.Errorf("Check of an upper-case blake3 = %v", err)
	}
}

// BenchmarkDigest compares the two digests on 4 MiB writes, what the slot
// writer hands the Verifier (docs/performance.md).
func BenchmarkDigest(b *testing.B) {
	buf := bytes.Repeat([]byte{0x5a, 0x17, 0xc3, 0x99}, 1<<20)
	for _, d := range []Digest{{Name: "SHA-256"}, {Name: "BLAKE3"}} {
		b.Run(d.Name, func(b *testing.B) {
			h := d.New()
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				h.Write(buf)
			}
			h.Sum(nil)
		})
	}
}
