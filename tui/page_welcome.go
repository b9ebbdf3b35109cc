package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/network"
)

// welcome is the first page: what was detected and what can be done.
type welcome struct {
	*tview.Flex
	info *tview.TextView
	list *tview.List
	opts []option
}

func newWelcome(a *App) *welcome {
	p := &welcome{Flex: tview.NewFlex().SetDirection(tview.FlexRow), info: newText(), list: tview.NewList()}
	p.list.SetBackgroundColor(colBG)
	p.list.SetMainTextColor(colText).SetSecondaryTextColor(colTitle)
	p.list.SetSelectedStyle(fieldStyle())
	p.list.SetSelectedFunc(func(i int, _, _ string, _ rune) {
		a.next()
	})
	boxed(p.info.Box, "Welcome")
	boxed(p.list.Box, "What do you want to do?")
	p.AddItem(p.info, 9, 0, false).AddItem(p.list, 0, 1, true)
	return p
}

func (p *welcome) title() string         { return "Welcome" }
func (p *welcome) root() tview.Primitive { return p }
func (p *welcome) keys() []action {
	return []action{actSelect, actNext, actShell, actQuit}
}

func (p *welcome) enter(a *App) {
	inst := detect(a.opts.Facts.Disks)
	p.opts = options(inst, a.opts.Media)
	var b strings.Builder
	fmt.Fprintf(&b, "This installs [::b]%s %s[::-] on this machine.\n", tview.Escape(orDefault(a.opts.Media.Product, "the node")), tview.Escape(a.opts.Media.Version))
	fmt.Fprintf(&b, "%sMedia: %s%s\n\n", map[bool]string{true: "[red]"}[a.opts.Media.Insecure], tview.Escape(orDefault(a.opts.Media.Signature, "signature not checked")), map[bool]string{true: "[-]"}[a.opts.Media.Insecure])
	if len(inst) == 0 {
		b.WriteString("No existing installation was found on the disks.\n")
	}
	for _, f := range inst {
		v := f.Version
		if v == "" {
			v = "unknown version"
		}
		fmt.Fprintf(&b, "Installed: [::b]%s[::-] on %s (%s, %s)", tview.Escape(v), f.Disk.Name, tview.Escape(f.Disk.Path), humanSize(f.Disk.Size))
		if f.NotFinished {
			b.WriteString(" [red]not finished[-]")
		}
		b.WriteString("\n")
		if f.Version != "" {
			fmt.Fprintf(&b, "  %s\n", tview.Escape(installer.ClassifyVersions(f.Version, a.opts.Media.Version).Reason))
		}
	}
	fmt.Fprintf(&b, "Machine: %s firmware, %s RAM, %d disk(s), %d NIC(s).", orDefault(a.opts.Facts.Firmware, "unknown"), humanSize(a.opts.Facts.MemBytes), len(a.opts.Facts.Disks), countNICs(a.opts.Facts.NICs))
	// What would make a poor hypervisor: the admin may still go on.
	for _, w := range installer.HostWarnings(a.opts.Facts) {
		fmt.Fprintf(&b, "\n[yellow]Warning: %s.[-]", tview.Escape(w))
	}
	p.info.SetText(b.String())
	p.ResizeItem(p.info, min(max(textRows(b.String(), 76), 7)+2, 13), 0)
	p.list.Clear()
	sel := 0
	for i, o := range p.opts {
		p.list.AddItem(o.Label, "  "+o.Help, rune('1'+i), nil)
		if o.Choice == a.fd.Choice {
			sel = i
		}
	}
	p.list.SetCurrentItem(sel)
}

func (p *welcome) store(a *App) {
	if i := p.list.GetCurrentItem(); i >= 0 && i < len(p.opts) {
		a.fd.Choice = p.opts[i].Choice
	}
}

func (p *welcome) validate(*App) []FieldError { return nil }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// keyboard lets the admin pick the console keyboard layout.
type keyboard struct {
	*tview.Flex
	list   *tview.List
	try    *tview.InputField // a field to try the layout in
	status *tview.TextView
	items  [][2]string // layouts, plus a pre-filled one not among them
	loaded string      // the keymap last loaded on the console
	fill   bool        // the list is being filled: load nothing yet
	app    *App
}

// layouts offered on the Keyboard page (kbd keymap names).
var layouts = [][2]string{
	{"us", "English (US)"}, {"gb", "English (UK)"}, {"de", "German"}, {"de-latin1", "German (latin1)"},
	{"fr", "French"}, {"es", "Spanish"}, {"it", "Italian"}, {"pt", "Portuguese"}, {"br-abnt2", "Portuguese (Brazil)"},
	{"ch", "Swiss"}, {"be", "Belgian"}, {"nl", "Dutch"}, {"dk", "Danish"}, {"no", "Norwegian"}, {"se", "Swedish"},
	{"fi", "Finnish"}, {"pl", "Polish"}, {"cz", "Czech"}, {"hu", "Hungarian"}, {"ru", "Russian"}, {"trq", "Turkish"},
	{"jp106", "Japanese"},
}

func newKeyboard(a *App) *keyboard {
	p := &keyboard{Flex: tview.NewFlex().SetDirection(tview.FlexRow), list: tview.NewList().ShowSecondaryText(false), status: newText(), app: a}
	p.list.SetBackgroundColor(colBG)
	p.list.SetMainTextColor(colText)
	p.list.SetSelectedStyle(fieldStyle())
	p.list.SetSelectedFunc(func(int, string, string, rune) { a.next() })
	p.list.SetChangedFunc(func(i int, _, _ string, _ rune) { p.load(i) })
	// Type-ahead: a letter jumps to the next layout whose name starts with it.
	p.list.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() == tcell.KeyRune && ev.Rune() != ' ' {
			p.jump(ev.Rune())
			return nil
		}
		return ev
	})
	p.try = tview.NewInputField().SetLabel("Try it here:").SetFieldWidth(40)
	p.try.SetFieldStyle(fieldStyle())
	form := newForm().AddFormItem(p.try)
	form.SetBorderPadding(0, 0, 1, 1)
	form.SetCancelFunc(a.confirmQuit)
	boxed(p.list.Box, "Keyboard layout of the console and the installed node")
	p.AddItem(p.list, 0, 1, true).AddItem(form, 1, 0, false).AddItem(p.status, 2, 0, false)
	p.SetInputCapture(tabCycle(a, p.list, form))
	return p
}

// jump moves to the next layout after the current one whose name
// starts with r.
func (p *keyboard) jump(r rune) {
	n := len(p.items)
	cur := p.list.GetCurrentItem()
	for k := 1; k <= n; k++ {
		i := (cur + k) % n
		if strings.HasPrefix(p.items[i][0], strings.ToLower(string(r))) {
			p.list.SetCurrentItem(i)
			return
		}
	}
}

// load loads layout i on the console, so the test field and the
// password typed later use it.
func (p *keyboard) load(i int) {
	if p.fill || i < 0 || i >= len(p.items) {
		return
	}
	name := p.items[i][0]
	set := p.app.opts.Backend.SetKeymap
	switch {
	case set == nil:
		p.status.SetText("[yellow]This console's keymap is not changed here (demo or remote terminal): " + tview.Escape(name) + " is set on the installed node.[-]")
	case name == p.loaded:
	default:
		if err := set(name); err != nil {
			p.status.SetText("[red]" + tview.Escape(err.Error()) + "[-]")
			return
		}
		p.loaded = name
		p.status.SetText("[green]Keymap " + tview.Escape(name) + " is loaded on this console: try it in the field above (Tab).[-]")
	}
}

func (p *keyboard) title() string         { return "Keyboard" }
func (p *keyboard) root() tview.Primitive { return p }
func (p *keyboard) keys() []action {
	return []action{actTab, actSelect, actBack, actNext, actShell, actQuit}
}

func (p *keyboard) enter(a *App) {
	p.items = layouts
	known := false
	for _, l := range layouts {
		known = known || l[0] == a.fd.Keyboard
	}
	if !known && a.fd.Keyboard != "" {
		// keyboard= named a keymap not in the list: offer it as given.
		p.items = append([][2]string{{a.fd.Keyboard, "(from the kernel command line)"}}, layouts...)
	}
	p.fill = true
	p.list.Clear()
	for _, l := range p.items {
		p.list.AddItem(fmt.Sprintf("%-10s %s", l[0], l[1]), "", 0, nil)
	}
	for i, l := range p.items {
		if l[0] == a.fd.Keyboard {
			p.list.SetCurrentItem(i)
		}
	}
	p.fill = false
	p.load(p.list.GetCurrentItem())
}

func (p *keyboard) store(a *App) {
	if i := p.list.GetCurrentItem(); i >= 0 && i < len(p.items) {
		a.fd.Keyboard = p.items[i][0]
	}
}

func (p *keyboard) validate(a *App) []FieldError {
	if a.fd.Keyboard == "" {
		return []FieldError{{"Keyboard", "choose a layout"}}
	}
	return nil
}

// countNICs counts the NICs a node can be managed through: not loopback.
func countNICs(nics []network.NIC) int {
	n := 0
	for _, nic := range nics {
		if !nic.Loopback {
			n++
		}
	}
	return n
}

// textRows is about how many rows text takes wrapped at width (colour
// tags are counted as text: a row to spare at worst).
func textRows(text string, width int) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		n += max(1, (len(l)+width-1)/width)
	}
	return n
}
