package installer

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNetworkProblemsAsGiven: a network problem is reported once, names
// the argument and shows its value exactly as given (not written back in
// another form), in the text and in the JSON.
func TestNetworkProblemsAsGiven(t *testing.T) {
	facts := loadProfile(t, "sata2-usbboot")
	cases := []struct {
		line, arg, value, msg string
		noNICs                bool
	}{
		{"ip=dhcp storage_init=/dev/sda", "BOOTIF", "", "not given (as BOOTIF=link): no NIC to choose from", true},
		{"ip=:::::br0:dhcp storage_init=/dev/sda", "ip", ":::::br0:dhcp", "no NIC named br0", false},
		{"ip=br0:dhcp storage_init=/dev/sda", "ip", "br0:dhcp", "no NIC named br0", false},
		{"ip=192.0.2.10::192.0.2.1:24::eno9:off storage_init=/dev/sda", "ip", "192.0.2.10::192.0.2.1:24::eno9:off", "no NIC named eno9", false},
		{"BOOTIF=eno9 storage_init=/dev/sda", "BOOTIF", "eno9", "no NIC named eno9", false},
		{"bond=bond0:eno1,eno7 storage_init=/dev/sda", "bond", "bond0:eno1,eno7", "no NIC named eno7", false},
		{"ip=192.0.2.10::192.0.2.1:24::eno1:off ip=eno1:dhcp6:1000 storage_init=/dev/sda", "ip", "eno1:dhcp6:1000", "IPv6 needs at least 1280", false},
	}
	noNICs := Facts{Disks: facts.Disks}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			cfg, ps := ParseCmdline(c.line)
			f := facts
			if c.noNICs {
				f = noNICs
			}
			p := MakePlan(cfg, f)
			p.Problems = append(ps, p.Problems...)
			n := 0
			for _, pr := range p.Problems {
				if strings.Contains(pr.Msg, c.msg) {
					n++
					if pr.Arg != c.arg || pr.Value != c.value {
						t.Errorf("problem names %s=%s, want %s=%s", pr.Arg, pr.Value, c.arg, c.value)
					}
				}
			}
			if n != 1 {
				t.Fatalf("%d problems say %q, want 1:\n%s", n, c.msg, p.Problems.Error())
			}
			want := c.arg + "=" + c.value + ": "
			if c.value == "" {
				want = c.arg + ": "
			}
			if !strings.Contains(p.Text(), want) {
				t.Errorf("the plan text lacks %q:\n%s", want, p.Problems.Error())
			}
			js, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				Problems []map[string]any `json:"problems"`
			}
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			for _, pr := range back.Problems {
				if a, _ := pr["arg"].(string); a == "" {
					t.Errorf("a JSON problem without its argument: %v", pr)
				}
			}
		})
	}
}

// TestNetworkProblemOncePerArgument: what both the validation and the
// network planner check (a bond's slaves and options, BOOTIF=bondN, an
// address or a VLAN on a bond's slave) is one problem, not two.
func TestNetworkProblemOncePerArgument(t *testing.T) {
	facts := loadProfile(t, "sata2-usbboot")
	for _, c := range []struct{ line, arg, value string }{
		{"bond=bond0:eno1,eno2 ip=eno1:dhcp storage_init=/dev/sda", "ip", "eno1:dhcp"},
		{"bond=bond0:eno1,eno1 storage_init=/dev/sda", "bond", "bond0:eno1,eno1"},
		{"BOOTIF=bond3 storage_init=/dev/sda", "BOOTIF", "bond3"},
		{"bond=bond0:eno1,eno2 vlan=5:eno1 storage_init=/dev/sda", "vlan", "5:eno1"},
		{"bond_setup=bond0:eno1,eno2:mode=foo storage_init=/dev/sda", "bond_setup", "bond0:eno1,eno2:mode=foo"},
	} {
		cfg, ps := ParseCmdline(c.line)
		p := MakePlan(cfg, facts)
		ps = append(ps, p.Problems...)
		n := 0
		for _, pr := range ps {
			if pr.Arg == c.arg && pr.Value == c.value {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d problems name %s=%s, want 1:\n%s", c.line, n, c.arg, c.value, ps.Error())
		}
	}
}
