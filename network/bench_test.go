package network

import (
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

var benchCfg = Config{BootIf: "bond0", Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}, VLAN: 20, Layout: "bridged",
	IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none", MTU: 9000}}, Hostname: "node7.example.com"}

func BenchmarkMakePlan(b *testing.B) {
	for b.Loop() {
		if _, err := MakePlan(benchCfg, testNICs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	p, err := MakePlan(benchCfg, testNICs)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Render(p)
	}
}

// reset takes v0 back to down without addresses, as after boot.
func reset(b *testing.B, n *testNS) {
	l, err := n.h.LinkByName("v0")
	if err != nil {
		b.Fatal(err)
	}
	as, _ := n.h.AddrList(l, netlink.FAMILY_ALL)
	for _, a := range as {
		if err := n.h.AddrDel(l, &a); err != nil {
			b.Fatal(err)
		}
	}
	if err := n.h.LinkSetDown(l); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApplyStatic: a fresh static v4+v6 apply on a veth whose peer
// is up, carrier wait included.
func BenchmarkApplyStatic(b *testing.B) {
	node, peer := pair(b, 1)
	linkUp(b, peer, "p0")
	plan, err := MakePlan(Config{BootIf: "v0", IPs: []IP{
		{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none"},
		{Address: pfx("2001:db8:1::10/64"), Gateway: addr("2001:db8:1::1"), Method: "none"},
	}}, probeNS(b, node))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		reset(b, node)
		b.StartTimer()
		apply(b, node, plan, ApplyOptions{})
	}
}

// BenchmarkApplyDHCPv4: a fresh DHCPv4 apply against dnsmasq in the peer
// namespace; lease-ms is the DHCP exchange alone.
func BenchmarkApplyDHCPv4(b *testing.B) {
	node, peer := pair(b, 1)
	linkUp(b, peer, "p0")
	addAddr(b, peer, "p0", "10.97.0.1/24", true)
	dnsmasq(b, peer, "--interface=p0", "--dhcp-range=10.97.0.100,10.97.0.150,255.255.255.0,1h")
	plan, err := MakePlan(Config{BootIf: "v0"}, probeNS(b, node))
	if err != nil {
		b.Fatal(err)
	}
	var lease time.Duration
	for b.Loop() {
		b.StopTimer()
		reset(b, node)
		b.StartTimer()
		res := apply(b, node, plan, ApplyOptions{})
		lease += res.Leases[0].Took
	}
	b.ReportMetric(float64(lease.Milliseconds())/float64(b.N), "lease-ms")
}
