package network

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// inUTS runs fn on a thread with its own UTS namespace, so Apply may set
// the hostname without touching the host's.
func inUTS(t *testing.T, fn func() string) string {
	t.Helper()
	c := make(chan string, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
			c <- "unshare UTS: " + err.Error()
			return
		}
		c <- fn()
	}()
	return <-c
}

func TestApplyDHCPv4(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	addAddr(t, peer, "p0", "10.99.0.1/24", true)
	nics := probeNS(t, node)
	v0 := nics[1]
	dnsmasq(t, peer, "--interface=p0", "--dhcp-range=10.99.0.100,10.99.0.150,255.255.255.0,1h",
		"--dhcp-option=option:dns-server,10.99.0.53", "--domain=test.lan",
		"--dhcp-host="+v0.MAC+",10.99.0.123,node9", "--dhcp-option=250,http://10.99.0.1/answers/node9.yaml")
	plan, err := MakePlan(Config{BootIf: "01-" + strings.ReplaceAll(v0.MAC, ":", "-")}, nics)
	if err != nil {
		t.Fatal(err)
	}
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	var res Result
	var uname string
	msg := inUTS(t, func() string {
		start := time.Now()
		res = apply(t, node, plan, ApplyOptions{ResolvConf: resolv, SetHostname: func(h string) error { return unix.Sethostname([]byte(h)) }})
		t.Logf("DHCPv4 apply took %s", time.Since(start))
		var u unix.Utsname
		_ = unix.Uname(&u)
		uname = unix.ByteSliceToString(u.Nodename[:])
		return ""
	})
	if msg != "" {
		t.Fatal(msg)
	}
	if len(res.Leases) != 1 {
		t.Fatalf("leases %+v", res.Leases)
	}
	l := res.Leases[0]
	t.Logf("DHCPv4 lease %s in %s", l.Address, l.Took)
	want := Lease{Iface: "v0", Family: 4, Address: pfx("10.99.0.123/24"), Router: addr("10.99.0.1"), Server: addr("10.99.0.1"),
		DNS: []netip.Addr{addr("10.99.0.53")}, Domain: "test.lan", Hostname: "node9", LeaseTime: time.Hour,
		AnswerURL: "http://10.99.0.1/answers/node9.yaml"}
	l.Took = 0
	if d := cmp.Diff(want, l, cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})); d != "" {
		t.Errorf("lease (-want +got):\n%s", d)
	}
	link, _ := node.h.LinkByName("v0")
	as, _ := node.h.AddrList(link, netlink.FAMILY_V4)
	if len(as) != 1 || as[0].IPNet.String() != "10.99.0.123/24" {
		t.Errorf("v0 addresses %v", as)
	}
	rs, err := node.h.RouteGet(net.ParseIP("198.51.100.1"))
	if err != nil || rs[0].Gw.String() != "10.99.0.1" {
		t.Errorf("default route: %v %v", rs, err)
	}
	b, _ := os.ReadFile(resolv)
	if !strings.Contains(string(b), "search test.lan\nnameserver 10.99.0.53\n") {
		t.Errorf("resolv.conf %q", b)
	}
	if uname != "node9" || res.Hostname != "node9" {
		t.Errorf("hostname %q (result %q), want node9 from the lease", uname, res.Hostname)
	}
	before := state(t, node)
	again := apply(t, node, plan, ApplyOptions{ResolvConf: resolv})
	if len(again.Changes) != 0 {
		t.Errorf("second Apply changed %q", again.Changes)
	}
	if d := cmp.Diff(before, state(t, node)); d != "" {
		t.Errorf("second Apply changed the namespace:\n%s", d)
	}
}

func TestApplyDHCPv4OverBridge(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	addAddr(t, peer, "p0", "10.98.0.1/24", true)
	dnsmasq(t, peer, "--interface=p0", "--dhcp-range=10.98.0.100,10.98.0.150,255.255.255.0,1h")
	plan, err := MakePlan(Config{BootIf: "v0", Layout: "bridged", IPs: []IP{{Method: "dhcp"}}}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, node, plan, ApplyOptions{})
	if len(res.Leases) != 1 || !pfx("10.98.0.0/24").Contains(res.Leases[0].Address.Addr()) || res.Leases[0].Iface != BridgeName {
		t.Fatalf("leases %+v", res.Leases)
	}
	t.Logf("DHCPv4 over the bridge: lease in %s, apply %s", res.Leases[0].Took, res.Took)
}

func TestDHCPv4NoServerTimesOut(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	plan, err := MakePlan(Config{BootIf: "v0"}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Apply(context.Background(), node.h, plan, ApplyOptions{NetNS: node.ns, DHCPTimeout: 200 * time.Millisecond, DHCPRetries: 2})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "DHCPv4 on v0") {
		t.Fatalf("want a DHCPv4 error, got %v", err)
	}
	if took > 3*time.Second {
		t.Errorf("gave up after %s, want about 2 x 200ms", took)
	}
}

func TestApplyDHCPv6(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	addAddr(t, peer, "p0", "2001:db8:6::1/64", true)
	dnsmasq(t, peer, "--interface=p0", "--enable-ra", "--dhcp-range=::100,::200,constructor:p0,64,1h",
		"--dhcp-option=option6:dns-server,[2001:db8:6::53]", "--domain=six.test")
	plan, err := MakePlan(Config{BootIf: "v0", IPs: []IP{{Method: "dhcp6"}}}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	start := time.Now()
	res := apply(t, node, plan, ApplyOptions{ResolvConf: resolv})
	t.Logf("DHCPv6 apply took %s (duplicate address detection of the link-local address included)", time.Since(start))
	if len(res.Leases) != 1 {
		t.Fatalf("leases %+v", res.Leases)
	}
	l := res.Leases[0]
	t.Logf("DHCPv6 lease %s in %s", l.Address, l.Took)
	a := l.Address.Addr()
	if l.Family != 6 || l.Address.Bits() != 128 || !pfx("2001:db8:6::/64").Contains(a) ||
		a.Less(addr("2001:db8:6::100")) || addr("2001:db8:6::200").Less(a) {
		t.Errorf("lease address %s outside ::100-::200", l.Address)
	}
	link, _ := node.h.LinkByName("v0")
	found := false
	as, _ := node.h.AddrList(link, netlink.FAMILY_V6)
	for _, x := range as {
		found = found || x.IPNet.String() == l.Address.String()
	}
	if !found {
		t.Errorf("lease address not on v0: %v", as)
	}
	b, _ := os.ReadFile(resolv)
	if !strings.Contains(string(b), "nameserver 2001:db8:6::53") {
		t.Errorf("resolv.conf %q", b)
	}
	again := apply(t, node, plan, ApplyOptions{ResolvConf: resolv})
	if len(again.Changes) != 0 || again.Leases[0].Address != l.Address {
		t.Errorf("second Apply: changes %q, lease %s (first %s)", again.Changes, again.Leases[0].Address, l.Address)
	}
}

func TestApplySLAAC(t *testing.T) {
	t.Parallel() // own namespaces and processes
	node, peer := pair(t, 1)
	linkUp(t, peer, "p0")
	addAddr(t, peer, "p0", "2001:db8:7::1/64", true)
	dnsmasq(t, peer, "--interface=p0", "--enable-ra", "--dhcp-range=::,constructor:p0,ra-only")
	plan, err := MakePlan(Config{BootIf: "v0", IPv6: "auto", IPs: []IP{{Method: "off"}}}, probeNS(t, node))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// router solicitation, the router's answer and duplicate address
	// detection of two addresses take 3-8 s here: allow more than the default
	res := apply(t, node, plan, ApplyOptions{SLAACTimeout: 20 * time.Second})
	t.Logf("SLAAC apply took %s", time.Since(start))
	if len(res.Warnings) > 0 {
		t.Fatalf("warnings: %q", res.Warnings)
	}
	link, _ := node.h.LinkByName("v0")
	as, _ := node.h.AddrList(link, netlink.FAMILY_V6)
	ok := false
	for _, x := range as {
		ok = ok || pfx("2001:db8:7::/64").Contains(netip.MustParseAddr(x.IP.String()))
	}
	if !ok {
		t.Errorf("no SLAAC address in 2001:db8:7::/64: %v", as)
	}
}
