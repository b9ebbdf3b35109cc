package network

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// FuzzMakePlan feeds MakePlan arbitrary argument values and checks that
// a plan it accepts is consistent: every name it uses is planned, every
// gateway is reachable, and Render never collides two files.
func FuzzMakePlan(f *testing.F) {
	f.Add("eno1", "static", "", "192.0.2.10/24", "192.0.2.1", 0, "", false, 0)
	f.Add("01-52-54-00-12-34-05", "dhcp", "", "", "", 100, "", true, 9000)
	f.Add("bond0", "none", "bond0", "2001:db8::5/64", "fe80::1", 4094, "eno1,eno2", true, 1500)
	f.Add("link", "auto6", "enp5s0f0", "", "", 7, "eno1", false, 0)
	f.Add("", "dhcp", "eno2.5", "", "", 5, "", false, 0)
	f.Fuzz(func(t *testing.T, bootif, method, iface, address, gw string, vlan int, slaves string, bridged bool, mtu int) {
		ip := IP{Method: method, Iface: iface, MTU: mtu}
		ip.Address, _ = netip.ParsePrefix(address)
		ip.Gateway, _ = netip.ParseAddr(gw)
		cfg := Config{BootIf: bootif, VLAN: vlan, IPs: []IP{ip}}
		if slaves != "" {
			cfg.Bond = &Bond{Name: "bond0", Slaves: strings.Split(slaves, ",")}
		}
		if bridged {
			cfg.Layout = "bridged"
		}
		p, err := MakePlan(cfg, testNICs)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if p.Text() == "" {
			t.Fatal("empty text")
		}
		if p.Pending() {
			return
		}
		if _, ok := p.Link(p.Mgmt); !ok {
			t.Fatalf("management interface %q is not planned: %+v", p.Mgmt, p)
		}
		for _, l := range p.Links {
			if len(l.Name) > 15 || l.Name == "" {
				t.Errorf("link name %q", l.Name)
			}
			if l.Master != "" {
				if m, ok := p.Link(l.Master); !ok || (m.Kind != KindBond && m.Kind != KindBridge) {
					t.Errorf("%s: master %s is not a planned bond or bridge", l.Name, l.Master)
				}
			}
			if l.Kind == KindVLAN {
				if _, ok := p.Link(l.Parent); !ok || l.VLANID < 1 || l.VLANID > 4094 {
					t.Errorf("VLAN %s: parent %s id %d", l.Name, l.Parent, l.VLANID)
				}
			}
			if l.SetMAC != "" {
				if _, err := net.ParseMAC(l.SetMAC); err != nil {
					t.Errorf("%s: MAC %q", l.Name, l.SetMAC)
				}
			}
		}
		for _, c := range p.IPs {
			if _, ok := p.Link(c.Iface); !ok {
				t.Errorf("addresses for unplanned %q", c.Iface)
			}
		}
		for _, r := range p.Routes {
			c, _ := p.ipFor(r.Dev)
			ok := r.Gateway.Is6() && r.Gateway.IsLinkLocalUnicast()
			for _, a := range c.Addrs {
				ok = ok || a.Prefix.Masked().Contains(r.Gateway)
			}
			if !ok {
				t.Errorf("route via %s: outside every address of %s", r.Gateway, r.Dev)
			}
		}
		seen := map[string]bool{}
		for _, fl := range Render(p) {
			if seen[fl.Path] {
				t.Errorf("two files at %s", fl.Path)
			}
			seen[fl.Path] = true
			if strings.HasPrefix(fl.Path, KeyfileDir) && fl.Mode != 0o600 {
				t.Errorf("%s: mode %o", fl.Path, fl.Mode)
			}
		}
	})
}

// FuzzNormalizeMAC: whatever BOOTIF holds, the result is "" or a MAC.
func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{"01-52-54-00-12-34-56", "52:54:00:AB:CD:EF", "eth0", "link", "52-54-00-12-34-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := NormalizeMAC(s)
		if m == "" {
			return
		}
		hw, err := net.ParseMAC(m)
		if err != nil || len(hw) != 6 || hw.String() != m {
			t.Fatalf("NormalizeMAC(%q) = %q: not a canonical MAC", s, m)
		}
	})
}
