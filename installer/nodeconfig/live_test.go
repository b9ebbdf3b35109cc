package nodeconfig

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"node-installer/internal/netnstest"
	"node-installer/network"
)

// testbed: the node's eth0 in a namespace and a peer namespace holding
// the gateway 192.0.2.1 and 2001:db8::1 on the other end of a veth pair.
func testbed(t *testing.T) (node netns.NsHandle, h *netlink.Handle, nics []network.NIC) {
	n := netnstest.New(t)
	n.Gateway(t, "eth0", "192.0.2.1/24", "2001:db8::1/64")
	l, err := n.Link.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	return n.Handle, n.Link, []network.NIC{{Name: "eth0", MAC: l.Attrs().HardwareAddr.String(), Carrier: true}}
}

// inNS runs f inside ns (its sockets are opened there).
func inNS(t *testing.T, ns netns.NsHandle, f func()) {
	netnstest.InThread(func() {
		if err := netns.Set(ns); err != nil {
			t.Errorf("enter netns: %v", err)
			return
		}
		f()
	})
}

func hasAddr(t *testing.T, h *netlink.Handle, dev, cidr string) bool {
	t.Helper()
	l, err := h.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	as, _ := h.AddrList(l, netlink.FAMILY_ALL)
	want := netip.MustParsePrefix(cidr)
	return slices.ContainsFunc(as, func(a netlink.Addr) bool {
		p, _ := netip.ParsePrefix(a.IPNet.String())
		return p == want
	})
}

func defaultVia(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	snap, err := network.TakeSnapshot(h)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range snap.Routes {
		if r.Dst.Bits() == 0 {
			out = append(out, r.Gateway.String())
		}
	}
	slices.Sort(out)
	return out
}

// TestNetworkRevert: a live network change that breaks the gateway and
// is not confirmed in time is reverted, live and on disk; a confirmed
// one stays. Figures: the network page written and applied live.
func TestNetworkRevert(t *testing.T) {
	node, h, nics := testbed(t)
	o, root := installedNode(t)
	o.NICs = nics
	resolv := root + "/etc/resolv.conf"
	opts := network.ApplyOptions{ResolvConf: resolv, CarrierTimeout: 3 * time.Second, NetNS: node}
	ctx := context.Background()

	apply := func(line string) (*Live, time.Duration) {
		t.Helper()
		start := time.Now()
		res, err := Network(o, parseCfg(t, line))
		if err != nil {
			t.Fatal(err)
		}
		lv, err := ApplyLive(ctx, h, *res.Plan, res, opts)
		if err != nil {
			t.Fatal(err)
		}
		return lv, time.Since(start)
	}
	good := "BOOTIF=eth0 ip=192.0.2.10::192.0.2.1:24:node1:eth0:none ip=[2001:db8::10]::[2001:db8::1]:64::eth0:none dns=192.0.2.1"
	lv, took := apply(good)
	t.Logf("network page written and applied live in %v (netlink %v)", took, lv.Took)
	if took > time.Second {
		t.Errorf("applying the network page took %v, want < 1s", took)
	}
	go func() {
		for {
			if ok, _ := Confirm(root); ok {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	kept, err := AwaitConfirm(ctx, root, 5*time.Second, nil)
	if err != nil || !kept {
		t.Fatalf("confirmation not seen: %v %v", kept, err)
	}
	var checks []Check
	inNS(t, node, func() {
		checks = TestNetwork(ctx, h, "eth0", []netip.Addr{netip.MustParseAddr("192.0.2.1")}, "", time.Second)
	})
	for _, c := range checks {
		t.Log(c)
		if !c.OK && c.What != "resolve" {
			t.Errorf("good network: %s", c)
		}
	}
	before := sums(t, root)
	beforeGW := defaultVia(t, h)

	bad := "BOOTIF=eth0 ip=198.51.100.10::198.51.100.1:24:node1:eth0:none dns=198.51.100.53"
	lv, _ = apply(bad)
	if !hasAddr(t, h, "eth0", "198.51.100.10/24") || hasAddr(t, h, "eth0", "192.0.2.10/24") {
		t.Fatalf("the bad change is not live")
	}
	inNS(t, node, func() { checks = TestNetwork(ctx, h, "eth0", nil, "", 300*time.Millisecond) })
	failed := false
	for _, c := range checks {
		t.Log(c)
		failed = failed || c.What == "gateway" && !c.OK
	}
	if !failed {
		t.Errorf("the unreachable gateway 198.51.100.1 passed the test")
	}
	start := time.Now()
	kept, err = AwaitConfirm(ctx, root, 500*time.Millisecond, nil)
	if err != nil || kept {
		t.Fatalf("AwaitConfirm = %v, %v; want no confirmation", kept, err)
	}
	changes, err := lv.Revert()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reverted after %v: %v", time.Since(start), changes)
	if !hasAddr(t, h, "eth0", "192.0.2.10/24") || !hasAddr(t, h, "eth0", "2001:db8::10/64") || hasAddr(t, h, "eth0", "198.51.100.10/24") {
		t.Errorf("live addresses not reverted")
	}
	if got := defaultVia(t, h); !slices.Equal(got, beforeGW) {
		t.Errorf("default routes via %v after revert, want %v", got, beforeGW)
	}
	if d := diffSums(before, sums(t, root)); len(d) > 0 {
		t.Errorf("files not reverted: %v", d)
	}
	var ok bool
	inNS(t, node, func() { ok = ping(ctx, "gateway", netip.MustParseAddr("192.0.2.1"), time.Second).OK })
	if !ok {
		t.Errorf("gateway unreachable after the revert")
	}
}

// TestRestoreDeletesNewLinks: links a change created are gone after
// Restore and a port is released (the bond case, on a bridge: this
// host kernel has no bonding driver).
func TestRestoreDeletesNewLinks(t *testing.T) {
	_, h, _ := testbed(t)
	snap, err := network.TakeSnapshot(h)
	if err != nil {
		t.Fatal(err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br9"}}
	if err := h.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	eth, _ := h.LinkByName("eth0")
	if err := h.LinkSetMaster(eth, br); err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Restore(h); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LinkByName("br9"); err == nil {
		t.Errorf("br9 still there")
	}
	if eth, _ = h.LinkByName("eth0"); eth.Attrs().MasterIndex != 0 {
		t.Errorf("eth0 still a port")
	}
	_ = net.FlagUp
}
