// Package media reads and writes the image bundle an install writes from:
// manifest.json (product, version, release and, per file, its role, size
// and SHA-256) next to the files themselves. Every byte read through a
// Bundle is verified against the manifest while it streams, so a bad
// image is detected in the same pass that writes it to disk.
package media

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ManifestName is the manifest's file name inside a bundle directory.
const ManifestName = "manifest.json"

// Role is what a bundle file is for.
type Role string

// File roles. Every bundle holds exactly one file of each.
const (
	RoleKernel     Role = "kernel"
	RoleInitrd     Role = "initrd"
	RoleRootfs     Role = "rootfs"
	RoleBootloader Role = "bootloader"
)

// Roles lists the roles in manifest order.
var Roles = []Role{RoleKernel, RoleInitrd, RoleRootfs, RoleBootloader}

// DefaultNames are the file names Create looks for, per role.
var DefaultNames = map[Role]string{
	RoleKernel:     "vmlinuz",
	RoleInitrd:     "initrd.img",
	RoleRootfs:     "root.squashfs",
	RoleBootloader: "systemd-bootx64.efi",
}

// ErrVerify is wrapped by every size or checksum mismatch found while
// streaming a file.
var ErrVerify = errors.New("media verification failed")

// File is one manifest entry.
type File struct {
	Name   string `json:"name"` // base name inside the bundle directory
	Role   Role   `json:"role"`
	Size   int64  `json:"size"`   // bytes
	SHA256 string `json:"sha256"` // lower-case hex
	// BLAKE3 is the BLAKE3-256 digest (lower-case hex), what the
	// installer verifies with when present (see digest.go).
	BLAKE3 string `json:"blake3,omitempty"`
}

// Manifest is manifest.json.
type Manifest struct {
	Product string `json:"product"`
	Version string `json:"version"`
	Release string `json:"release,omitempty"`
	Files   []File `json:"files"`
	// TrustedKeys (authorized_keys lines) are the keys a node installed
	// or upgraded from this bundle trusts for its next upgrade: how keys
	// are rotated. Covered by the signature like everything else; when
	// empty the node keeps the keys it has (or the ones it was installed
	// with).
	TrustedKeys []string `json:"trusted_keys,omitempty"`
}

// Keys parses TrustedKeys.
func (m Manifest) Keys() (Keys, error) {
	return ParseKeys([]byte(strings.Join(m.TrustedKeys, "\n")), ManifestName+" trusted_keys")
}

// File returns the manifest entry of role.
func (m Manifest) File(role Role) (File, bool) {
	for _, f := range m.Files {
		if f.Role == role {
			return f, true
		}
	}
	return File{}, false
}

// Check returns every problem of the manifest itself (no file access):
// missing product or version, unknown or repeated roles, names that are
// not plain file names, negative sizes, malformed hashes.
func (m Manifest) Check() error {
	var errs []error
	if strings.TrimSpace(m.Product) == "" {
		errs = append(errs, errors.New(`"product" is empty, expected the product name`))
	}
	if strings.TrimSpace(m.Version) == "" || strings.ContainsAny(m.Version, " \t\n/") {
		errs = append(errs, fmt.Errorf(`"version" %q: expected a version without spaces or slashes`, m.Version))
	}
	seen := map[Role]bool{}
	names := map[string]bool{}
	for i, f := range m.Files {
		at := fmt.Sprintf("files[%d] (%q)", i, f.Name)
		known := false
		for _, r := range Roles {
			known = known || f.Role == r
		}
		switch {
		case !known:
			errs = append(errs, fmt.Errorf("%s: role %q unknown, expected one of kernel, initrd, rootfs, bootloader", at, f.Role))
		case seen[f.Role]:
			errs = append(errs, fmt.Errorf("%s: role %q given twice", at, f.Role))
		}
		seen[f.Role] = true
		if f.Name == "" || f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." || f.Name == ManifestName {
			errs = append(errs, fmt.Errorf("%s: name must be a plain file name in the bundle directory", at))
		} else if names[f.Name] {
			errs = append(errs, fmt.Errorf("%s: name listed twice", at))
		}
		names[f.Name] = true
		if f.Size < 0 {
			errs = append(errs, fmt.Errorf("%s: size %d is negative", at, f.Size))
		}
		if !wellFormed(f.SHA256) {
			errs = append(errs, fmt.Errorf("%s: sha256 %q is not 64 lower-case hex digits", at, f.SHA256))
		}
		if f.BLAKE3 != "" && !wellFormed(f.BLAKE3) {
			errs = append(errs, fmt.Errorf("%s: blake3 %q is not 64 lower-case hex digits", at, f.BLAKE3))
		}
	}
	for _, r := range Roles {
		if !seen[r] {
			errs = append(errs, fmt.Errorf("no file with role %q", r))
		}
	}
	if _, err := m.Keys(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Bundle is an opened, checked bundle: a directory (Dir) or, opened by
// OpenURL, a directory URL ending in "/" (URL).
type Bundle struct {
	Dir      string
	URL      string
	Manifest Manifest
	// Verdict is the manifest signature's check by OpenTrusted or
	// OpenURL: signed by whom, or accepted insecure and why.
	Verdict Verdict
	// Trusted are the keys the signature was checked against.
	Trusted Keys
	remote  Remote
}

// Where names the bundle's directory or URL.
func (b *Bundle) Where() string {
	if b.URL != "" {
		return b.URL
	}
	return b.Dir
}

// Open reads dir/manifest.json and checks it and the files it lists
// (present, regular, of the listed size), with no signature policy: the
// Verdict says whether a signature is there, and nothing is refused for
// it. Installs open with OpenTrusted.
func Open(dir string) (*Bundle, error) {
	return OpenTrusted(dir, Trust{Insecure: true})
}

// OpenTrusted is Open under a signature policy: dir/manifest.json.sig
// must be a signature of the manifest by one of t.Keys, checked before
// anything else is read, unless t.Insecure. Hashes are checked while
// streaming (see Bundle.Open) or by Verify. All problems are reported at
// once; a refused signature is an error wrapping ErrSignature.
func OpenTrusted(dir string, t Trust) (*Bundle, error) {
	data, err := ReadSmall(filepath.Join(dir, ManifestName), ManifestMax)
	if err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	sig, err := ReadSmall(filepath.Join(dir, SignatureName), SignatureMax)
	verdict, m, err := t.checkManifest(data, sig, err, errors.Is(err, fs.ErrNotExist))
	if err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	errs := []error{m.Check()}
	for _, f := range m.Files {
		if f.Name == "" || f.Name != filepath.Base(f.Name) {
			continue // reported by Check
		}
		st, err := os.Stat(filepath.Join(dir, f.Name))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %s: %w", f.Role, f.Name, err))
		case !st.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("%s %s: not a regular file", f.Role, f.Name))
		case st.Size() != f.Size:
			errs = append(errs, fmt.Errorf("%s %s: size %d, manifest says %d", f.Role, f.Name, st.Size(), f.Size))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	return &Bundle{Dir: dir, Manifest: m, Verdict: verdict, Trusted: t.Keys}, nil
}

// checkManifest checks the manifest's bytes against its signature (sig,
// or sigErr reading it; missing: there is none) before anything else, then
// decodes it: the verdict of OpenTrusted and OpenURLTrusted.
func (t Trust) checkManifest(data, sig []byte, sigErr error, missing bool) (Verdict, Manifest, error) {
	var v Verdict
	var err error
	switch {
	case missing:
		v, err = t.Check(ManifestName, data, nil, MediaNamespace)
	case sigErr != nil:
		v, err = t.Unreadable(ManifestName, sigErr)
	default:
		v, err = t.Check(ManifestName, data, sig, MediaNamespace)
	}
	if err != nil {
		return v, Manifest{}, err
	}
	m, err := decodeManifest(data)
	return v, m, err
}

// decodeManifest parses manifest.json; unknown keys are an error.
func decodeManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%s: %w", ManifestName, err)
	}
	return m, nil
}

// Path returns the path (or URL) of role's file.
func (b *Bundle) Path(role Role) string {
	f, _ := b.Manifest.File(role)
	if b.URL != "" {
		return b.URL + url.PathEscape(f.Name)
	}
	return filepath.Join(b.Dir, f.Name)
}

// Open returns a reader of role's file that hashes while it streams. Its
// Read returns an error wrapping ErrVerify, with the last bytes or
// instead of io.EOF, when the stream has a size or SHA-256 different
// from the manifest's (a truncated, extended or corrupted file), so a
// consumer that stops at the first error never commits a bad image.
func (b *Bundle) Open(role Role) (*Reader, error) {
	f, ok := b.Manifest.File(role)
	if !ok {
		return nil, fmt.Errorf("media: no %s in the bundle", role)
	}
	if b.URL != "" {
		return NewReader(b.remote.open(b.Path(role), f.Size), f), nil
	}
	fh, err := os.Open(filepath.Join(b.Dir, f.Name))
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", role, err)
	}
	// Open checked the name; this checks what was opened (it may have
	// been swapped for a device or a FIFO since).
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		fh.Close()
		return nil, fmt.Errorf("media: open %s %s: not a regular file", role, f.Name)
	}
	return NewReader(fh, f), nil
}

// Verify streams every file once and checks size and SHA-256.
func (b *Bundle) Verify() error {
	var errs []error
	for _, f := range b.Manifest.Files {
		r, err := b.Open(f.Role)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = io.Copy(io.Discard, r)
		r.Close()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Verifier checks the bytes written to it, in order, against a manifest
// entry. It lets a consumer hash in a goroutine of its own while the same
// buffers are being written elsewhere.
type Verifier struct {
	f    File
	d    Digest
	h    hash.Hash
	n    int64
	done bool
}

// NewVerifier starts checking a stream against f, with the digest
// f.Digest names.
func NewVerifier(f File) *Verifier {
	d := f.Digest()
	return &Verifier{f: f, d: d, h: d.New()}
}

// Write hashes p. It fails once more bytes than the manifest's size came.
func (v *Verifier) Write(p []byte) (int, error) {
	v.h.Write(p)
	v.n += int64(len(p))
	if v.n > v.f.Size {
		v.done = false
		return len(p), fmt.Errorf("%w: %s %s is longer than the manifest's %d bytes", ErrVerify, v.f.Role, v.f.Name, v.f.Size)
	}
	return len(p), nil
}

// Check returns nil when exactly the manifest's bytes came and their
// digest (BLAKE3, else SHA-256) matches, and an error wrapping ErrVerify
// otherwise.
func (v *Verifier) Check() error {
	if v.n != v.f.Size {
		return fmt.Errorf("%w: %s %s ended after %d bytes, manifest says %d (truncated)", ErrVerify, v.f.Role, v.f.Name, v.n, v.f.Size)
	}
	if got, ok := v.d.Check(v.h); !ok {
		return fmt.Errorf("%w: %s %s has %s %s, manifest says %s", ErrVerify, v.f.Role, v.f.Name, v.d.Name, got, v.d.Want)
	}
	v.done = true
	return nil
}

// Verified reports whether the last Check passed.
func (v *Verifier) Verified() bool { return v.done }

// Sum is the verifying digest (File.Digest) of what came so far, in hex.
func (v *Verifier) Sum() string { return hex.EncodeToString(v.h.Sum(nil)) }

// Reader verifies a stream against a manifest entry.
type Reader struct {
	rc    io.ReadCloser
	v     *Verifier
	err   error // sticky
	split bool
}

// NewReader wraps rc (closed by Close) to verify it against f.
func NewReader(rc io.ReadCloser, f File) *Reader {
	return &Reader{rc: rc, v: NewVerifier(f)}
}

// Size is the manifest size of the stream.
func (r *Reader) Size() int64 { return r.v.f.Size }

// File is the manifest entry the stream is checked against.
func (r *Reader) File() File { return r.v.f }

// Split hands verification to the caller, who reads the raw stream and
// feeds every byte, in order, to the Verifier (from any one goroutine),
// then calls its Check. Read is not to be used after Split; Finish and
// Verified report the Verifier's verdict.
func (r *Reader) Split() (io.Reader, *Verifier) {
	r.split = true
	return r.rc, r.v
}

// Read reads, hashes and, at the end, verifies.
func (r *Reader) Read(p []byte) (int, error) {
	if r.split {
		return 0, errors.New("media: Read after Split")
	}
	if r.err != nil {
		return 0, r.err
	}
	f := r.v.f
	n, err := r.rc.Read(p)
	if n > 0 {
		if _, werr := r.v.Write(p[:n]); werr != nil {
			r.err = werr
			return n, r.err
		}
		if r.v.n == f.Size {
			// Verify on the last byte, not only at EOF: a consumer that
			// reads exactly Size bytes (a FAT file writer) never asks for EOF.
			if cerr := r.v.Check(); cerr != nil {
				r.err = cerr
				return n, r.err
			}
		}
	}
	if err == io.EOF {
		if !r.v.done {
			r.err = r.v.Check()
		}
		if r.err == nil {
			r.err = io.EOF
		}
		return n, r.err
	}
	if err != nil {
		r.err = fmt.Errorf("media: read %s %s: %w", f.Role, f.Name, err)
	}
	return n, r.err
}

// Verified reports whether the whole stream was read and matched.
func (r *Reader) Verified() bool { return r.v.done }

// Finish reads what is left (nothing, for a consumer that took Size
// bytes) and returns nil only when the whole stream matched the
// manifest. Call it after a consumer that may have dropped the last
// Read's error (io.ReadFull does, once its buffer is full). After Split
// it reads nothing and returns the Verifier's verdict.
func (r *Reader) Finish() error {
	if r.split {
		if !r.v.done {
			return r.v.Check()
		}
		return nil
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if !r.Verified() {
		f := r.v.f
		return fmt.Errorf("%w: %s %s not completely read", ErrVerify, f.Role, f.Name)
	}
	return nil
}

// Sum is the verifying digest of what was read so far (lower-case hex).
func (r *Reader) Sum() string { return r.v.Sum() }

// Close closes the underlying file.
func (r *Reader) Close() error { return r.rc.Close() }
