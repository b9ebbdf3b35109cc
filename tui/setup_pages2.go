package tui

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/installer/nodeconfig"
	"node-installer/internal/event"
)

// bootPage: both slots with their versions; boot the other slot once or
// make it the default (systemd-boot's EFI variables); the serial console
// of the boot entries.
type bootPage struct {
	*tview.Flex
	text   *tview.TextView
	form   *tview.Form
	serial *tview.InputField
}

func newBootPage(s *Setup) *bootPage {
	p := &bootPage{Flex: tview.NewFlex().SetDirection(tview.FlexRow), text: newText(), form: newForm()}
	p.serial = input("Serial console ", 18)
	p.form.AddFormItem(p.serial)
	p.form.AddButton("Boot other once", func() { p.boot(s, false) })
	p.form.AddButton("Make it default", func() { p.boot(s, true) })
	p.form.AddButton("Set console", func() {
		changed, err := nodeconfig.SetSerialConsole(s.opts.Node, strings.TrimSpace(p.serial.GetText()))
		if err != nil {
			s.problems(err)
			return
		}
		s.errs.SetText(fmt.Sprintf("[green]%d boot entries changed: %s[-]", len(changed), tview.Escape(strings.Join(changed, " "))))
		p.enter(s)
	})
	p.text.SetWrap(false)
	p.AddItem(p.text, 0, 1, false).AddItem(p.form, 5, 0, true)
	boxed(p.Box, "Boot")
	return p
}

func (p *bootPage) title() string         { return "Boot" }
func (p *bootPage) root() tview.Primitive { return p }
func (p *bootPage) keys() []action        { return []action{actTab, actSelect} }

func (p *bootPage) enter(s *Setup) {
	st := nodeconfig.ReadStatus(s.opts.Node)
	var b strings.Builder
	fmt.Fprintf(&b, "Booted slot: %s\n\n", orDashT(st.Slot))
	console := ""
	for i, e := range st.Entries {
		slot := nodeconfig.EntrySlot(e)
		state := ""
		switch {
		case i == 0:
			state = "default"
		case e.Exhausted():
			state = "failed to boot"
		}
		if e.Pending() {
			state += fmt.Sprintf(" (on trial, %d tries left)", e.TriesLeft)
		}
		fmt.Fprintf(&b, "  slot %-2s %-10s %-20s %s\n", orDashT(slot), tview.Escape(e.Version), tview.Escape(e.Title), state)
		if c := nodeconfig.SerialConsole(e); c != "" {
			console = c
		}
	}
	if len(st.Entries) == 0 {
		b.WriteString("  no boot entries found (is the ESP mounted at " + tview.Escape(s.opts.Node.ESP()) + "?)\n")
	}
	p.text.SetText(b.String())
	p.serial.SetText(console)
}

// boot boots the other slot once or by default: nodeconfig.Rollback,
// the rule `node-installer rollback` uses too (the other slot must be
// complete and not have used up its boot tries).
func (p *bootPage) boot(s *Setup, dflt bool) {
	e, err := nodeconfig.Rollback(s.opts.Node, !dflt)
	if err != nil {
		s.problems(err)
		return
	}
	what := "on the next boot only"
	if dflt {
		what = "by default"
	}
	s.errs.SetText("[green]" + tview.Escape(e.Base) + " boots " + what + ".[-]")
}

func orDashT(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// supportPage: the log viewer (F4 switches installer log / kernel log)
// and the support bundle written to a folder (a mounted USB stick).
type supportPage struct {
	*tview.Flex
	log    *tview.TextView
	form   *tview.Form
	dest   *tview.InputField
	kernel bool
}

func newSupportPage(s *Setup) *supportPage {
	p := &supportPage{Flex: tview.NewFlex().SetDirection(tview.FlexRow), log: newText(), form: newForm()}
	p.log.SetWordWrap(false).SetScrollable(true)
	p.dest = input("Bundle folder ", 30)
	p.dest.SetText("/var/tmp")
	p.form.AddFormItem(p.dest).AddButton("Write support bundle", func() {
		extra := map[string]string{}
		if k := s.opts.Backend.KernelLog; k != nil {
			if t, err := k(); err == nil {
				extra["kernel.log"] = t
			}
		}
		path, err := nodeconfig.SupportBundle(s.opts.Node, strings.TrimSpace(p.dest.GetText()), s.opts.Backend.Now(), extra)
		if err != nil {
			s.problems(err)
			return
		}
		s.errs.SetText("[green]Written: " + tview.Escape(path) + " (secrets masked)[-]")
	})
	p.AddItem(p.log, 0, 1, false).AddItem(p.form, 5, 0, true)
	boxed(p.Box, "Support")
	return p
}

func (p *supportPage) title() string         { return "Support" }
func (p *supportPage) root() tview.Primitive { return p }
func (p *supportPage) keys() []action        { return []action{actTab, actSelect, actLog} }
func (p *supportPage) enter(s *Setup)        { p.show(s) }

func (p *supportPage) act(s *Setup, a action) {
	if a == actLog {
		p.kernel = !p.kernel
		p.show(s)
	}
}

func (p *supportPage) show(s *Setup) {
	var text, what string
	if p.kernel {
		what = "kernel log"
		if k := s.opts.Backend.KernelLog; k == nil {
			text = "not available here"
		} else if t, err := k(); err != nil {
			text = err.Error()
		} else {
			text = t
		}
	} else {
		what = "installer log /" + nodeconfig.InstallLog
		b, err := os.ReadFile(s.opts.Node.Root + "/" + nodeconfig.InstallLog)
		text = string(b)
		if err != nil {
			text = err.Error()
		}
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > 500 {
		lines = lines[len(lines)-500:]
	}
	for i, l := range lines {
		lines[i] = tview.Escape(event.Redact(l))
	}
	p.log.SetTitle(" " + what + " (F4 switches) ")
	p.log.SetBorder(true).SetTitleAlign(tview.AlignLeft)
	p.log.SetText(strings.Join(lines, "\n"))
	p.log.ScrollToEnd()
}

// powerPage: reboot or power off, after asking.
type powerPage struct{ form *tview.Form }

func newPowerPage(s *Setup) *powerPage {
	p := &powerPage{form: newForm()}
	do := func(what string, f func() error) func() {
		return func() {
			if f == nil {
				s.errs.SetText(what + " is not available here.")
				return
			}
			s.ask("power", what+" the node now?", []string{"Cancel", what}, func(l string) {
				if l != what {
					return
				}
				if err := f(); err != nil {
					s.problems(err)
					return
				}
				s.tv.Stop()
			})
		}
	}
	p.form.AddButton("Reboot", do("Reboot", s.opts.Backend.Reboot))
	p.form.AddButton("Power off", do("Power off", s.opts.Backend.PowerOff))
	boxed(p.form.Box, "Reboot / Power off")
	return p
}

func (p *powerPage) title() string         { return "Reboot / Power off" }
func (p *powerPage) root() tview.Primitive { return p.form }
func (p *powerPage) keys() []action        { return []action{actTab, actSelect} }
func (p *powerPage) enter(*Setup)          {}

// keysPage edits a page's settings as `config set` does: one field per
// key, in the kernel argument's grammar (nodeconfig.SetKeys + Commit).
type keysPage struct {
	*tview.Flex
	form   *tview.Form
	help   *tview.TextView
	name   string
	page   nodeconfig.Page
	fields map[string]*tview.InputField
	order  []string
}

// keyHints say what a key takes.
var keyHints = map[string]string{
	"keyboard": "keymap: us, de, de-latin1, fr, uk...", "syslog": "host[:port], TCP, default 514",
	"netconsole": "host[:port], UDP, default 6666", "logrotate_max_size": "1024k, 10M, 1G",
	"logrotate_interval": "daily, weekly or monthly", "kdump_nfs": "HOST:/PATH (empty: local /data/crash)",
	"kdump_ssh": "USER@HOST", "disable_kdump": "1 switches kdump off",
	"iscsi_name": "iqn.YYYY-MM.reversed.domain[:id]", "nfsv4_domain": "DNS domain for id mapping",
	"collectd": "host[:port], default 25826", "management_server": "host[:port], default 443",
	"management_server_fingerprint": "SHA256:BASE64 or hex bytes",
}

func newKeysPage(s *Setup, name string, pg nodeconfig.Page) *keysPage {
	p := &keysPage{Flex: tview.NewFlex().SetDirection(tview.FlexRow), form: newForm(), help: newText(), name: name, page: pg, fields: map[string]*tview.InputField{}}
	width := 0
	for _, k := range nodeconfig.Keys {
		if k.Page == pg {
			width = max(width, len(k.Name))
		}
	}
	for _, k := range nodeconfig.Keys {
		if k.Page != pg {
			continue
		}
		f := input(fmt.Sprintf("%-*s", width+1, k.Name), 0)
		p.fields[k.Name] = f
		p.order = append(p.order, k.Name)
		p.form.AddFormItem(f)
	}
	var b strings.Builder
	for _, n := range p.order {
		fmt.Fprintf(&b, "%s: %s\n", n, keyHints[n])
	}
	b.WriteString("Empty unsets. F10 writes the files and the Config partition.")
	p.help.SetText(tview.Escape(b.String()))
	p.AddItem(p.form, len(p.order)+2, 0, true).AddItem(p.help, 0, 1, false)
	boxed(p.Box, name)
	return p
}

func (p *keysPage) title() string         { return p.name }
func (p *keysPage) root() tview.Primitive { return p }
func (p *keysPage) keys() []action        { return []action{actTab, actSave} }

func (p *keysPage) enter(s *Setup) {
	cfg, _ := nodeconfig.Load(s.opts.Node)
	for _, n := range p.order {
		k, _ := nodeconfig.LookupKey(n)
		p.fields[n].SetText(strings.Join(k.Value(cfg), " "))
	}
}

func (p *keysPage) save(s *Setup) {
	cfg, err := nodeconfig.Load(s.opts.Node)
	if err != nil {
		s.problems(err)
		return
	}
	var as []nodeconfig.Assignment
	for _, n := range p.order {
		as = append(as, nodeconfig.Assignment{Key: n, Value: strings.TrimSpace(p.fields[n].GetText())})
	}
	if _, err := nodeconfig.SetKeys(&cfg, as); err != nil {
		s.problems(err)
		return
	}
	res, err := nodeconfig.Commit(s.opts.Node, cfg, p.page)
	if err != nil {
		s.problems(err)
		return
	}
	extra := ""
	if load := s.opts.Backend.LoadKeys; p.page == nodeconfig.PageKeyboard && load != nil && cfg.Host.Keyboard != "" {
		if err := load(cfg.Host.Keyboard); err != nil {
			extra = fmt.Sprintf("Not applied on this console (%v): from the next boot.", err)
		} else {
			extra = "Applied on the console."
		}
	}
	s.done(res, tview.Escape(extra))
}

// newManagementPage is the Management keys page with a button that
// fetches the manager's TLS certificate and shows its fingerprint, for
// the admin to compare before saving it.
func newManagementPage(s *Setup) *keysPage {
	p := newKeysPage(s, "Management", nodeconfig.PageManagement)
	p.form.AddButton("Fetch fingerprint", func() {
		hp, err := installer.ParseHostPort(strings.TrimSpace(p.fields["management_server"].GetText()))
		if err != nil {
			s.problems(fmt.Errorf("management_server: %v", err))
			return
		}
		port := hp.Port
		if port == 0 {
			port = 443
		}
		s.errs.SetText("Connecting...")
		go func() {
			fp, err := fetchFingerprint(net.JoinHostPort(hp.Host, strconv.Itoa(port)))
			s.post(func() {
				if err != nil {
					s.problems(err)
					return
				}
				p.fields["management_server_fingerprint"].SetText(fp)
				s.errs.SetText("Compare " + fp + " with the manager's, then F10 to save it.")
			})
		}()
	})
	p.ResizeItem(p.form, len(p.order)+4, 0)
	return p
}

// fetchFingerprint returns the SHA-256 fingerprint of the certificate
// addr presents (not verified: that is what the admin compares).
func fetchFingerprint(addr string) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) // #nosec: the fingerprint is shown for comparison, nothing is trusted
	if err != nil {
		return "", fmt.Errorf("fetch the certificate of %s: %w", addr, err)
	}
	defer c.Close()
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("%s presented no certificate", addr)
	}
	sum := sha256.Sum256(certs[0].Raw)
	hex := make([]string, len(sum))
	for i, b := range sum {
		hex[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hex, ":"), nil
}
