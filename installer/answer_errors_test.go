package installer

import (
	"encoding/json"
	"strings"
	"testing"
)

// A wrong type in an answer file names the line, the key path and what
// the key expects, as kernel-argument problems name the argument.
func TestAnswerTypeErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"network:\n  dns: 192.0.2.1\n", "answer file line 2: network.dns=192.0.2.1: expects a list of IP addresses"},
		{"storage:\n  volumes: [1, 2]\n", "answer file line 2: storage.volumes: expects a mapping of volume names (EFI, Swap, Root, Config, Logging, Data) to whole number values"},
		{"host:\n  ssh_pwauth: maybe\n", "answer file line 2: host.ssh_pwauth=maybe: expects a true/false value"},
		{"network:\n  ips: {method: dhcp}\n", "answer file line 2: network.ips: expects a list of mappings (key: value)"},
		{"boot_params: quiet\n", "answer file line 1: boot_params=quiet: expects a list of text values"},
		{"host:\n  adminpw: [a, b]\n", "answer file line 2: host.adminpw: expects a single text value"},
	} {
		cfg := Defaults()
		ps := LoadAnswerFile(strings.NewReader(tc.doc), &cfg)
		if len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("%q: problems %q, want %q", tc.doc, ps.Error(), tc.want)
		}
	}
}

// An answer file takes password hashes only: a plain-text password is a
// problem and reaches no output (problems, text and JSON plan).
func TestAnswerPlainPasswordNeverShown(t *testing.T) {
	facts := loadProfile(t, "virtio-1disk")
	for _, doc := range []string{
		"host:\n  adminpw: hunter2-plain\n",
		"host:\n  rootpw: \"hunter2-plain\"\n",
		"host:\n  adminpw: [hunter2-plain]\n",
		"host:\n  adminpw: {x: hunter2-plain}\n",
		"host:\n  rhn_password: hunter2-plain\n",
	} {
		cfg := Defaults()
		ps := LoadAnswerFile(strings.NewReader(doc), &cfg)
		p := MakePlan(cfg, facts)
		p.Problems = append(ps, p.Problems...)
		js, _ := json.Marshal(p)
		if p.OK() {
			t.Errorf("%q: no problem", doc)
		}
		if out := p.Text() + string(js) + p.Problems.Error(); strings.Contains(out, "hunter2") {
			t.Errorf("%q: an output shows the password:\n%s", doc, out)
		}
	}
}
