package event

import (
	"regexp"
	"strings"
)

// secretWords are the words that make an argument, answer-file key or
// URL query parameter a secret: its value is never passed on (to the
// installed system's loader entry, effective config or log) and is
// masked wherever it is shown. rhn_password, cim_passwd,
// snmp_password, rhevm_admin_password and engine_admin_password are
// real oVirt plugin arguments; activationkey is RHN's.
var secretWords = []string{"password", "passwd", "passphrase", "secret", "token", "activationkey", "adminpw", "rootpw"}

var (
	// crypt(3) hashes: $1$, $5$, $6$, $y$, $gy$, $2b$, $7$, $sha1$, $md5$...
	// A hash has salt or parameters right after its id: "$y$j9T$..."; the
	// help text "yescrypt $y$, SHA-512 $6$" is no hash.
	hashRE = regexp.MustCompile(`\$(1|3|5|6|y|gy|7|2[abxy]?|sha1|md5)[$,][./A-Za-z0-9$][./A-Za-z0-9$=,+-]*`)
	// key=value secrets as they appear on a kernel command line or in a
	// URL query: any key containing a secret word (rhn_password=,
	// access_token=, node.secret=).
	secretArgRE = regexp.MustCompile(`(?i)\b([A-Za-z0-9_.-]*(?:` + strings.Join(secretWords, "|") + `)[A-Za-z0-9_.-]*)=([^\s&"]+)`)
	// user:password@ in URLs.
	userinfoRE = regexp.MustCompile(`(://[^/:@\s]+):[^/@\s]+@`)
	// the query of an http(s) URL, where access tokens live
	queryRE = regexp.MustCompile(`(https?://[^\s"'?]+)\?[^\s"']*`)
)

// SecretKey tells whether an argument or field named key holds a
// secret (by the words in its name, case-insensitively).
func SecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Redact masks secrets (password hashes, key=value secrets, URL
// passwords) in s. Every sink that leaves the process uses it, so a
// secret that slips into a message still never reaches a log, a screen
// or a webhook.
func Redact(s string) string {
	s = hashRE.ReplaceAllString(s, "<hash>")
	s = secretArgRE.ReplaceAllString(s, "$1=***")
	s = queryRE.ReplaceAllString(s, "$1?***")
	return userinfoRE.ReplaceAllString(s, "$1:***@")
}

// Redacted returns e with its text fields redacted.
func Redacted(e Event) Event {
	e.Message = Redact(e.Message)
	e.Err = Redact(e.Err)
	return e
}

// RedactURL hides a URL's user information and query, where access
// tokens live: https://user:pw@host/p?token=x -> https://***@host/p?***.
// Every URL setting (node.media, node.webhook, node.config) is shown and
// stored through it.
func RedactURL(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i] + "?***"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.IndexByte(rest, '@'); at >= 0 && !strings.ContainsAny(rest[:at], "/") {
			s = s[:i+3] + "***" + rest[at:]
		}
	}
	return s
}
