package tui

import (
	"strings"

	"github.com/rivo/tview"
)

// netFields are the address and name fields the installer's Network
// page and the setup console's share: one set of widgets, filled from and
// read into FormData the same way, so neither page drops a setting the
// other has (the setup page lost the DNS search domains and the MTU).
type netFields struct {
	v4, v6                     *tview.DropDown
	v4addr, v4gw, v6addr, v6gw *tview.InputField
	vlan, mtu                  *tview.InputField
	host, dns, search, ntp     *tview.InputField
}

// newNetFields makes the fields with labels padded to width; drop makes
// a drop-down the page's capture knows of.
func newNetFields(drop func(label string, opts []string, w int) *tview.DropDown, width int) netFields {
	pad := func(s string) string { return s + strings.Repeat(" ", max(0, width-len(s))) }
	return netFields{
		v4: drop(pad("IPv4"), v4modes, 8), v4addr: input(pad("  address"), 20), v4gw: input(pad("  gateway"), 20),
		v6: drop(pad("IPv6"), v6modes, 8), v6addr: input(pad("  address"), 28), v6gw: input(pad("  gateway"), 28),
		vlan: input(pad("VLAN ID"), 6), mtu: input(pad("MTU"), 6),
		host: input(pad("Hostname"), 24), dns: input(pad("DNS"), 24), search: input(pad("Search"), 24), ntp: input(pad("NTP"), 24),
	}
}

// addresses and names are the two groups, in the order the pages show them.
func (f netFields) addresses() []tview.FormItem {
	return []tview.FormItem{f.v4, f.v4addr, f.v4gw, f.v6, f.v6addr, f.v6gw, f.vlan, f.mtu}
}

func (f netFields) names() []tview.FormItem {
	return []tview.FormItem{f.host, f.dns, f.search, f.ntp}
}

func (f netFields) fill(fd FormData) {
	setDrop(f.v4, v4modes, fd.IPv4Mode)
	setDrop(f.v6, v6modes, fd.IPv6Mode)
	for w, v := range map[*tview.InputField]string{f.v4addr: fd.IPv4Addr, f.v4gw: fd.IPv4GW, f.v6addr: fd.IPv6Addr, f.v6gw: fd.IPv6GW,
		f.vlan: fd.VLAN, f.mtu: fd.MTU, f.host: fd.Hostname, f.dns: fd.DNS, f.search: fd.Search, f.ntp: fd.NTP} {
		w.SetText(v)
	}
}

func (f netFields) store(fd *FormData) {
	_, fd.IPv4Mode = f.v4.GetCurrentOption()
	_, fd.IPv6Mode = f.v6.GetCurrentOption()
	text := func(w *tview.InputField) string { return strings.TrimSpace(w.GetText()) }
	fd.IPv4Addr, fd.IPv4GW, fd.IPv6Addr, fd.IPv6GW = text(f.v4addr), text(f.v4gw), text(f.v6addr), text(f.v6gw)
	fd.VLAN, fd.MTU, fd.Hostname = text(f.vlan), text(f.mtu), text(f.host)
	fd.DNS, fd.Search, fd.NTP = f.dns.GetText(), f.search.GetText(), f.ntp.GetText()
}
