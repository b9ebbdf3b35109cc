// Package crypthash recognises crypt(3) password hashes by their form:
// every scheme libxcrypt verifies (crypt(5) lists them), so a hash taken
// from an old fleet's kernel command line or answer file (oVirt passed
// any crypt(3) hash to `usermod -p`) is stored as given. It never sees
// or makes a plain-text password: it only tells a hash from something
// that is not one, and whether its scheme is weak.
package crypthash

import (
	"regexp"
	"strings"
)

// Scheme is a crypt(3) hashing method.
type Scheme struct {
	// Name is libxcrypt's name for it: yescrypt, sha512crypt, descrypt...
	Name string
	// Weak is true for the schemes outside libxcrypt's "strong" set:
	// a hash in one of them is cheap to crack if it leaks.
	Weak bool
}

// crypt's base64 alphabet.
const b64 = `[./0-9A-Za-z]`

// schemes in the order they are tried; the unprefixed ones come last.
var schemes = []struct {
	Scheme
	re *regexp.Regexp
	// desTail: each 11-character DES block ends in a character whose
	// two low bits are 0 (64 bits in 66), as crypt produces it.
	desTail bool
}{
	{Scheme{"yescrypt", false}, rx(`\$y\$` + b64 + `+\$` + b64 + `{2,86}\$` + b64 + `{43}`), false},
	{Scheme{"gost-yescrypt", false}, rx(`\$gy\$` + b64 + `+\$` + b64 + `{2,86}\$` + b64 + `{43}`), false},
	{Scheme{"scrypt", false}, rx(`\$7\$` + b64 + `{11,97}\$` + b64 + `{43}`), false},
	{Scheme{"bcrypt", false}, rx(`\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$` + b64 + `{53}`), false},
	{Scheme{"bcrypt_x", true}, rx(`\$2x\$(0[4-9]|[12][0-9]|3[01])\$` + b64 + `{53}`), false},
	{Scheme{"sha512crypt", false}, rx(`\$6\$(rounds=0*([1-9][0-9]{3,8})\$)?` + b64 + `{1,16}\$` + b64 + `{86}`), false},
	{Scheme{"sha256crypt", false}, rx(`\$5\$(rounds=0*([1-9][0-9]{3,8})\$)?` + b64 + `{1,16}\$` + b64 + `{43}`), false},
	{Scheme{"sha1crypt", true}, rx(`\$sha1\$[1-9][0-9]{0,9}\$` + b64 + `{1,64}\$` + b64 + `{28}`), false},
	{Scheme{"sunmd5", true}, rx(`\$md5(,rounds=[1-9][0-9]{0,9})?\$` + b64 + `{1,8}\$\$?` + b64 + `{22}`), false},
	{Scheme{"md5crypt", true}, rx(`\$1\$[^$:\s]{1,8}\$` + b64 + `{22}`), false},
	{Scheme{"nt", true}, rx(`\$3\$\$[0-9a-f]{32}`), false},
	{Scheme{"bsdicrypt", true}, rx(`_` + b64 + `{19}`), true},
	{Scheme{"descrypt", true}, rx(b64 + `{13}`), true},
	{Scheme{"bigcrypt", true}, rx(b64 + `{2}(` + b64 + `{11}){2,16}`), true},
}

func rx(s string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + s + `)$`) }

// Identify returns the scheme of hash, or false when hash is not a
// crypt(3) hash of any scheme libxcrypt verifies (a plain-text password,
// a truncated hash, a locked "!" or "*" entry).
func Identify(hash string) (Scheme, bool) {
	for _, s := range schemes {
		if !s.re.MatchString(hash) {
			continue
		}
		if s.desTail && !desTails(hash) {
			continue
		}
		return s.Scheme, true
	}
	return Scheme{}, false
}

// desTails checks the last character of every 11-character DES block
// after the salt (2 characters, or 9 for bsdicrypt's "_CCCCSSSS").
func desTails(h string) bool {
	body := h[2:]
	if h[0] == '_' {
		body = h[9:]
	}
	for i := 10; i < len(body); i += 11 {
		if strings.IndexByte(".26AEIMQUYcgkosw", body[i]) < 0 {
			return false
		}
	}
	return true
}

// Hint says what a password value must be, without showing it.
const Hint = "expects a crypt(3) hash (yescrypt $y$, SHA-512 $6$, SHA-256 $5$, bcrypt $2b$, or a legacy MD5 $1$ or DES hash), e.g. from `openssl passwd -6` or `mkpasswd -m yescrypt`; plain-text passwords are refused and the value is not shown"

// WeakAdvice says how to replace a weak hash.
const WeakAdvice = "replace it with a yescrypt or SHA-512 hash (`mkpasswd -m yescrypt` or `openssl passwd -6`), or set a new password in the setup console after the install"
