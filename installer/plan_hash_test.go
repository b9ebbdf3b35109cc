package installer

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every crypt(3) scheme is accepted from the kernel command line and the
// answer file alike; the weak ones get a plan warning naming the field
// and the scheme, and no output shows the hash.
func TestPlanHashWarnings(t *testing.T) {
	facts := loadProfile(t, "sata2-usbboot")
	for _, tc := range []struct {
		hash, scheme string // scheme "" means no warning
	}{
		{hash6, ""},
		{hashY, ""},
		{"$2b$05$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3u", ""},
		{hash1, "md5crypt"},
		{"abiQ6Ep3EYTHc", "descrypt"},
		{"_J9..ed3K9oWIEFk.w3E", "bsdicrypt"},
		{"$3$$ad31e1827d17dc21e2531060d095a863", "nt"},
	} {
		fromCmdline, ps := ParseCmdline("storage_init=/dev/sda adminpw=" + tc.hash)
		if len(ps) > 0 {
			t.Fatalf("%s: %v", tc.hash, ps)
		}
		fromAnswer := Defaults()
		if ps := LoadAnswerFile(strings.NewReader("action: install\nstorage:\n  init: true\n  disks: [{path: /dev/sda}]\nhost:\n  adminpw: '"+tc.hash+"'\n"), &fromAnswer); len(ps) > 0 {
			t.Fatalf("%s: answer file: %v", tc.hash, ps)
		}
		for src, cfg := range map[string]Config{"kernel argument": fromCmdline, "answer file": fromAnswer} {
			p := MakePlan(cfg, facts)
			if !p.OK() {
				t.Errorf("%s from the %s: %v", tc.hash, src, p.Problems)
			}
			js, _ := json.Marshal(p)
			out := p.Text() + string(js)
			if strings.Contains(out, tc.hash) {
				t.Errorf("%s from the %s: the plan shows the hash", tc.hash, src)
			}
			switch {
			case tc.scheme == "" && len(p.Warnings) > 0:
				t.Errorf("%s from the %s: unexpected warnings %q", tc.hash, src, p.Warnings)
			case tc.scheme != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "host.adminpw") ||
				!strings.Contains(p.Warnings[0], tc.scheme) || !strings.Contains(p.Warnings[0], "mkpasswd -m yescrypt")):
				t.Errorf("%s from the %s: warnings %q, want one naming host.adminpw, %s and how to replace it", tc.hash, src, p.Warnings, tc.scheme)
			case tc.scheme != "" && !strings.Contains(p.Text(), "warning: host.adminpw"):
				t.Errorf("%s from the %s: the text plan does not show the warning", tc.hash, src)
			}
		}
	}
}
