package installer

import (
	"fmt"
	"strings"
	"testing"

	"node-installer/network"
)

// dracutNICs is the client of dracut's TEST-60-BONDBRIDGEVLAN: five NICs
// with the MACs the test gives them, under the names a machine probes
// before ifname= renames them.
var dracutNICs = []network.NIC{
	{Name: "lo", Loopback: true, Virtual: true, Carrier: true},
	{Name: "ens3", MAC: "52:54:00:12:34:01", Carrier: true},
	{Name: "ens4", MAC: "52:54:00:12:34:02", Carrier: true},
	{Name: "ens5", MAC: "52:54:00:12:34:03", Carrier: true},
	{Name: "ens6", MAC: "52:54:00:12:34:04", Carrier: true},
	{Name: "ens7", MAC: "52:54:00:12:34:05", Carrier: true},
}

// linkSummary writes the plan's links as "name kind[ id@parent][ >master][ mtu N]".
func linkSummary(p network.Plan) string {
	var s []string
	for _, l := range p.Links {
		x := l.Name + " " + string(l.Kind)
		if l.Kind == network.KindVLAN {
			x += fmt.Sprintf(" %d@%s", l.VLANID, l.Parent)
		}
		if l.Master != "" {
			x += " >" + l.Master
		}
		if l.MTU != 0 {
			x += fmt.Sprintf(" mtu %d", l.MTU)
		}
		if l.RenamedFrom != "" {
			x += " was " + l.RenamedFrom
		}
		s = append(s, x)
	}
	return strings.Join(s, ", ")
}

func ipSummary(p network.Plan) string {
	var s []string
	for _, c := range p.IPs {
		x := c.Iface
		if c.DHCP4 {
			x += " dhcp"
		}
		for _, a := range c.Addrs {
			x += " " + a.Prefix.String()
		}
		s = append(s, x)
	}
	return strings.Join(s, ", ")
}

// TestDracutNetworkGrammar: each form of dracut.cmdline(7)'s network
// arguments, read by ParseCmdline and planned, gives the interfaces
// dracut brings up (the expected results of dracut's test suite where
// it has one).
func TestDracutNetworkGrammar(t *testing.T) {
	const ifnames = "ifname=net1:52:54:00:12:34:01 ifname=net2:52:54:00:12:34:02 ifname=net3:52:54:00:12:34:03 ifname=net4:52:54:00:12:34:04 ifname=net5:52:54:00:12:34:05 "
	cases := []struct {
		name, line       string
		mgmt, dev, links string
		ips              string
	}{
		{"TEST-60 VLANs in every name form, bootdev",
			ifnames + "vlan=vlan0001:net2 vlan=vlan2:net2 vlan=net2.3:net2 vlan=net2.0004:net2 ip=net1:dhcp " +
				"ip=192.168.54.101::192.168.54.1:24:test:vlan0001:none ip=192.168.55.102::192.168.55.1:24:test:vlan2:none " +
				"ip=192.168.56.103::192.168.56.1:24:test:net2.3:none ip=192.168.57.104::192.168.57.1:24:test:net2.0004:none bootdev=net1",
			"net1", "net1",
			"net1 nic was ens3, net2 nic was ens4, vlan0001 vlan 1@net2, vlan2 vlan 2@net2, net2.3 vlan 3@net2, net2.0004 vlan 4@net2",
			"net1 dhcp, vlan0001 192.168.54.101/24, vlan2 192.168.55.102/24, net2.3 192.168.56.103/24, net2.0004 192.168.57.104/24"},
		{"TEST-60 bond, bootdev",
			ifnames + "bond=bond0:net3,net4:miimon=100 ip=bond0:dhcp bootdev=bond0",
			"bond0", "bond0", "net3 nic >bond0 was ens5, net4 nic >bond0 was ens6, bond0 bond", "bond0 dhcp"},
		{"TEST-60 bridge, bootdev",
			ifnames + "bridge=br0:net1,net5 ip=br0:dhcp bootdev=br0",
			"br0", "net1", "net1 nic >br0 was ens3, net5 nic >br0 was ens7, br0 bridge", "br0 dhcp"},
		{"bridge named by ip= alone",
			"bridge=br0:ens3 ip=br0:dhcp", "br0", "ens3", "ens3 nic >br0, br0 bridge", "br0 dhcp"},
		{"bare bridge on the BOOTIF NIC",
			"bridge BOOTIF=01-52-54-00-12-34-02 ip=br0:dhcp", "br0", "ens4", "ens4 nic >br0, br0 bridge", "br0 dhcp"},
		{"bare bridge alone: br0 on the NIC BOOTIF names",
			"bridge BOOTIF=ens5", "br0", "ens5", "ens5 nic >br0, br0 bridge", "br0 dhcp"},
		{"bridge over a bond",
			"bond=bond0:ens3,ens4 bridge=br0:bond0 ip=br0:dhcp", "br0", "bond0", "ens3 nic >bond0, ens4 nic >bond0, bond0 bond >br0, br0 bridge", "br0 dhcp"},
		{"VLAN on a bond under a bridge",
			"bond=bond0:ens3,ens4 vlan=bond0.20:bond0 bridge=br20:bond0.20 ip=br20:dhcp", "br20", "bond0",
			"ens3 nic >bond0, ens4 nic >bond0, bond0 bond, bond0.20 vlan 20@bond0 >br20, br20 bridge", "br20 dhcp"},
		{"two bonds, the second not management",
			"bond=bond0:ens3,ens4:mode=active-backup bond=bond1:ens5,ens6:mode=802.3ad,miimon=100:9000 ip=bond0:dhcp ip=192.0.2.5::192.0.2.1:24::bond1:none",
			"bond0", "bond0", "ens3 nic >bond0, ens4 nic >bond0, bond0 bond, ens5 nic >bond1 mtu 9000, ens6 nic >bond1 mtu 9000, bond1 bond mtu 9000", "bond0 dhcp, bond1 192.0.2.5/24"},
		{"bond defined without address is still created",
			"bond=bond1:ens5,ens6 ip=ens3:dhcp", "ens3", "ens3", "ens3 nic, ens5 nic >bond1, ens6 nic >bond1, bond1 bond", "ens3 dhcp"},
		{"VLANs on a NIC other than the management one",
			"BOOTIF=ens3 vlan=vlan10:ens4 vlan=ens4.11:ens4 ip=vlan10:dhcp ip=ens4.11:dhcp", "ens3", "ens3",
			"ens3 nic, ens4 nic, vlan10 vlan 10@ens4, ens4.11 vlan 11@ens4", "ens3 dhcp, vlan10 dhcp, ens4.11 dhcp"},
		{"oVirt management VLAN and a dracut VLAN",
			"BOOTIF=ens3 vlan=100 vlan=ens4.200:ens4 ip=ens4.200:dhcp", "ens3.100", "ens3",
			"ens3 nic, ens3.100 vlan 100@ens3, ens4 nic, ens4.200 vlan 200@ens4", "ens3.100 dhcp, ens4.200 dhcp"},
		{"second oVirt vlan=ID:IFACE",
			"vlan=100:ens3 vlan=200:ens4 ip=ens4.200:dhcp", "ens3.100", "ens3",
			"ens3 nic, ens3.100 vlan 100@ens3, ens4 nic, ens4.200 vlan 200@ens4", "ens3.100 dhcp, ens4.200 dhcp"},
		{"VLAN named by ip= is the management",
			"vlan=vlan0005:ens4 ip=vlan0005:dhcp", "vlan0005", "ens4", "ens4 nic, vlan0005 vlan 5@ens4", "vlan0005 dhcp"},
		{"bootdev names a VLAN",
			"vlan=ens4.7:ens4 ip=ens3:dhcp ip=ens4.7:dhcp bootdev=ens4.7", "ens4.7", "ens4", "ens4 nic, ens4.7 vlan 7@ens4, ens3 nic", "ens4.7 dhcp, ens3 dhcp"},
		{"the VLAN parent keeps its own address",
			"vlan=ens4.7:ens4 ip=ens4.7:dhcp ip=192.0.2.9:::24::ens4:none", "ens4.7", "ens4", "ens4 nic, ens4.7 vlan 7@ens4", "ens4.7 dhcp, ens4 192.0.2.9/24"},
		{"ifname= and BOOTIF by MAC",
			"ifname=mgmt:52:54:00:12:34:03 BOOTIF=01-52-54-00-12-34-03 ip=dhcp", "mgmt", "mgmt", "mgmt nic was ens5", "mgmt dhcp"},
		{"ifname= twice the same and upper-case MAC",
			"ifname=mgmt:52:54:00:12:34:03 ifname=mgmt:52:54:00:12:34:03 ip=mgmt:dhcp", "mgmt", "mgmt", "mgmt nic was ens5", "mgmt dhcp"},
		{"ip= naming the NIC by its MAC (NetworkManager's initrd form)",
			"ip=192.0.2.5:::24::52-54-00-12-34-04:none", "ens6", "ens6", "ens6 nic", "ens6 192.0.2.5/24"},
		{"ifname= for a MAC no NIC has renames nothing",
			"ifname=spare:52:54:00:99:99:99 ip=ens3:dhcp", "ens3", "ens3", "ens3 nic", "ens3 dhcp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ps := ParseCmdline(c.line)
			if len(ps) > 0 {
				t.Fatalf("problems: %v", ps)
			}
			if vps := cfg.Validate(); len(vps) > 0 {
				t.Fatalf("validation: %v", vps)
			}
			p, err := network.MakePlan(cfg.Network, dracutNICs)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if p.Mgmt != c.mgmt || p.Device != c.dev {
				t.Errorf("management %s on %s, want %s on %s (%s: %s)", p.Mgmt, p.Device, c.mgmt, c.dev, p.Source, p.Reason)
			}
			if got := linkSummary(p); got != c.links {
				t.Errorf("links\n got %s\nwant %s", got, c.links)
			}
			if got := ipSummary(p); got != c.ips {
				t.Errorf("addresses\n got %s\nwant %s", got, c.ips)
			}
		})
	}
}

// TestDracutNetworkRefused: the forms dracut refuses (it dies) or that
// cannot work on the machine are problems naming the argument as given.
func TestDracutNetworkRefused(t *testing.T) {
	cases := []struct{ name, line, arg, value, msg string }{
		{"bridge with one field", "bridge=br0", "bridge", "br0", "requires two parameters"},
		{"bridge with three fields", "bridge=br0:ens3:ens4", "bridge", "br0:ens3:ens4", "requires two parameters"},
		{"bridge port missing", "bridge=br0:ens9 ip=br0:dhcp", "bridge", "br0:ens9", "no NIC named ens9"},
		{"port of two bridges", "bridge=br0:ens3 bridge=br1:ens3 ip=br0:dhcp", "bridge", "br1:ens3", "ens3 is already a port of br0"},
		{"bond slave in a bridge", "bond=bond0:ens3,ens4 bridge=br0:ens3 ip=bond0:dhcp", "bridge", "br0:ens3", "ens3 is already a port of bond0"},
		{"address on a bridge port", "bridge=br0:ens3,ens4 ip=br0:dhcp ip=ens4:dhcp", "ip", "ens4:dhcp", "ens4 is a port of bridge=br0:ens3,ens4"},
		{"VLAN name without ID", "vlan=office:ens3", "vlan", "office:ens3", "carries no ID"},
		{"VLAN ID out of range", "vlan=vlan5000:ens3", "vlan", "vlan5000:ens3", "ID 5000 outside 1-4094"},
		{"VLAN name twice, other parent", "vlan=vlan5:ens3 vlan=vlan5:ens4", "vlan", "vlan5:ens4", "vlan5 is already VLAN 5 on ens3"},
		{"VLAN parent missing", "vlan=vlan5:ens9 ip=vlan5:dhcp", "vlan", "vlan5:ens9", "no NIC named ens9"},
		{"VLAN on a bond slave", "bond=bond0:ens3,ens4 vlan=ens3.5:ens3 ip=bond0:dhcp", "vlan", "ens3.5:ens3", "parent ens3 is a slave of bond0"},
		{"second bare vlan=ID", "vlan=5 vlan=6 BOOTIF=ens3", "vlan", "6", "a second vlan=ID needs its parent"},
		{"bond name twice", "bond=bond0:ens3,ens4 bond=bond0:ens5,ens6", "bond", "bond0:ens5,ens6", "bond0 is already defined by bond=bond0:ens3,ens4"},
		{"slave of two bonds", "bond=bond0:ens3,ens4 bond=bond1:ens4,ens5 ip=bond0:dhcp", "bond", "bond1:ens4,ens5", "ens4 is already a port of bond0"},
		{"bootdev unknown", "bootdev=ens9 ip=dhcp", "bootdev", "ens9", "no interface named ens9"},
		{"ip= MAC no NIC has", "ip=192.0.2.5:::24::52-54-00-99-99-99:none", "ip", "192.0.2.5:::24::52-54-00-99-99-99:none", "no NIC with MAC 52:54:00:99:99:99"},
		{"team refused", "team=team0:ens3,ens4 ip=team0:dhcp", "team", "team0:ens3,ens4", "use bond="},
		{"ifname MAC malformed", "ifname=net1:52:54:00:12:34", "ifname", "net1:52:54:00:12:34", "expects <name>:<MAC>"},
		{"ifname one MAC two names", "ifname=a:52:54:00:12:34:01 ifname=b:52:54:00:12:34:01", "ifname", "b:52:54:00:12:34:01", "is already named a"},
		{"ifname name taken by another NIC", "ifname=ens4:52:54:00:12:34:01 ip=ens4:dhcp", "ifname", "ens4:52:54:00:12:34:01", "would both be named ens4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ps := ParseCmdline(c.line)
			p := MakePlan(cfg, Facts{NICs: dracutNICs})
			ps = append(ps, p.Problems...)
			for _, pr := range ps {
				if pr.Arg == c.arg && pr.Value == c.value && strings.Contains(pr.Msg, c.msg) {
					return
				}
			}
			t.Errorf("no problem %s=%s: ...%s...; problems:\n%s", c.arg, c.value, c.msg, ps.Error())
		})
	}
}

// TestDracutFormsInAnswerFile: the answer file's keys for ifname=,
// vlan=NAME:PARENT, bridge= and bootdev= (the docs' example) plan as the
// kernel arguments do; the kernel's bridge= replaces the file's list.
func TestDracutFormsInAnswerFile(t *testing.T) {
	const doc = `network:
  ifnames: [{name: net1, mac: "52:54:00:12:34:01"}, {name: net2, mac: "52:54:00:12:34:02"}]
  vlans: [{name: vlan0001, id: 1, parent: net2}]
  bridges: [{name: br0, ports: [net1]}]
  ips: [{iface: br0, method: dhcp}, {iface: vlan0001, method: static, address: 192.0.2.5/24}]
  bootdev: br0
`
	cfg := Defaults()
	if ps := LoadAnswerFile(strings.NewReader(doc), &cfg); len(ps) > 0 {
		t.Fatal(ps)
	}
	p, err := network.MakePlan(cfg.Network, dracutNICs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := linkSummary(p), "net1 nic >br0 was ens3, br0 bridge, net2 nic was ens4, vlan0001 vlan 1@net2"; got != want {
		t.Errorf("links\n got %s\nwant %s", got, want)
	}
	if p.Mgmt != "br0" || ipSummary(p) != "br0 dhcp, vlan0001 192.0.2.5/24" {
		t.Errorf("management %s, addresses %s", p.Mgmt, ipSummary(p))
	}
	ps := ApplyCmdline(&cfg, "bridge=br1:net2")
	if len(ps) > 0 || len(cfg.Network.Bridges) != 1 || cfg.Network.Bridges[0].Name != "br1" || len(cfg.Network.VLANs) != 1 {
		t.Errorf("bridge= over the file: bridges %+v, vlans %+v, %v", cfg.Network.Bridges, cfg.Network.VLANs, ps)
	}
}
