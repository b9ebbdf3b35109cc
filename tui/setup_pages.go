package tui

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer/nodeconfig"
	"node-installer/internal/passwd"
)

// statusPage shows the node's state (nodeconfig.ReadStatus).
type statusPage struct{ text *tview.TextView }

func newStatusPage() *statusPage {
	p := &statusPage{text: newText()}
	boxed(p.text.Box, "Status")
	p.text.SetWrap(false)
	return p
}

func (p *statusPage) title() string         { return "Status" }
func (p *statusPage) root() tview.Primitive { return p.text }
func (p *statusPage) keys() []action        { return []action{actScroll} }
func (p *statusPage) enter(s *Setup) {
	p.text.SetText(tview.Escape(nodeconfig.StatusText(nodeconfig.ReadStatus(s.opts.Node))))
}

// setupNetwork is the Network page: the installer's network form data
// (FormData.ParseNetwork, the same rules) written by nodeconfig.Network,
// applied live and kept only when confirmed in time.
type setupNetwork struct {
	form *tview.Form
	nic  *tview.DropDown
	netFields
	bondPorts, bondName, bondOpts *tview.InputField
	nics                          []string
}

func newSetupNetwork(s *Setup) *setupNetwork {
	p := &setupNetwork{form: newForm()}
	p.nic = s.dropDown("NIC           ", nil, 12)
	p.netFields = newNetFields(s.dropDown, 14)
	p.bondPorts, p.bondName, p.bondOpts = input("Bond ports    ", 20), input("  bond name   ", 10), input("  options     ", 30)
	items := append([]tview.FormItem{p.nic}, p.addresses()...)
	for _, it := range append(append(items, p.names()...), p.bondPorts, p.bondName, p.bondOpts) {
		p.form.AddFormItem(it)
	}
	boxed(p.form.Box, "Network")
	return p
}

func (p *setupNetwork) title() string         { return "Network" }
func (p *setupNetwork) root() tview.Primitive { return p.form }
func (p *setupNetwork) keys() []action        { return []action{actTab, actSave} }

func (p *setupNetwork) enter(s *Setup) {
	cfg, _ := nodeconfig.Load(s.opts.Node)
	st := nodeconfig.ReadStatus(s.opts.Node)
	p.nics = nil
	for _, n := range st.NICs {
		if !n.Loopback {
			p.nics = append(p.nics, n.Name)
		}
	}
	fd := FromConfig(cfg)
	if fd.Bond {
		fd.NIC = ""
	}
	p.nic.SetOptions(p.nics, nil)
	if len(p.nics) > 0 {
		setDrop(p.nic, p.nics, fd.NIC)
	}
	p.fill(fd)
	p.bondPorts.SetText(strings.Join(fd.BondNICs, ","))
	p.bondName.SetText(fd.BondName)
	p.bondOpts.SetText(fd.BondOpts)
}

// formData reads the fields into the installer's FormData.
func (p *setupNetwork) formData() FormData {
	_, nic := p.nic.GetCurrentOption()
	fd := FormData{NIC: nic, BondName: p.bondName.GetText(), BondOpts: p.bondOpts.GetText()}
	p.store(&fd)
	if ports := splitList(p.bondPorts.GetText()); len(ports) > 0 {
		fd.Bond, fd.BondNICs = true, ports
	}
	return fd
}

func (p *setupNetwork) save(s *Setup) {
	n, errs := p.formData().ParseNetwork()
	if len(errs) > 0 {
		var lines []string
		for _, e := range errs {
			lines = append(lines, tview.Escape(e.String()))
		}
		s.errs.SetText(strings.Join(lines, "\n"))
		return
	}
	res, err := nodeconfig.Network(s.opts.Node, n)
	if err != nil {
		s.problems(err)
		return
	}
	if s.opts.Backend.ApplyNetwork == nil {
		s.done(res, "Not applied live: not the running system.")
		return
	}
	s.errs.SetText("Applying the network live...")
	s.live.Add(1)
	go func() {
		defer s.live.Done()
		liveNetwork(s, res)
	}()
}

// liveNetwork applies res live, tests it and asks to keep it; without an
// answer within ConfirmWithin the previous network is back, live and on disk.
func liveNetwork(s *Setup, res nodeconfig.Result) {
	ctx := context.Background()
	lv, err := s.opts.Backend.ApplyNetwork(ctx, *res.Plan, res)
	if err != nil {
		_ = res.Undo()
		s.post(func() { s.problems(fmt.Errorf("%v (the previous network is back)", err)) })
		return
	}
	var checks []nodeconfig.Check
	if t := s.opts.Backend.TestNetwork; t != nil {
		checks = t(ctx, res.Plan.Mgmt, lv.Result.DNS, res.Plan.Hostname)
	}
	var lines []string
	for _, c := range checks {
		lines = append(lines, c.String())
	}
	within := s.opts.Backend.ConfirmWithin
	keep := make(chan bool, 1)
	var msg *tview.TextView
	text := func(left time.Duration) string {
		return fmt.Sprintf("Applied live in %v.\n\n%s\n\nKeep this network configuration?\nWithout an answer it is reverted in %d s.",
			lv.Took.Round(time.Millisecond), tview.Escape(strings.Join(lines, "\n")), int(left.Seconds()+0.5))
	}
	s.post(func() {
		s.errs.SetText("")
		msg = s.wideAsk("keepnet", text(within), len(lines)+6, []string{"Keep", "Revert"}, func(l string) { keep <- l == "Keep" })
	})
	deadline := time.Now().Add(within)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.post(func() {
					if msg != nil {
						msg.SetText(text(time.Until(deadline)))
					}
				})
			}
		}
	}()
	ok, _ := nodeconfig.AwaitConfirm(s.ctx, s.opts.Node.Root, within, keep)
	close(stop)
	if ok {
		s.post(func() { s.closeDialog("keepnet"); s.done(res, "Kept.") })
		return
	}
	_, err = lv.Revert()
	s.post(func() {
		s.closeDialog("keepnet")
		if err != nil {
			s.problems(fmt.Errorf("revert: %w", err))
			return
		}
		s.errs.SetText("Not kept: the previous network configuration is back, live and on disk.")
		s.pages[s.cur].enter(s)
	})
}

// wideAsk is a dialog for text with columns (test results): left-aligned
// text of rows lines above the buttons; done gets the button's label.
func (s *Setup) wideAsk(name, text string, rows int, buttons []string, done func(label string)) *tview.TextView {
	msg := tview.NewTextView().SetDynamicColors(true).SetText(text).SetSize(rows, 60)
	msg.SetBackgroundColor(colText)
	msg.SetTextColor(colBG)
	f := newForm()
	f.SetBackgroundColor(colText)
	f.SetButtonsAlign(tview.AlignCenter)
	f.AddFormItem(msg)
	for _, b := range buttons {
		f.AddButton(b, func() {
			s.closeDialog(name)
			done(b)
		})
	}
	f.SetBorder(true)
	f.SetBorderPadding(1, 0, 2, 2)
	f.SetFocus(1) // the first button
	grid := tview.NewGrid().SetColumns(0, 66, 0).SetRows(0, rows+5, 0).AddItem(f, 1, 1, 1, 1, 0, 0, true)
	s.modal = true
	s.outer.AddPage(name, grid, true, true)
	s.tv.SetFocus(f)
	return msg
}

func (s *Setup) closeDialog(name string) {
	if s.outer.HasPage(name) {
		s.outer.RemovePage(name)
		s.modal = false
		s.restoreFocus()
	}
}

// testPage runs the network test (F5): one line per check.
type testPage struct {
	text    *tview.TextView
	running bool
}

func newTestPage() *testPage {
	p := &testPage{text: newText()}
	boxed(p.text.Box, "Test network")
	return p
}

func (p *testPage) title() string         { return "Test network" }
func (p *testPage) root() tview.Primitive { return p.text }
func (p *testPage) keys() []action        { return []action{actPing} }
func (p *testPage) enter(s *Setup) {
	if !p.running {
		p.text.SetText("F5 pings the gateways and each DNS server and resolves the host name with each.")
	}
}

func (p *testPage) act(s *Setup, a action) {
	t := s.opts.Backend.TestNetwork
	if a != actPing || p.running {
		return
	}
	if t == nil {
		p.text.SetText("Not available: this is not the running system.")
		return
	}
	cfg, _ := nodeconfig.Load(s.opts.Node)
	st := nodeconfig.ReadStatus(s.opts.Node)
	var dns []netip.Addr
	for _, d := range st.DNS {
		if a, err := netip.ParseAddr(d); err == nil {
			dns = append(dns, a)
		}
	}
	host := cfg.Network.Hostname
	if host == "" {
		host = st.Hostname
	}
	p.running = true
	p.text.SetText("Testing...")
	go func() {
		checks := t(context.Background(), st.Mgmt, dns, host)
		s.post(func() {
			p.running = false
			var b strings.Builder
			for _, c := range checks {
				colour := "green"
				if !c.OK {
					colour = "red"
				}
				fmt.Fprintf(&b, "[%s]%s[-]\n", colour, tview.Escape(c.String()))
			}
			p.text.SetText(b.String())
		})
	}()
}

// securityPage: the admin password (current one required), SSH password
// login, authorized keys, and locking the console.
type securityPage struct {
	form          *tview.Form
	cur, pw1, pw2 *tview.InputField
	pwauth        *tview.DropDown
	keysArea      *tview.TextArea
	hint          *tview.TextView
}

var pwauthModes = []string{"yes", "no"}

func newSecurityPage(s *Setup) *securityPage {
	p := &securityPage{form: newForm()}
	pw := func(l string) *tview.InputField {
		f := input(l, 24)
		f.SetMaskCharacter('*')
		return f
	}
	p.cur, p.pw1, p.pw2 = pw("Current password "), pw("New password     "), pw("  again          ")
	p.pw1.SetChangedFunc(func(t string) {
		if t == "" {
			p.hint.SetText("")
			return
		}
		msg, _ := passwd.Strength(t)
		p.hint.SetText("  strength: " + msg)
	})
	p.hint = tview.NewTextView().SetLabel("").SetSize(1, 40)
	p.hint.SetBackgroundColor(colBG)
	p.pwauth = s.dropDown("SSH password login", pwauthModes, 4)
	p.keysArea = tview.NewTextArea().SetLabel("SSH keys         ").SetSize(5, 0)
	p.keysArea.SetTextStyle(fieldStyle())
	p.form.AddFormItem(p.cur).AddFormItem(p.pw1).AddFormItem(p.hint).AddFormItem(p.pw2).AddFormItem(p.pwauth).AddFormItem(p.keysArea)
	p.form.AddButton("Lock console", func() { s.lock() })
	boxed(p.form.Box, "Security")
	return p
}

func (p *securityPage) title() string         { return "Security" }
func (p *securityPage) root() tview.Primitive { return p.form }
func (p *securityPage) keys() []action        { return []action{actTab, actSave} }

func (p *securityPage) enter(s *Setup) {
	cfg, _ := nodeconfig.Load(s.opts.Node)
	p.cur.SetText("")
	p.pw1.SetText("")
	p.pw2.SetText("")
	mode := "yes"
	if cfg.Host.SSHPwAuth != nil && !*cfg.Host.SSHPwAuth {
		mode = "no"
	}
	setDrop(p.pwauth, pwauthModes, mode)
	p.keysArea.SetText(strings.Join(cfg.Host.SSHKeys, "\n"), false)
}

func (p *securityPage) save(s *Setup) {
	_, mode := p.pwauth.GetCurrentOption()
	on := mode == "yes"
	keys := []string{}
	for _, l := range strings.Split(p.keysArea.GetText(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			keys = append(keys, l)
		}
	}
	res, err := nodeconfig.SecurityPage(s.opts.Node, nodeconfig.Security{
		CurrentPassword: p.cur.GetText(), NewPassword: p.pw1.GetText(), Confirm: p.pw2.GetText(),
		SSHPwAuth: &on, SSHKeys: keys})
	p.cur.SetText("")
	p.pw1.SetText("")
	p.pw2.SetText("")
	if err != nil {
		s.problems(err)
		return
	}
	s.done(res, "")
}

// lock covers the console until the admin password is typed.
func (s *Setup) lock() {
	cfg, _ := nodeconfig.Load(s.opts.Node)
	hash := cfg.Host.AdminPW
	if hash == "" {
		s.errs.SetText("No admin password is set: set one first, then lock.")
		return
	}
	f := newForm()
	pw := input("Admin password ", 24)
	pw.SetMaskCharacter('*')
	msg := tview.NewTextView().SetSize(1, 40)
	msg.SetBackgroundColor(colBG)
	msg.SetTextColor(colError)
	f.AddFormItem(pw).AddFormItem(msg)
	boxed(f.Box, "Console locked")
	pw.SetDoneFunc(func(tcell.Key) {
		if ok, _ := passwd.Check(pw.GetText(), hash); ok {
			s.outer.RemovePage("lock")
			s.modal = false
			s.restoreFocus()
			return
		}
		pw.SetText("")
		msg.SetText("wrong password")
	})
	grid := tview.NewGrid().SetColumns(0, 46, 0).SetRows(0, 6, 0).AddItem(f, 1, 1, 1, 1, 0, 0, true)
	grid.SetBackgroundColor(colBG)
	s.modal = true
	s.outer.AddPage("lock", grid, true, true)
	s.tv.SetFocus(pw)
}
