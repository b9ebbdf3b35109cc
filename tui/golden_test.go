package tui

import (
	"net/netip"
	"testing"

	"github.com/gdamore/tcell/v2"

	"node-installer/network"
	"node-installer/storage"
)

// TestGoldenScreens pins a few key states at 80x25 (go test -update rewrites).
func TestGoldenScreens(t *testing.T) {
	tests := []struct {
		name  string
		opts  func() Options
		ascii bool
		keys  func(h *harness)
	}{
		{"welcome-fresh-ascii", testOptions, true, func(*harness) {}},
		{"welcome-upgrade", func() Options {
			o := testOptions()
			o.Facts.Disks[1] = installed("4.4.1", false)
			o.Facts.Disks[1].Name, o.Facts.Disks[1].Path = "sdb", "/dev/sdb"
			return o
		}, false, func(*harness) {}},
		{"boot-disk", testOptions, false, func(h *harness) { h.toPage(pgBoot); h.press(tcell.KeyDown) }},
		{"sizes-error", testOptions, false, func(h *harness) {
			h.toPage(pgSizes)
			h.press(tcell.KeyTab, tcell.KeyTab, tcell.KeyTab, tcell.KeyTab)
			h.typeText("1T")
		}},
		{"network-static", func() Options {
			o := testOptions()
			o.Config.Network = network.Config{BootIf: "eno1", Hostname: "node7.example.org",
				IPs: []network.IP{{Iface: "eno1", Method: "static", Address: netip.MustParsePrefix("192.0.2.7/24"), Gateway: netip.MustParseAddr("192.0.2.1")}},
				DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, NTP: []string{"ntp.example.org"}}
			return o
		}, false, func(h *harness) { h.toPage(pgNetwork) }},
		{"confirm", func() Options {
			o := testOptions()
			o.Config.Storage.Volumes = map[storage.Vol]int64{storage.VolSwap: 4096}
			return o
		}, false, func(h *harness) { h.toPage(pgConfirm) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts()
			o.ASCII = &tc.ascii
			h := newHarness(t, o)
			tc.keys(h)
			h.golden(tc.name)
		})
	}
	applyTheme(false)
}
