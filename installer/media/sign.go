package media

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// Signed bundles: manifest.json.sig beside manifest.json is an SSH
// signature (`ssh-keygen -Y sign -n node-installer-media`) of the
// manifest's exact bytes. The manifest holds every file's size and
// digests, so the signature covers every byte an install writes, and
// its version: an older signed bundle stays a downgrade. The verdict is
// reached in Open/OpenURL, from the manifest bytes alone, before any file
// is read or any disk written.

// SignatureName is the detached signature's file name beside the manifest.
const SignatureName = ManifestName + ".sig"

// Signature namespaces (ssh-keygen -n): a signature made for one purpose
// is never accepted for the other, nor for a git commit or a file signed
// with the same key for something else.
const (
	MediaNamespace  = "node-installer-media"
	ConfigNamespace = "node-installer-config"
)

// TrustedKeysDir is where the installer's live system holds the keys
// embedded by `media build --trust-key`: every *.pub file in it (one or
// more keys each, authorized_keys format).
const TrustedKeysDir = "/etc/node-installer/trusted-keys"

// ConfigSignatureRequiredFile, in the live system's TrustedKeysDir,
// makes node.config_signature=required the default of media built with
// `media build --require-config-signature`.
const ConfigSignatureRequiredFile = "require-config-signature"

// ErrSignature is wrapped by every refusal of an unsigned or wrongly
// signed manifest or answer file.
var ErrSignature = errors.New("signature check failed")

// Key is one trusted public key.
type Key struct {
	Pub     ssh.PublicKey
	Comment string // the key's comment (who it is), may be empty
	From    string // the file it was read from
}

// Fingerprint is the key's SHA256 fingerprint as ssh-keygen -l prints it.
func (k Key) Fingerprint() string { return ssh.FingerprintSHA256(k.Pub) }

// String names the key: type, fingerprint and comment.
func (k Key) String() string {
	s := k.Pub.Type() + " " + k.Fingerprint()
	if k.Comment != "" {
		s += " (" + k.Comment + ")"
	}
	return s
}

// Line is the key in authorized_keys format, as stored on the node.
func (k Key) Line() string {
	l := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.Pub)))
	if k.Comment != "" {
		l += " " + k.Comment
	}
	return l
}

// Keys is a set of trusted keys; several allow rotation.
type Keys []Key

// ParseKeys reads public keys in authorized_keys format (what ssh-keygen
// writes to KEY.pub), one a line; blank lines and # comments are skipped.
// A line that is not a key is an error naming from and the line.
func ParseKeys(data []byte, from string) (Keys, error) {
	var ks Keys
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: not an SSH public key (expected e.g. \"ssh-ed25519 AAAA... name\"): %v", from, i+1, err)
		}
		ks = append(ks, Key{Pub: pub, Comment: comment, From: from})
	}
	return ks, nil
}

// LoadKeys reads the keys of each path: a file, or a directory whose
// *.pub files are read in name order. A path that does not exist is an
// error unless optional.
func LoadKeys(optional bool, paths ...string) (Keys, error) {
	var ks Keys
	var errs []error
	for _, p := range paths {
		files := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(p, "*.pub"))
			sort.Strings(files)
		} else if errors.Is(err, fs.ErrNotExist) && optional {
			continue
		}
		for _, f := range files {
			data, err := ReadSmall(f, KeysMax)
			if err != nil {
				errs = append(errs, fmt.Errorf("trusted key %w", err))
				continue
			}
			k, err := ParseKeys(data, f)
			if err != nil {
				errs = append(errs, fmt.Errorf("trusted key %w", err))
			}
			ks = append(ks, k...)
		}
	}
	return ks.unique(), errors.Join(errs...)
}

func (ks Keys) unique() Keys {
	var out Keys
	seen := map[string]bool{}
	for _, k := range ks {
		if id := string(k.Pub.Marshal()); !seen[id] {
			seen[id] = true
			out = append(out, k)
		}
	}
	return out
}

// Lines renders the keys in authorized_keys format, one a line.
func (ks Keys) Lines() string {
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(k.Line() + "\n")
	}
	return b.String()
}

func (ks Keys) find(pub ssh.PublicKey) (Key, bool) {
	for _, k := range ks {
		if bytes.Equal(k.Pub.Marshal(), pub.Marshal()) {
			return k, true
		}
	}
	return Key{}, false
}

func (ks Keys) fingerprints() string {
	fp := make([]string, len(ks))
	for i, k := range ks {
		fp[i] = k.String()
	}
	return strings.Join(fp, ", ")
}

// Trust is the signature policy of an open.
type Trust struct {
	Keys Keys
	// KeysFrom says where the keys came from, for messages ("the
	// installed node's /node/trusted-keys", "--trust-key", ...).
	KeysFrom string
	// Insecure (node.insecure_media) accepts an unsigned or wrongly
	// signed bundle; the verdict says why it is insecure.
	Insecure bool
}

// Verdict is the outcome of a signature check, kept on the Bundle so the
// plan, the console, the TUI and the webhook can show it.
type Verdict struct {
	Signed   bool   // the signature verified with Signer
	Signer   Key    // set when Signed
	Insecure bool   // accepted only because of node.insecure_media
	Problem  string // what failed, when not Signed
}

// String is the one line shown in the plan, on the console and the TUI.
func (v Verdict) String() string {
	switch {
	case v.Signed:
		return "signed by " + v.Signer.String()
	case v.Insecure:
		return "NOT VERIFIED (node.insecure_media): " + v.Problem
	}
	return "refused: " + v.Problem
}

// Check verifies sig (armored SSH signature, nil when there is none) over
// data in namespace ns; what names the signed document in messages. It
// returns the verdict and, when the policy refuses, an error wrapping
// ErrSignature that names what failed.
func (t Trust) Check(what string, data, sig []byte, ns string) (Verdict, error) {
	signer, problem := t.verify(what, data, sig, ns)
	return t.decide(signer, problem, ns)
}

// Unreadable is the verdict on a signature that could not be read
// (over its cap, not a regular file, a server error).
func (t Trust) Unreadable(what string, err error) (Verdict, error) {
	return t.decide(Key{}, fmt.Sprintf("%s.sig cannot be read: %v", what, err), MediaNamespace)
}

func (t Trust) decide(signer Key, problem, ns string) (Verdict, error) {
	v := Verdict{}
	if problem == "" {
		v.Signed, v.Signer = true, signer
		return v, nil
	}
	v.Problem = problem
	if t.Insecure {
		v.Insecure = true
		return v, nil
	}
	if ns != MediaNamespace {
		return v, fmt.Errorf("%w: %s", ErrSignature, problem)
	}
	return v, fmt.Errorf("%w: %s (node.insecure_media accepts it, unverified)", ErrSignature, problem)
}

func (t Trust) verify(what string, data, sig []byte, ns string) (Key, string) {
	if sig == nil {
		return Key{}, fmt.Sprintf("%s is not signed (no %s.sig beside it)", what, what)
	}
	s, err := sshsig.Unarmor(sig)
	if err != nil {
		return Key{}, fmt.Sprintf("%s.sig is not a valid SSH signature (truncated or damaged?): %v", what, err)
	}
	if s.Namespace != ns {
		return Key{}, fmt.Sprintf("%s.sig was made for namespace %q, expected %q (ssh-keygen -Y sign -n %s)", what, s.Namespace, ns, ns)
	}
	from := t.KeysFrom
	if from == "" {
		from = "the trusted keys"
	}
	if len(t.Keys) == 0 {
		return Key{}, fmt.Sprintf("%s is signed by %s, but no key is trusted (none in %s)", what, Key{Pub: s.PublicKey}, from)
	}
	k, ok := t.Keys.find(s.PublicKey)
	if !ok {
		return Key{}, fmt.Sprintf("%s is signed by %s, which is not one of the %d trusted keys of %s (%s)", what, Key{Pub: s.PublicKey}, len(t.Keys), from, t.Keys.fingerprints())
	}
	if err := sshsig.Verify(bytes.NewReader(data), s, k.Pub, s.HashAlgorithm, ns); err != nil {
		return Key{}, fmt.Sprintf("%s does not match its signature by %s: it was changed after signing, or the signature is another file's (%v)", what, k, err)
	}
	return k, ""
}

// Sign makes the armored detached signature of data in namespace ns,
// what `ssh-keygen -Y sign -f KEY -n NS FILE` writes to FILE.sig.
func Sign(data []byte, signer ssh.Signer, ns string) ([]byte, error) {
	s, err := sshsig.Sign(bytes.NewReader(data), signer, sshsig.HashSHA512, ns)
	if err != nil {
		return nil, err
	}
	return sshsig.Armor(s), nil
}

// SignBundle signs dir's manifest.json into manifest.json.sig (written
// atomically).
func SignBundle(dir string, signer ssh.Signer) error {
	data, err := ReadSmall(filepath.Join(dir, ManifestName), ManifestMax)
	if err != nil {
		return err
	}
	sig, err := Sign(data, signer, MediaNamespace)
	if err != nil {
		return fmt.Errorf("sign %s: %w", ManifestName, err)
	}
	return writeAtomic(filepath.Join(dir, SignatureName), sig)
}
