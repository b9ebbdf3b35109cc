package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/network"
)

// networkPage is the Network page: the NIC table (link, MAC, speed), the
// management addresses, VLAN, bond, hostname, DNS, NTP and a ping.
type networkPage struct {
	*tview.Flex
	table            *tview.Table
	left, right      *tview.Form
	status           *tview.TextView
	v4, v6           *tview.DropDown
	v4addr, v4gw     *tview.InputField
	v6addr, v6gw     *tview.InputField
	vlan, host, dns  *tview.InputField
	search, mtu      *tview.InputField
	ntp, bname, bops *tview.InputField
	ping             *tview.InputField
	bond             *tview.Checkbox
	nics             []network.NIC
	chosen           string // the management NIC, chosen with Enter
	marked           map[string]bool
	app              *App
}

var v4modes = []string{"dhcp", "static", "off"}
var v6modes = []string{"auto", "dhcp", "static", "off"}

func newNetworkPage(a *App) *networkPage {
	p := &networkPage{Flex: tview.NewFlex().SetDirection(tview.FlexRow), table: newTable(), left: newForm(), right: newForm(), status: newText(), marked: map[string]bool{}, app: a}
	in := func(label string, w int) *tview.InputField {
		f := tview.NewInputField().SetLabel(label).SetFieldWidth(w)
		f.SetFieldStyle(fieldStyle())
		return f
	}
	p.v4 = a.dropDown("IPv4      ", v4modes, 8)
	p.v4addr, p.v4gw = in("  address ", 20), in("  gateway ", 20)
	p.v6 = a.dropDown("IPv6      ", v6modes, 8)
	p.v6addr, p.v6gw = in("  address ", 24), in("  gateway ", 24)
	p.vlan, p.mtu = in("VLAN ID   ", 6), in("MTU       ", 6)
	p.left.AddFormItem(p.v4).AddFormItem(p.v4addr).AddFormItem(p.v4gw).AddFormItem(p.v6).AddFormItem(p.v6addr).AddFormItem(p.v6gw).AddFormItem(p.vlan).AddFormItem(p.mtu)
	p.host, p.dns, p.ntp = in("Hostname ", 24), in("DNS      ", 24), in("NTP      ", 24)
	p.search = in("Search   ", 24)
	p.bond = tview.NewCheckbox().SetLabel("Bond     ")
	p.bond.SetFieldBackgroundColor(colField).SetFieldTextColor(colFieldFG)
	p.bname, p.bops = in("  name   ", 10), in("  options", 24)
	p.ping = in("Ping     ", 24)
	p.right.AddFormItem(p.host).AddFormItem(p.dns).AddFormItem(p.search).AddFormItem(p.ntp).AddFormItem(p.bond).AddFormItem(p.bname).AddFormItem(p.bops).AddFormItem(p.ping)
	for _, f := range []*tview.Form{p.left, p.right} {
		f.SetCancelFunc(a.confirmQuit)
		f.SetBorderPadding(0, 0, 1, 1)
	}
	boxed(p.table.Box, "Management NIC (Enter: use it, Space: mark it for the bond)")
	boxed(p.left.Box, "Addresses")
	boxed(p.right.Box, "Names and services")
	p.table.SetSelectedFunc(func(row, _ int) {
		if row >= 1 && row <= len(p.nics) {
			p.chosen = p.nics[row-1].Name
			p.fillTable()
		}
		a.tv.SetFocus(p.left)
	})
	p.table.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() == tcell.KeyRune && ev.Rune() == ' ' {
			if row, _ := p.table.GetSelection(); row >= 1 && row <= len(p.nics) {
				n := p.nics[row-1].Name
				p.marked[n] = !p.marked[n]
				p.fillTable()
			}
			return nil
		}
		return ev
	})
	forms := tview.NewFlex().AddItem(p.left, 0, 1, false).AddItem(p.right, 0, 1, false)
	p.AddItem(p.table, 0, 1, true).AddItem(forms, 10, 0, false).AddItem(p.status, 2, 0, false)
	p.SetInputCapture(tabCycle(a, p.table, p.left, p.right))
	return p
}

func (p *networkPage) title() string         { return "Network" }
func (p *networkPage) root() tview.Primitive { return p }
func (p *networkPage) keys() []action {
	return []action{actTab, actMark, actPing, actBack, actNext, actShell, actQuit}
}

func (p *networkPage) fillTable() {
	t := p.table
	t.Clear()
	for i, h := range []string{"Use", "Bond", "Name", "Link", "MAC", "Speed", "Driver"} {
		t.SetCell(0, i, tview.NewTableCell(h).SetTextColor(colTitle).SetSelectable(false).SetExpansion(boolInt(i == 6)))
	}
	for r, n := range p.nics {
		link := "down"
		if n.Carrier {
			link = "up"
		}
		speed := ""
		if n.SpeedMbps > 0 {
			speed = fmt.Sprintf("%d Mb/s", n.SpeedMbps)
		}
		mark := "[ ]"
		if p.marked[n.Name] {
			mark = "[x]"
		}
		use := ""
		if n.Name == p.chosen {
			use = "mgmt"
		}
		for i, s := range []string{use, mark, n.Name, link, n.MAC, speed, n.Driver} {
			t.SetCell(r+1, i, tview.NewTableCell(tview.Escape(s)).SetTextColor(colText))
		}
	}
}

// defaultNIC is the management NIC the page starts with: the one
// already chosen (kernel arguments, a previous visit), else the BOOTIF
// NIC, else the first hardware NIC with a link, else the first hardware
// NIC, else the first. The virtual ones come last: a bridge or veth is
// rarely how the node is managed.
func defaultNIC(nics []network.NIC, chosen, bootIfMAC string) string {
	for _, n := range nics {
		if n.Name == chosen || bootIfMAC != "" && strings.EqualFold(n.MAC, bootIfMAC) {
			return n.Name
		}
	}
	for _, carrier := range []bool{true, false} {
		for _, n := range nics {
			if !n.Virtual && (n.Carrier || !carrier) {
				return n.Name
			}
		}
	}
	if len(nics) > 0 {
		return nics[0].Name
	}
	return ""
}

func setDrop(d *tview.DropDown, opts []string, v string) {
	for i, o := range opts {
		if o == v {
			d.SetCurrentOption(i)
			return
		}
	}
	d.SetCurrentOption(0)
}

func (p *networkPage) enter(a *App) {
	p.nics = nil
	for _, n := range a.opts.Facts.NICs {
		if !n.Loopback {
			p.nics = append(p.nics, n)
		}
	}
	p.marked = map[string]bool{}
	for _, n := range a.fd.BondNICs {
		p.marked[n] = true
	}
	p.chosen = defaultNIC(p.nics, a.fd.NIC, a.opts.Config.Network.BootIfMAC)
	p.fillTable()
	row := 1
	for i, n := range p.nics {
		if n.Name == p.chosen {
			row = i + 1
		}
	}
	p.table.Select(row, 0)
	fd := a.fd
	setDrop(p.v4, v4modes, fd.IPv4Mode)
	setDrop(p.v6, v6modes, fd.IPv6Mode)
	p.v4addr.SetText(fd.IPv4Addr)
	p.v4gw.SetText(fd.IPv4GW)
	p.v6addr.SetText(fd.IPv6Addr)
	p.v6gw.SetText(fd.IPv6GW)
	p.vlan.SetText(fd.VLAN)
	p.host.SetText(fd.Hostname)
	p.dns.SetText(fd.DNS)
	p.search.SetText(fd.Search)
	p.mtu.SetText(fd.MTU)
	p.ntp.SetText(fd.NTP)
	p.bond.SetChecked(fd.Bond)
	p.bname.SetText(orDefault(fd.BondName, "bond0"))
	p.bops.SetText(fd.BondOpts)
	if a.opts.Demo {
		p.status.SetText("[yellow]Demo: the settings are written to the installed node; this machine's NICs are not touched.[-]")
	} else {
		p.status.SetText("")
	}
}

func (p *networkPage) store(a *App) {
	fd := &a.fd
	if p.chosen != "" {
		fd.NIC = p.chosen // what Enter chose, not where the cursor is
	}
	_, fd.IPv4Mode = p.v4.GetCurrentOption()
	_, fd.IPv6Mode = p.v6.GetCurrentOption()
	fd.IPv4Addr, fd.IPv4GW = strings.TrimSpace(p.v4addr.GetText()), strings.TrimSpace(p.v4gw.GetText())
	fd.IPv6Addr, fd.IPv6GW = strings.TrimSpace(p.v6addr.GetText()), strings.TrimSpace(p.v6gw.GetText())
	fd.VLAN = strings.TrimSpace(p.vlan.GetText())
	fd.Hostname = strings.TrimSpace(p.host.GetText())
	fd.DNS, fd.NTP = p.dns.GetText(), p.ntp.GetText()
	fd.Search, fd.MTU = p.search.GetText(), strings.TrimSpace(p.mtu.GetText())
	fd.Bond = p.bond.IsChecked()
	fd.BondName, fd.BondOpts = strings.TrimSpace(p.bname.GetText()), strings.TrimSpace(p.bops.GetText())
	fd.BondNICs = nil
	for _, n := range p.nics {
		if p.marked[n.Name] {
			fd.BondNICs = append(fd.BondNICs, n.Name)
		}
	}
}

func (p *networkPage) validate(a *App) []FieldError {
	if len(p.nics) == 0 && !a.fd.Bond {
		return nil // no NIC: the node is configured later from its console
	}
	_, errs := a.fd.ParseNetwork()
	return errs
}

// handle runs the page's own global keys (F5 ping).
func (p *networkPage) handle(act action) {
	if act != actPing {
		return
	}
	a := p.app
	p.store(a)
	host := strings.TrimSpace(p.ping.GetText())
	if host == "" {
		host = a.fd.IPv4GW
	}
	if host == "" {
		p.status.SetText("[red]Type a host or address to ping in the Ping field.[-]")
		return
	}
	if a.opts.Backend.Ping == nil {
		p.status.SetText("[red]Ping is not available here.[-]")
		return
	}
	p.status.SetText("Pinging " + tview.Escape(host) + " ...")
	ping := a.opts.Backend.Ping
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := ping(ctx, host)
		a.post(func() {
			if err != nil {
				p.status.SetText(fmt.Sprintf("[red]%s does not answer: %s[-]", tview.Escape(host), tview.Escape(err.Error())))
				return
			}
			p.status.SetText(fmt.Sprintf("[green]%s answers.[-]", tview.Escape(host)))
		})
	}()
}
