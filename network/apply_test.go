package network

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// pair makes a namespace for the node with NICs v0..v(n-1) and a peer
// namespace holding their other ends p0..p(n-1).
func pair(t testing.TB, n int) (node, peer *testNS) {
	node, peer = newNS(t), newNS(t)
	for i := range n {
		veth(t, node, "v"+string(rune('0'+i)), peer, "p"+string(rune('0'+i)))
	}
	return node, peer
}

// applyAgainUnchanged applies plan a second time: Apply is idempotent,
// nothing changes.
func applyAgainUnchanged(t *testing.T, node *testNS, plan Plan) {
	t.Helper()
	before := state(t, node)
	if again := apply(t, node, plan, ApplyOptions{}); len(again.Changes) != 0 {
		t.Errorf("second Apply changed %q", again.Changes)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("second Apply changed the namespace:\n%s", d)
	}
}

func TestProbeInNamespace(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 2)
	linkUp(t, peer, "p0")
	linkUp(t, node, "v0")
	addAddr(t, node, "v0", "192.0.2.7/24", true)
	// the kernel sets the operational state a moment after carrier (its
	// link watch runs up to a second later, seen in the VM as "unknown")
	deadline := time.Now().Add(3 * time.Second)
	up := func(l netlink.Link) bool { return hasCarrier(l) && l.Attrs().OperState == netlink.OperUp }
	for l, _ := node.h.LinkByName("v0"); !up(l) && time.Now().Before(deadline); l, _ = node.h.LinkByName("v0") {
		time.Sleep(20 * time.Millisecond)
	}
	nics := probeNS(t, node)
	var names []string
	for _, n := range nics {
		names = append(names, n.Name)
	}
	if d := cmp.Diff([]string{"lo", "v0", "v1"}, names); d != "" {
		t.Fatalf("NICs (-want +got):\n%s", d)
	}
	for _, n := range nics {
		l, err := node.h.LinkByName(n.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n.MAC != l.Attrs().HardwareAddr.String() || n.MTU != l.Attrs().MTU {
			t.Errorf("%s: MAC %s MTU %d, netlink says %s %d", n.Name, n.MAC, n.MTU, l.Attrs().HardwareAddr, l.Attrs().MTU)
		}
	}
	lo, v0, v1 := nics[0], nics[1], nics[2]
	if !lo.Loopback || v0.Loopback || !v0.Virtual || !v1.Virtual {
		t.Errorf("loopback/virtual wrong: %+v %+v %+v", lo, v0, v1)
	}
	if !v0.Carrier || v0.OperState != "up" || v1.Carrier || v1.OperState != "down" {
		t.Errorf("carrier/operstate: v0 %v %s, v1 %v %s", v0.Carrier, v0.OperState, v1.Carrier, v1.OperState)
	}
	if !slices.Contains(v0.Addrs, "192.0.2.7/24") || len(v1.Addrs) != 0 {
		t.Errorf("addresses: v0 %v v1 %v", v0.Addrs, v1.Addrs)
	}
}

func TestApplyStaticIdempotent(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	nics := probeNS(t, node)
	cfg := Config{BootIf: "v0", IPs: []IP{
		{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none", MTU: 1400},
		{Address: pfx("2001:db8:1::10/64"), Gateway: addr("2001:db8:1::1"), Method: "none"},
	}, DNS: []netip.Addr{addr("192.0.2.53"), addr("2001:db8::53")}, Hostname: "node1.example.com"}
	plan, err := MakePlan(cfg, nics)
	if err != nil {
		t.Fatal(err)
	}
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	start := time.Now()
	res := apply(t, node, plan, ApplyOptions{ResolvConf: resolv})
	t.Logf("static apply took %s, %d changes", time.Since(start), len(res.Changes))

	l, err := node.h.LinkByName("v0")
	if err != nil {
		t.Fatal(err)
	}
	if l.Attrs().MTU != 1400 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("v0: MTU %d up %v", l.Attrs().MTU, l.Attrs().Flags&net.FlagUp != 0)
	}
	as, _ := node.h.AddrList(l, netlink.FAMILY_ALL)
	var got []string
	for _, a := range as {
		if !a.IP.IsLinkLocalUnicast() {
			got = append(got, a.IPNet.String())
		}
	}
	slices.Sort(got)
	if d := cmp.Diff([]string{"192.0.2.10/24", "2001:db8:1::10/64"}, got); d != "" {
		t.Errorf("addresses (-want +got):\n%s", d)
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := node.h.RouteGet(map[int]net.IP{netlink.FAMILY_V4: net.ParseIP("198.51.100.1"), netlink.FAMILY_V6: net.ParseIP("2001:db8:99::1")}[fam])
		if err != nil || len(rs) == 0 {
			t.Fatalf("no route to the outside (family %d): %v", fam, err)
		}
		want := map[int]string{netlink.FAMILY_V4: "192.0.2.1", netlink.FAMILY_V6: "2001:db8:1::1"}[fam]
		if rs[0].Gw.String() != want || rs[0].LinkIndex != l.Attrs().Index {
			t.Errorf("route family %d via %s dev %d, want via %s dev v0", fam, rs[0].Gw, rs[0].LinkIndex, want)
		}
	}
	b, err := os.ReadFile(resolv)
	if err != nil || !strings.Contains(string(b), "nameserver 192.0.2.53\nnameserver 2001:db8::53\n") {
		t.Errorf("resolv.conf: %q %v", b, err)
	}
	if res.Hostname != "node1.example.com" {
		t.Errorf("hostname %q", res.Hostname)
	}

	before := state(t, node)
	start = time.Now()
	again := apply(t, node, plan, ApplyOptions{ResolvConf: resolv})
	t.Logf("second apply took %s", time.Since(start))
	if len(again.Changes) != 0 {
		t.Errorf("second Apply changed %q", again.Changes)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("second Apply changed the namespace (-first +second):\n%s", d)
	}
}

func TestApplyBridge(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	addAddr(t, peer, "p0", "192.0.2.1/24", true)
	nics := probeNS(t, node)
	plan, err := MakePlan(Config{BootIf: "v0", Layout: "bridged",
		IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none"}}}, nics)
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, node, plan, ApplyOptions{})
	br, err := node.h.LinkByName(BridgeName)
	if err != nil {
		t.Fatalf("no bridge: %v (changes %q)", err, res.Changes)
	}
	v0, _ := node.h.LinkByName("v0")
	if br.Type() != "bridge" || v0.Attrs().MasterIndex != br.Attrs().Index {
		t.Errorf("v0 is not a port of %s", BridgeName)
	}
	if br.Attrs().HardwareAddr.String() != v0.Attrs().HardwareAddr.String() {
		t.Errorf("bridge MAC %s, want its port's %s", br.Attrs().HardwareAddr, v0.Attrs().HardwareAddr)
	}
	as, _ := node.h.AddrList(br, netlink.FAMILY_V4)
	if len(as) != 1 || as[0].IPNet.String() != "192.0.2.10/24" {
		t.Errorf("bridge addresses %v", as)
	}
	applyAgainUnchanged(t, node, plan)
	// traffic crosses the bridge: the peer's address answers (neighbour resolved)
	if err := pingNS(node, "192.0.2.1"); err != nil {
		t.Errorf("through the bridge: %v", err)
	}
	// back to the direct layout: v0 leaves the bridge and takes the address
	direct, err := MakePlan(Config{BootIf: "v0", IPs: []IP{{Address: pfx("192.0.2.11/24"), Method: "none"}}}, nics)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, node, direct, ApplyOptions{})
	v0, _ = node.h.LinkByName("v0")
	if v0.Attrs().MasterIndex != 0 {
		t.Errorf("v0 still a port of %d", v0.Attrs().MasterIndex)
	}
	if as, _ := node.h.AddrList(v0, netlink.FAMILY_V4); len(as) != 1 || as[0].IPNet.String() != "192.0.2.11/24" {
		t.Errorf("v0 addresses %v", as)
	}
}

// pingNS checks reachability by resolving the neighbour over ARP/ND from
// inside n (no ICMP socket needed): a UDP send makes the kernel resolve it.
func pingNS(n *testNS, ip string) error {
	return InNamespace(n.ns, func() error {
		c, err := net.Dial("udp", net.JoinHostPort(ip, "9"))
		if err != nil {
			return err
		}
		defer c.Close()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			_, _ = c.Write([]byte("x"))
			ns, _ := netlink.NeighList(0, netlink.FAMILY_ALL)
			for _, ne := range ns {
				if ne.IP.String() == ip && ne.State&(netlink.NUD_REACHABLE|netlink.NUD_STALE|netlink.NUD_DELAY|netlink.NUD_PROBE) != 0 && ne.HardwareAddr != nil {
					return nil
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		return errors.New("neighbour " + ip + " never resolved")
	})
}

func TestBootIfLinkPicksTheNICWithCarrier(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 3)
	linkUp(t, peer, "p1") // only v1 can get carrier: the other peers stay down
	nics := probeNS(t, node)
	for _, n := range nics {
		if n.Carrier && !n.Loopback {
			t.Fatalf("%s has carrier while down", n.Name)
		}
	}
	cfg := Config{BootIf: "link", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}}
	plan, err := MakePlan(cfg, nics)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Pending() || strings.Join(plan.Candidates, ",") != "v0,v1,v2" {
		t.Fatalf("want a plan waiting on v0,v1,v2; got:\n%s", plan.Text())
	}
	start := time.Now()
	res := apply(t, node, plan, ApplyOptions{})
	t.Logf("carrier found and applied in %s", time.Since(start))
	if res.Plan.Device != "v1" || res.Plan.Mgmt != "v1" {
		t.Fatalf("chose %q, want v1:\n%s", res.Plan.Device, res.Plan.Text())
	}
	for _, name := range []string{"v0", "v2"} {
		if l, _ := node.h.LinkByName(name); l.Attrs().Flags&net.FlagUp != 0 {
			t.Errorf("%s left up", name)
		}
	}
	v1, _ := node.h.LinkByName("v1")
	if as, _ := node.h.AddrList(v1, netlink.FAMILY_V4); len(as) != 1 || as[0].IPNet.String() != "192.0.2.10/24" {
		t.Errorf("v1 addresses %v", as)
	}
	// probed again now, v1 has carrier: the plan picks it without waiting
	again, err := MakePlan(cfg, probeNS(t, node))
	if err != nil || again.Device != "v1" || again.Pending() {
		t.Errorf("plan with carrier seen: device %q pending %v err %v", again.Device, again.Pending(), err)
	}
}

func TestBootIfLinkTimesOut(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, _ := pair(t, 2)
	plan, err := MakePlan(Config{BootIf: "link"}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	before := state(t, node)
	ctx := context.Background()
	_, err = Apply(ctx, node.h, plan, ApplyOptions{NetNS: node.ns, CarrierTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "BOOTIF=link: no carrier on v0, v1 within 300ms") {
		t.Fatalf("want a carrier timeout naming BOOTIF=link, got %v", err)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("a failed carrier wait changed the namespace:\n%s", d)
	}
}

// TestMalformedInputChangesNothing: bad arguments stop at MakePlan, and a
// plan that does not fit the system stops in Apply's preflight; either
// way no link goes down and no address changes.
func TestMalformedInputChangesNothing(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 2)
	linkUp(t, peer, "p0")
	linkUp(t, node, "v0")
	addAddr(t, node, "v0", "198.51.100.5/24", true)
	addAddr(t, node, "v0", "2001:db8:5::5/64", true)
	if err := node.h.RouteAdd(&netlink.Route{Gw: net.ParseIP("198.51.100.1")}); err != nil {
		t.Fatal(err)
	}
	nics := probeNS(t, node)
	before := state(t, node)

	bad := map[string]Config{
		"unknown NIC":     {BootIf: "eth9", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}},
		"unknown MAC":     {BootIf: "01-aa-bb-cc-dd-ee-ff"},
		"gateway outside": {BootIf: "v0", IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("10.0.0.1"), Method: "none"}}},
		"vlan range":      {BootIf: "v0", VLAN: 4095},
		"bad method":      {BootIf: "v0", IPs: []IP{{Method: "bootp"}}},
		"bad MTU":         {BootIf: "v0", IPs: []IP{{Method: "none", MTU: 10}}},
	}
	for name, cfg := range bad {
		p, err := MakePlan(cfg, nics)
		if err == nil {
			t.Errorf("%s: MakePlan accepted it", name)
			continue
		}
		// what a caller does with a failed plan: apply nothing (the zero plan)
		if _, err := Apply(context.Background(), node.h, p, ApplyOptions{NetNS: node.ns}); err != nil {
			t.Errorf("%s: Apply of the zero plan: %v", name, err)
		}
	}
	// plans that do not fit the system any more
	stale, err := MakePlan(Config{BootIf: "v1", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}},
		append(slices.Clone(nics), NIC{Name: "v1x"}))
	if err != nil {
		t.Fatal(err)
	}
	stale.Links = append(stale.Links, Link{Name: "v7", Kind: KindNIC})
	stale.Links[0].MTU = 1300
	if _, err := Apply(context.Background(), node.h, stale, ApplyOptions{NetNS: node.ns}); err == nil || !strings.Contains(err.Error(), "NIC v7: not present") {
		t.Errorf("stale plan: want 'NIC v7: not present', got %v", err)
	}
	wrongKind := Plan{Mgmt: "v0", Device: "v0", Links: []Link{{Name: "v0", Kind: KindNIC}, {Name: "lo", Kind: KindBridge}}}
	if _, err := Apply(context.Background(), node.h, wrongKind, ApplyOptions{NetNS: node.ns}); err == nil || !strings.Contains(err.Error(), "exists as a device, the plan needs a bridge") {
		t.Errorf("wrong kind: got %v", err)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("malformed input changed the namespace (-before +after):\n%s", d)
	}
}

// kernelHas reports whether the kernel can make a link of this kind in n.
func kernelHas(t *testing.T, n *testNS, l netlink.Link) bool {
	err := n.h.LinkAdd(l)
	if err == nil {
		_ = n.h.LinkDel(l)
		return true
	}
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV) || strings.Contains(err.Error(), "not supported") {
		return false
	}
	t.Fatalf("probe for %s support: %v", l.Type(), err)
	return false
}

func TestApplyBondVLAN(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 2)
	if !kernelHas(t, node, netlink.NewLinkBond(netlink.LinkAttrs{Name: "probebond"})) {
		t.Skip("kernel lacks the bonding driver: bond/VLAN apply waits for the VM suite")
	}
	v0, _ := node.h.LinkByName("v0")
	if !kernelHas(t, node, &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "probevlan", ParentIndex: v0.Attrs().Index}, VlanId: 9}) {
		t.Skip("kernel lacks the 8021q (VLAN) driver: bond/VLAN apply waits for the VM suite")
	}
	linkUp(t, peer, "p0")
	linkUp(t, peer, "p1")
	cfg := Config{BootIf: "bond0", Bond: &Bond{Name: "bond0", Slaves: []string{"v0", "v1"}}, VLAN: 100,
		IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}}
	plan, err := MakePlan(cfg, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	apply(t, node, plan, ApplyOptions{})
	bond, err := node.h.LinkByName("bond0")
	if err != nil || bond.Type() != "bond" || bond.(*netlink.Bond).Mode != netlink.BOND_MODE_ACTIVE_BACKUP {
		t.Fatalf("bond0: %v %v", bond, err)
	}
	for _, s := range []string{"v0", "v1"} {
		if l, _ := node.h.LinkByName(s); l.Attrs().MasterIndex != bond.Attrs().Index {
			t.Errorf("%s is not a slave of bond0", s)
		}
	}
	vl, err := node.h.LinkByName("bond0.100")
	if err != nil || vl.(*netlink.Vlan).VlanId != 100 || vl.Attrs().ParentIndex != bond.Attrs().Index {
		t.Fatalf("bond0.100: %v %v", vl, err)
	}
	applyAgainUnchanged(t, node, plan)
}

func TestBondCreateFailureChangesNothing(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, _ := pair(t, 2)
	if kernelHas(t, node, netlink.NewLinkBond(netlink.LinkAttrs{Name: "probebond"})) {
		t.Skip("the kernel has the bonding driver: nothing fails here")
	}
	plan, err := MakePlan(Config{Bond: &Bond{Name: "bond0", Slaves: []string{"v0", "v1"}}, Layout: "bridged"}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	before := state(t, node)
	_, err = Apply(context.Background(), node.h, plan, ApplyOptions{NetNS: node.ns})
	if err == nil || !strings.Contains(err.Error(), "create bond bond0") {
		t.Fatalf("want a bond creation error, got %v", err)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("failed creation left changes:\n%s", d)
	}
}

func TestApplySetsMAC(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	linkUp(t, node, "v0") // up already: the MAC change must still happen
	plan, err := MakePlan(Config{BootIf: "v0", IPs: []IP{{Method: "off", MAC: "02:00:00:00:00:42", MTU: 1280}}}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, node, plan, ApplyOptions{})
	l, _ := node.h.LinkByName("v0")
	if l.Attrs().HardwareAddr.String() != "02:00:00:00:00:42" || l.Attrs().MTU != 1280 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("v0: MAC %s MTU %d up %v (changes %q)", l.Attrs().HardwareAddr, l.Attrs().MTU, l.Attrs().Flags&net.FlagUp != 0, res.Changes)
	}
	if again := apply(t, node, plan, ApplyOptions{}); len(again.Changes) != 0 {
		t.Errorf("second Apply changed %q", again.Changes)
	}
}

func TestApplyStaticWithoutCarrierWarns(t *testing.T) {
	t.Parallel()          // own namespaces and processes
	node, _ := pair(t, 1) // the peer stays down: no carrier
	plan, err := MakePlan(Config{BootIf: "v0", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, node, plan, ApplyOptions{CarrierTimeout: 200 * time.Millisecond})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "no carrier on v0 within 200ms (static configuration applied anyway)") {
		t.Errorf("warnings %q", res.Warnings)
	}
	l, _ := node.h.LinkByName("v0")
	if as, _ := node.h.AddrList(l, netlink.FAMILY_V4); len(as) != 1 {
		t.Errorf("static address not applied without carrier: %v", as)
	}
	// DHCP cannot work without carrier: that is an error
	dplan, _ := MakePlan(Config{BootIf: "v0"}, probeNS(t, node))
	_, err = Apply(context.Background(), node.h, dplan, ApplyOptions{NetNS: node.ns, CarrierTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no carrier on v0 within 200ms") {
		t.Errorf("DHCP without carrier: %v", err)
	}
}
