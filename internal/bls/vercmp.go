package bls

import "strings"

// VerCmp compares version strings as systemd's strverscmp_improved does
// (newer > older): segments of digits compare numerically, alphabetic
// segments byte-wise, '~' marks a pre-release (older), '-' separates a
// release (older than a further '.' part), other characters are ignored.
func VerCmp(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b)
	}
	for {
		for a != "" && !validVerChar(a[0]) {
			a = a[1:]
		}
		for b != "" && !validVerChar(b[0]) {
			b = b[1:]
		}
		if a != "" && a[0] == '~' || b != "" && b[0] == '~' {
			if c := cmpBool(a == "" || a[0] != '~', b == "" || b[0] != '~'); c != 0 {
				return c
			}
			a, b = a[1:], b[1:]
		}
		if a == "" || b == "" {
			return strings.Compare(a, b)
		}
		for _, sep := range []byte{'-', '^', '.'} {
			if a[0] == sep || b[0] == sep {
				if c := cmpBool(a[0] != sep, b[0] != sep); c != 0 {
					return c
				}
				a, b = a[1:], b[1:]
				if a == "" || b == "" {
					return strings.Compare(a, b)
				}
			}
		}
		var sa, sb string
		if isDigit(a[0]) || isDigit(b[0]) {
			sa, a = span(a, isDigit)
			sb, b = span(b, isDigit)
			if c := cmpBool(sa == "", sb == ""); c != 0 {
				return -c // a numeric segment is newer than none
			}
			sa, sb = strings.TrimLeft(sa, "0"), strings.TrimLeft(sb, "0")
			if c := len(sa) - len(sb); c != 0 {
				return sign(c)
			}
			if c := strings.Compare(sa, sb); c != 0 {
				return c
			}
		} else {
			sa, a = span(a, isAlpha)
			sb, b = span(b, isAlpha)
			n := min(len(sa), len(sb))
			if c := strings.Compare(sa[:n], sb[:n]); c != 0 {
				return c
			}
			if c := len(sa) - len(sb); c != 0 {
				return sign(c)
			}
		}
	}
}

func validVerChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func span(s string, f func(byte) bool) (head, rest string) {
	i := 0
	for i < len(s) && f(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
