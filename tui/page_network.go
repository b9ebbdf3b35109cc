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
	table       *tview.Table
	left, right *tview.Form
	status      *tview.TextView
	netFields
	bname, bops *tview.InputField
	ping        *tview.InputField
	bond        *tview.Checkbox
	nics        []network.NIC
	chosen      string // the management NIC, chosen with Enter
	marked      map[string]bool
	app         *App
}

var v4modes = []string{"dhcp", "static", "off"}
var v6modes = []string{"auto", "dhcp", "static", "off"}

func newNetworkPage(a *App) *networkPage {
	p := &networkPage{Flex: tview.NewFlex().SetDirection(tview.FlexRow), table: newTable(), left: newForm(), right: newForm(), status: newText(), marked: map[string]bool{}, app: a}
	p.netFields = newNetFields(a.dropDown, 10)
	for _, it := range p.addresses() {
		p.left.AddFormItem(it)
	}
	p.bond = tview.NewCheckbox().SetLabel("Bond      ")
	p.bond.SetFieldBackgroundColor(colField).SetFieldTextColor(colFieldFG)
	p.bname, p.bops = input("  name    ", 10), input("  options ", 24)
	p.ping = input("Ping      ", 24)
	for _, it := range append(p.names(), p.bond, p.bname, p.bops, p.ping) {
		p.right.AddFormItem(it)
	}
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
	p.fill(fd)
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
	p.netFields.store(fd)
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
