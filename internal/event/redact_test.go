package event

import (
	"strings"
	"testing"
)

func TestRedactSecretArgs(t *testing.T) {
	for in, want := range map[string]string{
		"rhn_password=s3cr3t quiet":                  "rhn_password=*** quiet",
		"cim_passwd=abc snmp_password=def":           "cim_passwd=*** snmp_password=***",
		"rhevm_admin_password=123 console=ttyS0":     "rhevm_admin_password=*** console=ttyS0",
		"engine_admin_password=x":                    "engine_admin_password=***",
		"rhn_activationkey=1-abc":                    "rhn_activationkey=***",
		"https://h/p?access_token=abc&x=1":           "https://h/p?***", // a URL query may hold any token (a presigned sig=),
		"RHN_PASSWORD=abc":                           "RHN_PASSWORD=***",
		"luks.passphrase=open":                       "luks.passphrase=***",
		"https://u:pw@host/x":                        "https://u:***@host/x",
		"adminpw=$1$JcNl3bq6$yDZH1t/B9UE9A8GmpxXfU.": "adminpw=***",
		"hash $3$$ad31e1827d17dc21e2531060d095a863":  "hash <hash>",
		"console=ttyS0 ip=dhcp":                      "console=ttyS0 ip=dhcp",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretKey(t *testing.T) {
	for _, k := range []string{"rhn_password", "cim_passwd", "snmp_password", "engine_admin_password", "rhevm_admin_password", "rhn_proxypassword", "node.token", "client_secret", "rhn_activationkey", "ADMINPW"} {
		if !SecretKey(k) {
			t.Errorf("SecretKey(%q) = false", k)
		}
	}
	for _, k := range []string{"console", "root", "rhn_url", "rhn_username", "kdump_ssh_key", "management_server", "passthrough"} {
		if SecretKey(k) {
			t.Errorf("SecretKey(%q) = true", k)
		}
	}
}

// The adminpw help text names hash prefixes; it is not a hash and stays
// readable, while real hashes are masked.
func TestRedactKeepsHashHelp(t *testing.T) {
	help := "expects a crypt(3) hash (yescrypt $y$, SHA-512 $6$, SHA-256 $5$, bcrypt $2b$, or a legacy MD5 $1$ or DES hash)"
	if got := Redact(help); got != help {
		t.Errorf("Redact(help) = %q", got)
	}
	for _, h := range []string{"$6$saltsalt$qFmFH.bQmm", "$y$j9T$abc$def", "$2b$12$abcdefghijkl", "$1$salt$hash", "$7$CU..../....$x"} {
		if got := Redact("pw " + h); strings.Contains(got, h[3:]) {
			t.Errorf("Redact(%q) = %q", h, got)
		}
	}
}
