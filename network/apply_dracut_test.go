package network

import (
	"testing"

	"github.com/vishvananda/netlink"
)

// TestApplyIfnameBridgeOfTwo is dracut's TEST-60 bridge case live:
// ifname= renames both NICs by MAC, bridge=br0:net1,net5 takes them as
// ports, the bridge gets the address; a second Apply changes nothing.
func TestApplyIfnameBridgeOfTwo(t *testing.T) {
	t.Parallel() // own namespaces
	node, peer := pair(t, 2)
	linkUp(t, peer, "p0")
	linkUp(t, peer, "p1")
	nics := probeNS(t, node)
	mac := map[string]string{}
	for _, n := range nics {
		mac[n.Name] = n.MAC
	}
	cfg := Config{
		Ifnames: []Ifname{{Name: "net1", MAC: mac["v0"]}, {Name: "net5", MAC: mac["v1"]}},
		Bridges: []Bridge{{Name: "br0", Ports: []string{"net1", "net5"}}},
		IPs:     []IP{{Iface: "br0", Address: pfx("192.0.2.10/24"), Method: "none"}},
		BootDev: "br0",
	}
	plan, err := MakePlan(cfg, nics)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Mgmt != "br0" || plan.Device != "net1" {
		t.Fatalf("management %s on %s, want br0 on net1", plan.Mgmt, plan.Device)
	}
	res := apply(t, node, plan, ApplyOptions{})
	br, err := node.h.LinkByName("br0")
	if err != nil {
		t.Fatalf("no br0: %v (changes %q)", err, res.Changes)
	}
	for old, name := range map[string]string{"v0": "net1", "v1": "net5"} {
		if _, err := node.h.LinkByName(old); err == nil {
			t.Errorf("%s still has its probed name", old)
		}
		l, err := node.h.LinkByName(name)
		if err != nil {
			t.Fatalf("%s (was %s): %v", name, old, err)
		}
		if l.Attrs().HardwareAddr.String() != mac[old] {
			t.Errorf("%s has MAC %s, want %s's %s", name, l.Attrs().HardwareAddr, old, mac[old])
		}
		if l.Attrs().MasterIndex != br.Attrs().Index {
			t.Errorf("%s is not a port of br0", name)
		}
	}
	if as, _ := node.h.AddrList(br, netlink.FAMILY_V4); len(as) != 1 || as[0].IPNet.String() != "192.0.2.10/24" {
		t.Errorf("br0 addresses %v", as)
	}
	applyAgainUnchanged(t, node, plan)
	files := Render(plan)
	var link string
	for _, f := range files {
		if f.Path == LinkDir+"/10-net1.link" {
			link = string(f.Data)
		}
	}
	if want := "[Match]\nMACAddress=" + mac["v0"] + "\n\n[Link]\nName=net1\n"; link == "" || link[len(link)-len(want):] != want {
		t.Errorf("10-net1.link:\n%s\nwant it to end with\n%s", link, want)
	}
}

// TestIfnameOnTheRenamedSystem: planned again on the installed system,
// where the NIC has its ifname= name already, the rename is still listed
// and its .link file still rendered (a group is rewritten whole: a file
// not rendered again would be deleted, and the name lost on next boot).
func TestIfnameOnTheRenamedSystem(t *testing.T) {
	cfg := Config{Ifnames: []Ifname{{Name: "net1", MAC: "52:54:00:12:34:01"}}, IPs: []IP{{Iface: "net1", Method: "dhcp"}}}
	for _, name := range []string{"ens3", "net1"} {
		p, err := MakePlan(cfg, []NIC{{Name: name, MAC: "52:54:00:12:34:01", Carrier: true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Renames) != 1 || p.Renames[0].From != name {
			t.Errorf("probed as %s: renames %+v", name, p.Renames)
		}
		l, _ := p.Link("net1")
		if want := map[string]string{"ens3": "ens3", "net1": ""}[name]; l.RenamedFrom != want {
			t.Errorf("probed as %s: link renamed from %q, want %q", name, l.RenamedFrom, want)
		}
		found := false
		for _, f := range Render(p) {
			found = found || f.Path == LinkDir+"/10-net1.link"
		}
		if !found {
			t.Errorf("probed as %s: no 10-net1.link rendered", name)
		}
	}
}

// TestApplyDracutVLANs is dracut's TEST-60 VLAN case live: the
// management NIC by DHCP-less static address, and on the other NIC the
// VLANs vlan0001 and v1.0004 (IDs from their names) with their own
// addresses; a second Apply changes nothing. Needs the 8021q driver (the
// VM suite has it).
func TestApplyDracutVLANs(t *testing.T) {
	t.Parallel() // own namespaces
	node, peer := pair(t, 2)
	v1, _ := node.h.LinkByName("v1")
	if !kernelHas(t, node, &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "probevlan", ParentIndex: v1.Attrs().Index}, VlanId: 9}) {
		t.Skip("kernel lacks the 8021q (VLAN) driver: VLAN apply waits for the VM suite")
	}
	linkUp(t, peer, "p0")
	linkUp(t, peer, "p1")
	cfg := Config{
		VLANs: []VLAN{{Name: "vlan0001", ID: 1, Parent: "v1"}, {Name: "v1.0004", ID: 4, Parent: "v1"}},
		IPs: []IP{{Iface: "v0", Address: pfx("192.0.2.10/24"), Method: "none"},
			{Iface: "vlan0001", Address: pfx("192.168.54.101/24"), Gateway: addr("192.168.54.1"), Method: "none"},
			{Iface: "v1.0004", Address: pfx("192.168.57.104/24"), Gateway: addr("192.168.57.1"), Method: "none"}},
		BootDev: "v0",
	}
	plan, err := MakePlan(cfg, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	apply(t, node, plan, ApplyOptions{})
	for name, id := range map[string]int{"vlan0001": 1, "v1.0004": 4} {
		l, err := node.h.LinkByName(name)
		if err != nil || l.Type() != "vlan" || l.(*netlink.Vlan).VlanId != id || l.Attrs().ParentIndex != v1.Attrs().Index {
			t.Fatalf("%s: %v %v, want VLAN %d on v1", name, l, err, id)
		}
	}
	// both VLAN gateways are default routes, behind the management one's
	rs, _ := node.h.RouteList(nil, netlink.FAMILY_V4)
	metrics := map[string]int{}
	for _, r := range rs {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			l, _ := node.h.LinkByIndex(r.LinkIndex)
			metrics[l.Attrs().Name] = r.Priority
		}
	}
	if metrics["vlan0001"] == 0 || metrics["v1.0004"] == 0 || metrics["vlan0001"] == metrics["v1.0004"] {
		t.Errorf("default routes by device and metric %v: want both VLANs', with distinct non-zero metrics", metrics)
	}
	applyAgainUnchanged(t, node, plan)
}

// TestApplyTwoBonds: two bond= on one line, the second not the
// management one, both created with their slaves and addresses. Needs
// the bonding driver (the VM suite has it).
func TestApplyTwoBonds(t *testing.T) {
	t.Parallel() // own namespaces
	node, peer := pair(t, 4)
	if !kernelHas(t, node, netlink.NewLinkBond(netlink.LinkAttrs{Name: "probebond"})) {
		t.Skip("kernel lacks the bonding driver: bond apply waits for the VM suite")
	}
	for _, p := range []string{"p0", "p1", "p2", "p3"} {
		linkUp(t, peer, p)
	}
	cfg := Config{
		Bond:  &Bond{Name: "bond0", Slaves: []string{"v0", "v1"}, Options: DefaultBondOptions},
		Bonds: []Bond{{Name: "bond1", Slaves: []string{"v2", "v3"}, Options: "mode=802.3ad miimon=100", MTU: 9000}},
		IPs: []IP{{Iface: "bond0", Address: pfx("192.0.2.10/24"), Method: "none"},
			{Iface: "bond1", Address: pfx("198.51.100.10/24"), Method: "none"}},
		BootDev: "bond0",
	}
	plan, err := MakePlan(cfg, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	apply(t, node, plan, ApplyOptions{})
	for bond, slaves := range map[string][]string{"bond0": {"v0", "v1"}, "bond1": {"v2", "v3"}} {
		b, err := node.h.LinkByName(bond)
		if err != nil || b.Type() != "bond" {
			t.Fatalf("%s: %v %v", bond, b, err)
		}
		for _, s := range slaves {
			if l, _ := node.h.LinkByName(s); l.Attrs().MasterIndex != b.Attrs().Index {
				t.Errorf("%s is not a slave of %s", s, bond)
			}
		}
	}
	if b1, _ := node.h.LinkByName("bond1"); b1.(*netlink.Bond).Mode != netlink.BOND_MODE_802_3AD || b1.Attrs().MTU != 9000 {
		t.Errorf("bond1: mode %v MTU %d, want 802.3ad and 9000", b1.(*netlink.Bond).Mode, b1.Attrs().MTU)
	}
	applyAgainUnchanged(t, node, plan)
}
