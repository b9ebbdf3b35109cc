// Package passwd is the one place that turns a typed admin password into
// a crypt(3) hash, checks a typed password against a stored hash and
// judges a password's strength: the installer TUI and the node's setup
// console share these rules.
package passwd

import (
	"fmt"
	"unicode"

	"github.com/go-crypt/crypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
)

// Strength judges pw: a message and whether it is acceptable. At least 8
// characters of 3 kinds (lower, upper, digit, other), or 16 of any.
func Strength(pw string) (string, bool) {
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	classes := lower + upper + digit + other
	n := len([]rune(pw))
	switch {
	case n < 8:
		return fmt.Sprintf("too short: %d characters, at least 8 needed", n), false
	case classes < 3 && n < 16:
		return fmt.Sprintf("too weak: use 3 kinds of characters (has %d) or at least 16 characters", classes), false
	case n >= 12 && classes >= 3:
		return "strong", true
	default:
		return "acceptable", true
	}
}

// Hash returns the SHA-512 crypt ($6$) hash of pw, as `openssl passwd -6`
// would, with a random salt.
func Hash(pw string) (string, error) {
	h, err := shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithIterations(shacrypt.IterationsDefaultOmitted))
	if err != nil {
		return "", fmt.Errorf("sha512-crypt: %w", err)
	}
	d, err := h.Hash(pw)
	if err != nil {
		return "", fmt.Errorf("hash admin password: %w", err)
	}
	return d.Encode(), nil
}

// Check reports whether pw matches the crypt hash ($6$, $5$, $1$...).
func Check(pw, hash string) (bool, error) {
	ok, err := crypt.CheckPassword(pw, hash)
	if err != nil {
		return false, fmt.Errorf("check password against the installed hash: %w", err)
	}
	return ok, nil
}
