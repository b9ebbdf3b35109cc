package event

import "regexp"

var (
	// crypt(3) hashes: $1$, $5$, $6$, $y$, $gy$, $2b$, $7$, $sha1$, $md5$...
	hashRE = regexp.MustCompile(`\$(1|5|6|y|gy|7|2[abxy]?|sha1|md5)\$[./A-Za-z0-9$=,+-]+`)
	// key=value secrets as they appear on a kernel command line or in a URL query.
	secretArgRE = regexp.MustCompile(`(?i)\b(adminpw|rootpw|password|passwd|token|secret)=([^\s&"]+)`)
	// user:password@ in URLs.
	userinfoRE = regexp.MustCompile(`(://[^/:@\s]+):[^/@\s]+@`)
)

// Redact masks secrets (password hashes, key=value secrets, URL
// passwords) in s. Every sink that leaves the process uses it, so a
// secret that slips into a message still never reaches a log, a screen
// or a webhook.
func Redact(s string) string {
	s = hashRE.ReplaceAllString(s, "<hash>")
	s = secretArgRE.ReplaceAllString(s, "$1=***")
	return userinfoRE.ReplaceAllString(s, "$1:***@")
}

// Redacted returns e with its text fields redacted.
func Redacted(e Event) Event {
	e.Message = Redact(e.Message)
	e.Err = Redact(e.Err)
	return e
}
