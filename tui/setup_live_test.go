package tui

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/vishvananda/netlink"

	"node-installer/installer/nodeconfig"
	"node-installer/internal/netnstest"
	"node-installer/network"
)

// TestSetupNetworkLive: on a node in a network namespace (eth0, and a
// gateway 192.0.2.1 in a second namespace), a Network page change that
// breaks the gateway shows the failed test and, unanswered, is reverted
// live and on disk; a change kept with Keep stays.
func TestSetupNetworkLive(t *testing.T) {
	n := netnstest.New(t)
	n.Gateway(t, "eth0", "192.0.2.1/24")
	eth, err := n.Link.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	o := setupNode(t)
	o.NICs = []network.NIC{{Name: "eth0", MAC: eth.Attrs().HardwareAddr.String(), Carrier: true}}
	ctx := context.Background()
	apply := func(ctx context.Context, plan network.Plan, res nodeconfig.Result) (*nodeconfig.Live, error) {
		return nodeconfig.ApplyLive(ctx, n.Link, plan, res, network.ApplyOptions{NetNS: n.Handle, CarrierTimeout: 3 * time.Second})
	}
	// the node as installed: eth0 static, live
	res, err := nodeconfig.Network(o, network.Config{BootIf: "eth0", Hostname: "node1.example.org", IPv6: "none",
		IPs: []network.IP{{Iface: "eth0", Method: "static", Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply(ctx, *res.Plan, res); err != nil {
		t.Fatal(err)
	}
	keyfile := filepath.Join(o.Root, network.KeyfileDir, "eth0.nmconnection")
	before, _ := os.ReadFile(keyfile)

	scr := tcell.NewSimulationScreen("UTF-8")
	ascii := false
	s := NewSetup(SetupOptions{Screen: scr, ASCII: &ascii, Node: o, Backend: SetupBackend{
		ApplyNetwork: apply,
		TestNetwork: func(ctx context.Context, mgmt string, dns []netip.Addr, host string) (c []nodeconfig.Check) {
			n.Do(t, func() { c = nodeconfig.TestNetwork(ctx, n.Link, mgmt, dns, "", 300*time.Millisecond) })
			return c
		},
		ConfirmWithin: 1500 * time.Millisecond,
	}})
	scr.SetSize(80, 25)
	h := &setupHarness{t: t, s: s, scr: scr, done: make(chan error, 1)}
	go func() { h.done <- s.Run() }()
	<-s.FirstDraw()
	t.Cleanup(func() { s.tv.Stop(); <-h.done })

	change := func(addr, gw string) {
		h.page(1)
		h.press(tcell.KeyEnter, tcell.KeyTab, tcell.KeyTab)
		h.press(tcell.KeyCtrlU)
		h.typeText(addr)
		h.press(tcell.KeyTab, tcell.KeyCtrlU)
		h.typeText(gw)
		h.press(tcell.KeyF10)
	}
	change("198.51.100.10/24", "198.51.100.1")
	h.waitFor("Revert", 10*time.Second)
	h.want("FAIL gateway  198.51.100.1")
	if !liveAddr(t, n.Link, "198.51.100.10/24") {
		t.Fatal("the change is not live")
	}
	h.waitFor("the previous network configuration is back", 10*time.Second)
	if !liveAddr(t, n.Link, "192.0.2.10/24") || liveAddr(t, n.Link, "198.51.100.10/24") {
		t.Error("live addresses not reverted")
	}
	if after, _ := os.ReadFile(keyfile); string(after) != string(before) {
		t.Errorf("keyfile not reverted:\n%s", after)
	}

	change("192.0.2.11/24", "192.0.2.1")
	h.waitFor("Revert", 10*time.Second)
	h.want("ok   gateway  192.0.2.1")
	h.press(tcell.KeyEnter) // Keep
	h.waitFor("Kept.", 5*time.Second)
	time.Sleep(2 * time.Second) // past the confirmation time
	if !liveAddr(t, n.Link, "192.0.2.11/24") {
		t.Error("the kept change is gone")
	}
	if b, _ := os.ReadFile(keyfile); !strings.Contains(string(b), "address1=192.0.2.11/24") {
		t.Errorf("keyfile:\n%s", b)
	}
}

func liveAddr(t *testing.T, h *netlink.Handle, cidr string) bool {
	t.Helper()
	l, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	as, _ := h.AddrList(l, netlink.FAMILY_V4)
	return slices.ContainsFunc(as, func(a netlink.Addr) bool { return a.IPNet.String() == cidr })
}

func (h *setupHarness) waitFor(sub string, d time.Duration) {
	h.t.Helper()
	waitScreen(h.t, h.screen, sub, d)
}
