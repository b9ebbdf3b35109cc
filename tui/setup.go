package tui

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer/nodeconfig"
	"node-installer/network"
)

// The node's setup console (`node-installer setup`): a menu of pages on
// the left, the page on the right, the installer's header, footer, key
// table, dialogs and too-small notice. Every page that changes a setting
// calls one of installer/nodeconfig's writers, the same ones
// `node-installer config` uses.

// SetupOptions configure the setup console.
type SetupOptions struct {
	Screen tcell.Screen // nil: the terminal
	ASCII  *bool        // nil: from the locale
	Node   nodeconfig.Options
	// Product and Version head the screen ("" = from the node's os-release).
	Product, Version string
	Backend          SetupBackend
}

// SetupBackend is what the console does to the running system; a nil
// func is shown as not available (a --root that is not this system).
type SetupBackend struct {
	// ApplyNetwork applies a written network change live.
	ApplyNetwork func(ctx context.Context, plan network.Plan, res nodeconfig.Result) (*nodeconfig.Live, error)
	// TestNetwork runs the network test of the running system.
	TestNetwork func(ctx context.Context, mgmt string, dns []netip.Addr, hostname string) []nodeconfig.Check
	// ConfirmWithin is how long a live network change waits (default 60 s).
	ConfirmWithin time.Duration
	// LoadKeys applies a keymap to the console now (loadkeys).
	LoadKeys func(keymap string) error
	// KernelLog returns the kernel's log (dmesg).
	KernelLog func() (string, error)
	// Reboot and PowerOff end the console's life.
	Reboot, PowerOff func() error
	// Now is the clock (support bundle names).
	Now func() time.Time
}

// setupPage is one page of the console.
type setupPage interface {
	title() string
	root() tview.Primitive
	// enter refreshes the page from the node when it is shown.
	enter(s *Setup)
	// keys are the actions of the page while it has the focus.
	keys() []action
}

// saver is a page that writes settings (F10).
type saver interface{ save(s *Setup) }

// actor is a page with its own F-key actions (F4, F5).
type actor interface{ act(s *Setup, a action) }

// Setup is the running console.
type Setup struct {
	opts             SetupOptions
	tv               *tview.Application
	head, errs, foot *tview.TextView
	menu             *tview.List
	body, outer      *tview.Pages
	pages            []setupPage
	cur              int
	inPage           bool
	modal            bool
	drops            []*tview.DropDown
	mu               sync.Mutex
	tooSmall         bool
	firstDraw        chan struct{}
	drawn            sync.Once
	// ctx ends when the console does: a change waiting for Keep reverts
	ctx  context.Context
	stop context.CancelFunc
	live sync.WaitGroup
}

// NewSetup builds the console without starting it.
func NewSetup(opts SetupOptions) *Setup {
	ascii := asciiBorders()
	if opts.ASCII != nil {
		ascii = *opts.ASCII
	}
	applyTheme(ascii)
	if opts.Backend.ConfirmWithin <= 0 {
		opts.Backend.ConfirmWithin = nodeconfig.DefaultConfirmWithin
	}
	if opts.Backend.Now == nil {
		opts.Backend.Now = time.Now
	}
	if opts.Product == "" {
		opts.Product, opts.Version = nodeconfig.OSRelease(opts.Node)
	}
	s := &Setup{opts: opts, tv: tview.NewApplication(), firstDraw: make(chan struct{})}
	s.ctx, s.stop = context.WithCancel(context.Background())
	if opts.Screen != nil {
		s.tv.SetScreen(opts.Screen)
	}
	bar := func() *tview.TextView {
		t := tview.NewTextView().SetDynamicColors(true)
		t.SetBackgroundColor(colText)
		t.SetTextColor(colBG)
		return t
	}
	s.head, s.foot = bar(), bar()
	s.errs = tview.NewTextView().SetDynamicColors(true).SetWrap(true)
	s.errs.SetBackgroundColor(colBG)
	s.errs.SetTextColor(colError)
	s.menu = tview.NewList().ShowSecondaryText(false).SetHighlightFullLine(true)
	s.menu.SetBackgroundColor(colBG)
	s.menu.SetMainTextColor(colText)
	s.menu.SetSelectedStyle(tcell.StyleDefault.Background(colField).Foreground(colFieldFG))
	boxed(s.menu.Box, "Setup")
	s.body = tview.NewPages()
	s.pages = []setupPage{
		newStatusPage(), newSetupNetwork(s), newTestPage(), newSecurityPage(s), newBootPage(s),
		newSupportPage(s), newPowerPage(s),
		newKeysPage(s, "Keyboard", nodeconfig.PageKeyboard), newKeysPage(s, "Logging", nodeconfig.PageLogging),
		newKeysPage(s, "Kdump", nodeconfig.PageKdump), newKeysPage(s, "Remote storage", nodeconfig.PageStorage),
		newKeysPage(s, "Monitoring", nodeconfig.PageMonitoring), newManagementPage(s),
	}
	for i, p := range s.pages {
		s.menu.AddItem(p.title(), "", 0, nil)
		s.body.AddPage(fmt.Sprint(i), p.root(), true, false)
	}
	s.menu.SetChangedFunc(func(i int, _, _ string, _ rune) { s.show(i) })
	s.menu.SetSelectedFunc(func(int, string, string, rune) { s.focusPage() })
	main := tview.NewFlex().AddItem(s.menu, 20, 0, true).AddItem(s.body, 0, 1, false)
	layout := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(s.head, 1, 0, false).AddItem(main, 0, 1, true).
		AddItem(s.errs, 2, 0, false).AddItem(s.foot, 1, 0, false)
	s.outer = tview.NewPages().AddPage("main", layout, true, true)
	s.tv.SetRoot(s.outer, true)
	s.tv.SetInputCapture(s.capture)
	s.tv.SetBeforeDrawFunc(func(sc tcell.Screen) bool {
		small := drawTooSmall(sc, "the setup console")
		s.mu.Lock()
		s.tooSmall = small
		s.mu.Unlock()
		if small { // tview draws nothing more: the notice is the frame
			s.drawn.Do(func() { close(s.firstDraw) })
		}
		return small
	})
	s.tv.SetAfterDrawFunc(func(tcell.Screen) { s.drawn.Do(func() { close(s.firstDraw) }) })
	s.show(0)
	return s
}

// Run shows the console until the admin leaves it (or SIGTERM, SIGHUP,
// SIGINT end it). A network change still waiting for Keep is reverted
// before Run returns.
func (s *Setup) Run() error {
	if s.opts.Screen == nil {
		// tview ignores a failing screen Init (and then crashes drawing):
		// without a controlling terminal say so instead
		f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("no terminal (%v): start the setup console from a login shell, or with setsid -c on a console", err)
		}
		f.Close()
		scr, notice, err := openScreen()
		if err != nil {
			return err
		}
		s.tv.SetScreen(scr)
		if notice != "" {
			s.errs.SetText("[yellow]" + notice + "[-]")
		}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	defer signal.Stop(ch)
	go func() {
		if _, ok := <-ch; ok {
			s.tv.Stop()
		}
	}()
	err := s.tv.Run()
	s.stop()
	s.live.Wait()
	return err
}

// FirstDraw is closed once the first frame is on the screen.
func (s *Setup) FirstDraw() <-chan struct{} { return s.firstDraw }

// show puts page i on the right, the menu keeping the focus.
func (s *Setup) show(i int) {
	s.cur, s.inPage = i, false
	s.errs.SetText("")
	s.pages[i].enter(s)
	s.body.SwitchToPage(fmt.Sprint(i))
	s.tv.SetFocus(s.menu)
	s.chrome()
}

func (s *Setup) focusPage() {
	s.inPage = true
	if f, ok := s.pages[s.cur].root().(*tview.Form); ok {
		f.SetFocus(0) // a page is entered at its first field
	}
	s.tv.SetFocus(s.pages[s.cur].root())
	s.chrome()
}

func (s *Setup) backToMenu() {
	s.inPage = false
	s.tv.SetFocus(s.menu)
	s.chrome()
}

func (s *Setup) chrome() {
	prod, ver := s.opts.Product, s.opts.Version
	if prod == "" {
		prod = "Node"
	}
	s.head.SetText(fmt.Sprintf(" %s %s setup console  [%d/%d]  %s", tview.Escape(prod), tview.Escape(ver), s.cur+1, len(s.pages), tview.Escape(s.pages[s.cur].title())))
	s.foot.SetText(footerText(s.keys()))
}

// keys are the actions the footer shows and capture dispatches now.
func (s *Setup) keys() []action {
	if !s.inPage {
		return []action{actSelect, actRefresh, actQuit}
	}
	return append(s.pages[s.cur].keys(), actRefresh, actMenu)
}

// pageKey maps 1-9 then a-z to a page index below n.
func pageKey(ev *tcell.EventKey, n int) (int, bool) {
	if ev.Key() != tcell.KeyRune {
		return 0, false
	}
	r, i := ev.Rune(), -1
	switch {
	case r >= '1' && r <= '9':
		i = int(r - '1')
	case r >= 'a' && r <= 'z':
		i = 9 + int(r-'a')
	}
	return i, i >= 0 && i < n
}

// setupKey finds the action of ev among acts, by keyTable.
func setupKey(ev *tcell.EventKey, acts []action) (action, bool) {
	for _, b := range keyTable {
		if !hasAction(acts, b.act) || b.act == actTab || b.act == actSelect || b.act == actMark || b.act == actScroll {
			continue
		}
		for _, k := range b.keys {
			if ev.Key() == k {
				return b.act, true
			}
		}
	}
	return 0, false
}

func (s *Setup) capture(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() == tcell.KeyCtrlC {
		return nil // the console never ends on Ctrl-C
	}
	s.mu.Lock()
	small := s.tooSmall
	s.mu.Unlock()
	if small || s.modal {
		if small {
			return nil
		}
		return ev
	}
	for _, d := range s.drops {
		if d.IsOpen() {
			return ev
		}
	}
	if !s.inPage && (ev.Key() == tcell.KeyTab || ev.Key() == tcell.KeyRight) {
		s.focusPage()
		return nil
	}
	if i, ok := pageKey(ev, len(s.pages)); ok && !s.inPage {
		// 1-9, a-z go straight into a page: single bytes that survive any
		// serial line (an arrow key is an escape sequence)
		s.menu.SetCurrentItem(i)
		s.show(i)
		s.focusPage()
		return nil
	}
	act, ok := setupKey(ev, s.keys())
	if !ok {
		return ev
	}
	switch act {
	case actRefresh:
		s.tv.Sync()
	case actQuit:
		s.ask("quit", "Leave the setup console?\n\nSaved settings stay.", []string{"Stay", "Leave"}, func(l string) {
			if l == "Leave" {
				s.tv.Stop()
			}
		})
	case actMenu:
		s.backToMenu()
	case actSave:
		if p, ok := s.pages[s.cur].(saver); ok {
			s.errs.SetText("")
			p.save(s)
		}
	default:
		if p, ok := s.pages[s.cur].(actor); ok {
			p.act(s, act)
		}
	}
	return nil
}

// ask shows a dialog; done gets the button's label.
func (s *Setup) ask(name, text string, buttons []string, done func(label string)) *tview.Modal {
	m := newModal(text, buttons)
	m.SetDoneFunc(func(_ int, label string) {
		s.outer.RemovePage(name)
		s.modal = false
		s.restoreFocus()
		done(label)
	})
	s.modal = true
	s.outer.AddPage(name, m, false, true)
	s.tv.SetFocus(m)
	return m
}

func (s *Setup) restoreFocus() {
	if s.inPage {
		s.tv.SetFocus(s.pages[s.cur].root())
	} else {
		s.tv.SetFocus(s.menu)
	}
}

// post runs f on the UI goroutine, from any goroutine.
func (s *Setup) post(f func()) { go s.tv.QueueUpdateDraw(f) }

// problems shows a writer's error under the page: each problem a line.
func (s *Setup) problems(err error) {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = tview.Escape(l)
	}
	s.errs.SetText(strings.Join(lines, "\n"))
}

// done shows what a writer wrote.
func (s *Setup) done(res nodeconfig.Result, extra string) {
	msg := fmt.Sprintf("[green]Saved: %d files written", len(res.Written))
	if len(res.Removed) > 0 {
		msg += fmt.Sprintf(", %d removed", len(res.Removed))
	}
	s.errs.SetText(msg + " (and on the Config partition). " + extra + "[-]")
}

// input is a form field in the console's style.
func input(label string, w int) *tview.InputField {
	f := tview.NewInputField().SetLabel(label).SetFieldWidth(w)
	f.SetFieldStyle(fieldStyle())
	return f
}

func (s *Setup) dropDown(label string, opts []string, w int) *tview.DropDown {
	d := newDropDown(label, opts, w)
	s.drops = append(s.drops, d)
	return d
}
