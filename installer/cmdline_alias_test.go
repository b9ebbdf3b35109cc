package installer

import (
	"github.com/google/go-cmp/cmp"
	"strings"
	"testing"
)

// Each ovirt-early spelling gives the same Config as the argument it
// stands for, and a problem names it as written.
func TestOvirtAliases(t *testing.T) {
	for _, tc := range []struct{ alias, canonical string }{
		{"ovirt_init=/dev/sda", "storage_init=/dev/sda"},
		{"ovirt_init", "storage_init"},
		{"storage_init=/dev/sda ovirt_vol=:4096::5:2048:-1", "storage_init=/dev/sda storage_vol=:4096::5:2048:-1"},
		{"ovirt_overcommit=1.5", "mem_overcommit=1.5"},
		{"bond_setup=bond0:eth0,eth1:mode=active-backup BOOTIF=bond0", "bond=bond0:eth0,eth1:mode=active-backup BOOTIF=bond0"},
		{"management_server=engine.example.org management_server_port=8443", "management_server=engine.example.org management_port=8443"},
		{"storage_init=/dev/sda ovirt_firstboot", "storage_init=/dev/sda reinstall"},
		{"ovirt_local_boot", "upgrade"},
	} {
		a, aps := ParseCmdline(tc.alias)
		c, cps := ParseCmdline(tc.canonical)
		a.Origins, c.Origins = nil, nil
		if len(aps) > 0 || len(cps) > 0 || !cmp.Equal(a, c, cmpConfig...) {
			t.Errorf("%q gives %+v (%v), %q gives %+v (%v)", tc.alias, a, aps, tc.canonical, c, cps)
		}
	}
	_, ps := ParseCmdline("ovirt_vol=abc storage_init")
	if len(ps) != 1 || ps[0].Arg != "ovirt_vol" {
		t.Errorf("problems %v, want one naming ovirt_vol", ps)
	}
	_, ps = ParseCmdline("storage_init=/dev/sda ovirt_init=/dev/sdb")
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "storage_init=/dev/sda and ovirt_init=/dev/sdb") {
		t.Errorf("problems %v, want one naming both spellings", ps)
	}
}
