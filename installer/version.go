package installer

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Version is a parsed product version: MAJOR[.MINOR[.PATCH[.BUILD]]][-RELEASE],
// an optional leading "v" allowed. Missing numeric parts count as 0, so
// "4.5" and "4.5.0" are the same version. RELEASE is a packaging release
// ("1", "2.el9", "rc1"): a higher release is newer, a version without a
// release is older than the same version with one. See docs/lifecycle.md.
type Version struct {
	Nums    [4]int
	Release string
	Raw     string
}

// Major is the first numeric part.
func (v Version) Major() int { return v.Nums[0] }

func (v Version) String() string { return v.Raw }

// ParseVersion parses s as a Version. It fails on an empty string, a
// non-numeric or negative part, more than four parts or an empty release.
func ParseVersion(s string) (Version, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Version{}, fmt.Errorf("version is empty: expected MAJOR.MINOR.PATCH[-RELEASE]")
	}
	t := strings.TrimPrefix(raw, "v")
	num, rel, hasRel := strings.Cut(t, "-")
	if hasRel && rel == "" {
		return Version{}, fmt.Errorf("version %q: empty release after '-': expected MAJOR.MINOR.PATCH[-RELEASE]", raw)
	}
	parts := strings.Split(num, ".")
	if len(parts) > 4 {
		return Version{}, fmt.Errorf("version %q: %d numeric parts, expected at most 4 (MAJOR.MINOR.PATCH[.BUILD])", raw, len(parts))
	}
	v := Version{Release: rel, Raw: raw}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || strings.ContainsAny(p, "+-") {
			return Version{}, fmt.Errorf("version %q: part %d %q is not a non-negative number: expected MAJOR.MINOR.PATCH[-RELEASE]", raw, i+1, p)
		}
		v.Nums[i] = n
	}
	return v, nil
}

// CompareVersions returns -1, 0 or +1 as a is older than, the same as or
// newer than b: numeric parts first, then the release (see Version).
func CompareVersions(a, b Version) int {
	for i := range a.Nums {
		if c := cmp.Compare(a.Nums[i], b.Nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.Release == b.Release:
		return 0
	case a.Release == "":
		return -1
	case b.Release == "":
		return 1
	}
	return compareNatural(a.Release, b.Release)
}

// compareNatural compares release strings by runs: digit runs numerically,
// other runs byte-wise, so "9" < "10" and "1.el9" < "2.el9".
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		ra, resta := nextRun(a)
		rb, restb := nextRun(b)
		da, db := isDigits(ra), isDigits(rb)
		var c int
		switch {
		case da && db:
			na := strings.TrimLeft(ra, "0")
			nb := strings.TrimLeft(rb, "0")
			if c = cmp.Compare(len(na), len(nb)); c == 0 {
				c = strings.Compare(na, nb)
			}
		case da: // a number is newer than a word ("1" > "rc")
			c = 1
		case db:
			c = -1
		default:
			c = strings.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		a, b = resta, restb
	}
	return cmp.Compare(len(a), len(b))
}

// nextRun splits off the leading run of digits or of non-digits, skipping
// one separator ('.', '_', '~') in front of it.
func nextRun(s string) (run, rest string) {
	s = strings.TrimLeft(s, "._~")
	if s == "" {
		return "", ""
	}
	d := unicode.IsDigit(rune(s[0]))
	i := 1
	for i < len(s) && unicode.IsDigit(rune(s[i])) == d && !strings.ContainsRune("._~", rune(s[i])) {
		i++
	}
	return s[:i], s[i:]
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// VersionChange is how the media's version relates to the installed one.
type VersionChange string

// Version changes.
const (
	ChangeUpgrade   VersionChange = "upgrade"   // media newer
	ChangeSame      VersionChange = "same"      // same version: rewrite the image only
	ChangeDowngrade VersionChange = "downgrade" // media older, same major
	ChangeRefused   VersionChange = "refused"   // see the reason
)

// VersionDecision is the outcome of ClassifyVersions.
type VersionDecision struct {
	Change VersionChange `json:"change"`
	// NeedsConfirmation is true for a downgrade: it needs
	// node.allow_downgrade or the admin's confirmation in the TUI.
	NeedsConfirmation bool   `json:"needs_confirmation,omitempty"`
	Reason            string `json:"reason"`
}

// ClassifyVersions compares the installed version with the media's and
// applies the major-version rules (docs/lifecycle.md):
//   - a newer version of the same major, or of the next major, is an upgrade;
//   - skipping a major (4.x -> 6.x) is refused: upgrade through each major;
//   - the same version is a same-version reinstall (the image is rewritten);
//   - an older version of the same major is a downgrade (needs confirmation);
//   - an older major is refused even with node.allow_downgrade, because the
//     newer major may have converted Config and Data to formats the older
//     one cannot read: go back with a wipe-reinstall instead;
//   - a version that does not parse is refused.
func ClassifyVersions(installed, media string) VersionDecision {
	iv, err := ParseVersion(installed)
	if err != nil {
		return VersionDecision{Change: ChangeRefused, Reason: fmt.Sprintf("installed %v", err)}
	}
	mv, err := ParseVersion(media)
	if err != nil {
		return VersionDecision{Change: ChangeRefused, Reason: fmt.Sprintf("media %v", err)}
	}
	c := CompareVersions(mv, iv)
	switch {
	case c == 0:
		return VersionDecision{Change: ChangeSame, Reason: fmt.Sprintf("media version %s is the installed version %s: the image is rewritten, data kept", mv, iv)}
	case c > 0 && mv.Major()-iv.Major() > 1:
		return VersionDecision{Change: ChangeRefused, Reason: fmt.Sprintf("media version %s skips a major version from the installed %s: upgrade to %d.x first", mv, iv, iv.Major()+1)}
	case c > 0:
		return VersionDecision{Change: ChangeUpgrade, Reason: fmt.Sprintf("media version %s is newer than the installed %s", mv, iv)}
	case mv.Major() < iv.Major():
		return VersionDecision{Change: ChangeRefused, Reason: fmt.Sprintf("media version %s is an older major version than the installed %s: a major downgrade is never done in place, use reinstall (all data lost)", mv, iv)}
	default:
		return VersionDecision{Change: ChangeDowngrade, NeedsConfirmation: true, Reason: fmt.Sprintf("media version %s is older than the installed %s: a downgrade needs node.allow_downgrade or confirmation", mv, iv)}
	}
}
