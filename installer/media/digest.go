package media

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strings"

	"github.com/zeebo/blake3"
)

// Digests: every manifest entry has a SHA-256 (for admins checking files
// with sha256sum) and, from manifests written by this version on, a
// BLAKE3-256 digest. The installer verifies with BLAKE3 when the entry has
// one: 2-4 times faster than SHA-256 on the same core (docs/performance.md),
// so hashing keeps up with an NVMe disk. Both are in the signed manifest;
// either one pins the bytes.

// digestLen is the hex length of both digests (256 bits).
const digestLen = 64

// Digest names the digest an entry is verified with and its expected
// value.
type Digest struct {
	Name string // "BLAKE3" or "SHA-256", for messages
	Want string // lower-case hex
}

// Digest is the one rule for which digest verifies f: BLAKE3 when the
// manifest gives it, else SHA-256.
func (f File) Digest() Digest {
	if f.BLAKE3 != "" {
		return Digest{Name: "BLAKE3", Want: f.BLAKE3}
	}
	return Digest{Name: "SHA-256", Want: f.SHA256}
}

// New starts a hash of d's kind.
func (d Digest) New() hash.Hash {
	if d.Name == "BLAKE3" {
		return blake3.New()
	}
	return sha256.New()
}

// Check compares a finished hash with d.Want: "" when they match, else
// the hex digest that came.
func (d Digest) Check(h hash.Hash) (got string, ok bool) {
	got = hex.EncodeToString(h.Sum(nil))
	return got, got == d.Want
}

// wellFormed reports whether s is a 256-bit digest in lower-case hex.
func wellFormed(s string) bool {
	if len(s) != digestLen || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// sums hashes r with both digests in one pass (media.Create).
func sums(r io.Reader) (n int64, sha, b3 string, err error) {
	hs, hb := sha256.New(), blake3.New()
	n, err = io.Copy(io.MultiWriter(hs, hb), r)
	return n, hex.EncodeToString(hs.Sum(nil)), hex.EncodeToString(hb.Sum(nil)), err
}
