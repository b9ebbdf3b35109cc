package tui

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rivo/tview"
)

// What the fields are filled with is what they give back, every field
// (the setup console's page dropped the search domains and the MTU).
func TestNetFieldsRoundTrip(t *testing.T) {
	drop := func(label string, opts []string, w int) *tview.DropDown { return newDropDown(label, opts, w) }
	f := newNetFields(drop, 10)
	in := FormData{IPv4Mode: "static", IPv4Addr: "192.0.2.10/24", IPv4GW: "192.0.2.1", IPv6Mode: "static", IPv6Addr: "2001:db8::10/64",
		IPv6GW: "2001:db8::1", VLAN: "42", MTU: "9000", Hostname: "node1.example.org", DNS: "192.0.2.53", Search: "example.org", NTP: "ntp.example.org"}
	f.fill(in)
	var out FormData
	f.store(&out)
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("fill then store (-in +out):\n%s", d)
	}
}
