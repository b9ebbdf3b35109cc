package tui

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
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
		{"progress", func() Options {
			o := testOptions()
			var got installer.Config
			o.Backend.Run = scriptedRun(make(chan struct{}), nil, &got) // stays half-way
			return o
		}, false, func(h *harness) {
			h.toPage(pgConfirm)
			h.startRun()
			h.waitFor("50%", 2*time.Second)
		}},
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
			// The plan's own text belongs to the installer package: pin
			// only what this page draws.
			o.Backend.Plan = func(cfg installer.Config, f installer.Facts) PlanView {
				pv := PlanFacts(cfg, f)
				pv.Text = ""
				return pv
			}
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
