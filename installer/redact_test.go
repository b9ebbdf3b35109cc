package installer

import (
	"strings"
	"testing"
)

// TestRunawayQuoteHidesPassword: an unterminated quote swallows the rest
// of the line into one argument; the password in it never shows.
func TestRunawayQuoteHidesPassword(t *testing.T) {
	const secret = "$6$salt$SECRETHASH"
	for _, line := range []string{
		`"hostname= adminpw=` + secret,
		`syslog=" adminpw=` + secret,
		`ntp="a rootpw=` + secret + ` b`,
		`management_server="x adminpw=` + secret + `" adminpw=` + secret,
	} {
		t.Run(line, func(t *testing.T) {
			cfg, ps := ParseCmdline(line)
			all := append(ps, cfg.Validate()...)
			if len(all) == 0 {
				t.Fatalf("no problem reported for %q", line)
			}
			for _, p := range all {
				if strings.Contains(p.String(), "SECRETHASH") {
					t.Errorf("problem shows the password: %s", p)
				}
			}
		})
	}
}

func TestRedactRunaway(t *testing.T) {
	cases := map[string]string{
		`host " adminpw=abc": bad`:   `host " adminpw=***": bad`,
		"a adminpw=x rootpw=y tail":  "a adminpw=*** rootpw=*** tail",
		"nothing secret here":        "nothing secret here",
		"adminpw=":                   "adminpw=***",
		"adminpw=*** already masked": "adminpw=*** already masked",
	}
	for in, want := range cases {
		if got := redactRunaway(in); got != want {
			t.Errorf("redactRunaway(%q) = %q, want %q", in, got, want)
		}
	}
}
