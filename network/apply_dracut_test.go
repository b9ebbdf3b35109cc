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
