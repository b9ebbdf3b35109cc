package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer"
)

// MinWidth and MinHeight are the smallest terminal the pages fit (SPEC §6).
const (
	MinWidth  = 80
	MinHeight = 24
)

// Options configure a run of the installer TUI.
type Options struct {
	// Config is the pre-filled configuration (defaults < answer file < kernel args).
	Config installer.Config
	// Facts is the probed machine (disks, NICs, firmware, RAM).
	Facts installer.Facts
	Media MediaInfo
	// Backend does everything outside the screen.
	Backend Backend
	// Screen is the terminal; nil opens the real one ($TERM).
	Screen tcell.Screen
	// ASCII draws borders with +-| (the locale cannot draw lines); nil
	// decides from LANG/LC_ALL/LC_CTYPE.
	ASCII *bool
	// Demo marks a run on image files: the network page applies nothing.
	Demo bool
}

// pageID names a page.
type pageID string

const (
	pgWelcome  pageID = "welcome"
	pgKeyboard pageID = "keyboard"
	pgBoot     pageID = "boot"
	pgData     pageID = "data"
	pgSizes    pageID = "sizes"
	pgNetwork  pageID = "network"
	pgPassword pageID = "password"
	pgCurrent  pageID = "current"
	pgConfirm  pageID = "confirm"
	pgProgress pageID = "progress"
	pgFinished pageID = "finished"
	pgFailed   pageID = "failed"
)

// page is one screen of the installer.
type page interface {
	title() string
	root() tview.Primitive
	// enter fills the widgets from a.fd (what was typed before, or pre-filled).
	enter(a *App)
	// store copies the widgets into a.fd; it never fails (Back keeps the text).
	store(a *App)
	// validate checks a.fd for this page; messages block Next.
	validate(a *App) []FieldError
	// keys are the footer's keys for this page.
	keys() []action
}

// App is the installer TUI: pages over a working copy of the Config.
type App struct {
	opts   Options
	tv     *tview.Application
	outer  *tview.Pages // main layout + modal dialogs
	layout *tview.Flex  // header, page, messages, footer
	body   *tview.Pages
	head   *tview.TextView
	errs   *tview.TextView
	foot   *tview.TextView

	fd    FormData
	cfg   installer.Config // the Config of the last successful ToConfig
	pages map[pageID]page
	cur   pageID
	hist  []pageID // pages visited, for Back
	modal bool

	stopped  chan struct{} // closed when the event loop has ended
	mu       sync.Mutex    // guards tooSmall (draw) and outcome (run goroutine)
	tooSmall bool
	outcome  Outcome
	drops    []*tview.DropDown
	log      *logBuffer
	settle   time.Duration // how long a start dialog ignores keys
	touched  bool          // a run got past its checks: disks may be written
	running  bool          // a run is in progress (UI goroutine)
	// interrupted: a signal asked to end; cancelRun stops the run.
	interrupted bool
	cancelRun   context.CancelFunc
	notice      string // about the terminal, shown on the first page
}

// settleFor is how long dialog name ignores keys after it opened: the
// dialogs that start a run do, the others (quit) do not.
func (a *App) settleFor(name string) time.Duration {
	if name == "start" {
		return a.settle
	}
	return 0
}

// New builds the TUI for opts without starting it.
func New(opts Options) *App {
	ascii := asciiBorders()
	if opts.ASCII != nil {
		ascii = *opts.ASCII
	}
	applyTheme(ascii)
	a := &App{opts: opts, tv: tview.NewApplication(), log: newLogBuffer(2000), stopped: make(chan struct{}), settle: settle}
	a.cancelRun = func() {}
	if opts.Screen != nil {
		a.tv.SetScreen(opts.Screen)
	}
	a.fd = FromConfig(opts.Config)
	a.cfg = opts.Config
	a.head = tview.NewTextView().SetDynamicColors(true)
	a.head.SetBackgroundColor(colText)
	a.head.SetTextColor(colBG)
	a.errs = tview.NewTextView().SetDynamicColors(true).SetWrap(true)
	a.errs.SetBackgroundColor(colBG)
	a.errs.SetTextColor(colError)
	a.foot = tview.NewTextView().SetDynamicColors(true)
	a.foot.SetBackgroundColor(colText)
	a.foot.SetTextColor(colBG)
	a.body = tview.NewPages()
	a.layout = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(a.head, 1, 0, false).
		AddItem(a.body, 0, 1, true).
		AddItem(a.errs, 2, 0, false).
		AddItem(a.foot, 1, 0, false)
	a.outer = tview.NewPages().AddPage("main", a.layout, true, true)
	a.pages = map[pageID]page{
		pgWelcome:  newWelcome(a),
		pgKeyboard: newKeyboard(a),
		pgBoot:     newBootDisk(a),
		pgData:     newDataDisks(a),
		pgSizes:    newSizes(a),
		pgNetwork:  newNetworkPage(a),
		pgPassword: newPassword(a),
		pgCurrent:  newCurrentPassword(a),
		pgConfirm:  newConfirm(a),
		pgProgress: newProgress(a),
		pgFinished: newFinished(a),
		pgFailed:   newFailed(a),
	}
	for id, p := range a.pages {
		a.body.AddPage(string(id), p.root(), true, false)
	}
	a.tv.SetRoot(a.outer, true)
	a.tv.SetInputCapture(a.capture)
	a.tv.SetBeforeDrawFunc(a.beforeDraw)
	a.show(pgWelcome)
	return a
}

// Run shows the TUI until the admin leaves it and returns what they chose.
func Run(opts Options) (Outcome, error) {
	return New(opts).Run()
}

// Run runs a (built by New) until the admin leaves.
func (a *App) Run() (Outcome, error) {
	if a.opts.Screen == nil {
		s, notice, err := openScreen()
		if err != nil {
			return OutcomeQuit, err
		}
		a.tv.SetScreen(s)
		if notice != "" {
			a.errs.SetText("[yellow]" + notice + "[-]")
		}
	}
	defer a.handleSignals()()
	err := a.tv.Run()
	close(a.stopped)
	return a.Outcome(), err
}

// post runs f on the UI goroutine and redraws, from any goroutine; it
// returns at once when the TUI has ended (tview would block forever).
func (a *App) post(f func()) {
	done := make(chan struct{})
	go func() {
		a.tv.QueueUpdateDraw(f)
		close(done)
	}()
	select {
	case <-done:
	case <-a.stopped:
	}
}

// Outcome is what the admin chose (OutcomeQuit until something else).
func (a *App) Outcome() Outcome {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.outcome == "" {
		return OutcomeQuit
	}
	return a.outcome
}

// Config is the Config the pages produced so far.
func (a *App) Config() installer.Config { return a.cfg }

func (a *App) finish(o Outcome) {
	a.mu.Lock()
	a.outcome = o
	a.mu.Unlock()
	a.tv.Stop()
}

// flow is the page sequence of the current choice.
func (a *App) flow() []pageID {
	if a.fd.Choice.keepsDisks() {
		return []pageID{pgWelcome, pgCurrent, pgConfirm}
	}
	return []pageID{pgWelcome, pgKeyboard, pgBoot, pgData, pgSizes, pgNetwork, pgPassword, pgConfirm}
}

// show switches to page id and fills it from the form.
func (a *App) show(id pageID) {
	a.cur = id
	p := a.pages[id]
	a.errs.SetText("")
	a.layout.ResizeItem(a.errs, 2, 0)
	p.enter(a)
	a.body.SwitchToPage(string(id))
	a.tv.SetFocus(p.root())
	a.updateChrome()
}

func (a *App) updateChrome() {
	p := a.pages[a.cur]
	step := ""
	for i, id := range a.flow() {
		if id == a.cur {
			step = fmt.Sprintf("  [%d/%d]", i+1, len(a.flow()))
		}
	}
	prod := a.opts.Media.Product
	if prod == "" {
		prod = "Node"
	}
	a.head.SetText(fmt.Sprintf(" %s %s installer%s  %s", tview.Escape(prod), tview.Escape(a.opts.Media.Version), step, tview.Escape(p.title())))
	keys := p.keys()
	if a.opts.Backend.Shell == nil {
		keys = without(keys, actShell)
	}
	if pageHelp(a.cur) != "" && len(keys) > 0 {
		keys = append([]action{actHelp}, keys...)
	}
	if len(keys) == 0 {
		a.foot.SetText(" Please wait: keys do nothing until the installer is done.")
		return
	}
	a.foot.SetText(footerText(keys))
}

func without(acts []action, x action) []action {
	var out []action
	for _, a := range acts {
		if a != x {
			out = append(out, a)
		}
	}
	return out
}

// showErrors puts messages under the page (empty clears).
func (a *App) showErrors(errs []FieldError) {
	var lines []string
	for _, e := range errs {
		lines = append(lines, " "+tview.Escape(e.String()))
	}
	// The message area grows to show every message in full (up to
	// maxErrRows, the page shrinks meanwhile), so no message is cut to
	// two lines; the next page starts with two again.
	text := strings.Join(lines, "\n")
	rows := textRows(text, 78)
	if len(lines) == 0 {
		rows = 0
	}
	if rows > maxErrRows {
		for len(lines) > 1 && textRows(strings.Join(lines, "\n"), 78) > maxErrRows-1 {
			lines = lines[:len(lines)-1]
		}
		lines = append(lines, fmt.Sprintf(" ...and %d more problems", len(errs)-len(lines)))
		text, rows = strings.Join(lines, "\n"), maxErrRows
	}
	a.layout.ResizeItem(a.errs, max(rows, 2), 0)
	a.errs.SetText(text)
}

// maxErrRows is the most the message area under a page grows to.
const maxErrRows = 8

// next validates the current page and moves on.
func (a *App) next() {
	p := a.pages[a.cur]
	p.store(a)
	if errs := p.validate(a); len(errs) > 0 {
		a.showErrors(errs)
		return
	}
	fl := a.flow()
	if a.cur == fl[len(fl)-1] {
		a.confirmStart()
		return
	}
	for i, id := range fl {
		if id == a.cur && i+1 < len(fl) {
			a.hist = append(a.hist, a.cur)
			a.show(fl[i+1])
			return
		}
	}
}

// back returns to the previous page, keeping what was typed on this one.
func (a *App) back() {
	if len(a.hist) == 0 {
		return
	}
	a.pages[a.cur].store(a)
	prev := a.hist[len(a.hist)-1]
	a.hist = a.hist[:len(a.hist)-1]
	a.show(prev)
}

// capture is the application-wide key handler: global keys from keyTable.
func (a *App) capture(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() == tcell.KeyCtrlC {
		return nil // never let tview stop the installer on Ctrl-C
	}
	a.mu.Lock()
	small := a.tooSmall
	a.mu.Unlock()
	if small {
		return nil // keys typed blind on the notice would change hidden fields
	}
	if a.modal {
		return ev
	}
	for _, d := range a.drops {
		if d.IsOpen() {
			return ev // Esc/Enter belong to the open list
		}
	}
	act, ok := lookup(ev)
	if !ok {
		return ev
	}
	keys := a.pages[a.cur].keys()
	if act == actRefresh {
		a.tv.Sync()
		return nil
	}
	if act == actHelp {
		a.showHelp() // on every page that has help, whatever its keys
		return nil
	}
	if !hasAction(keys, act) {
		return ev
	}
	switch act {
	case actNext:
		a.next()
	case actBack:
		a.back()
	case actQuit:
		a.confirmQuit()
	case actShell:
		a.shell()
	default:
		if h, ok := a.pages[a.cur].(interface{ handle(action) }); ok {
			h.handle(act)
		}
	}
	return nil
}

// shell suspends the screen for an interactive shell (F2), when allowed.
func (a *App) shell() {
	sh := a.opts.Backend.Shell
	if sh == nil {
		return
	}
	a.tv.Suspend(func() {
		if err := sh(); err != nil {
			a.log.add("shell: " + err.Error())
		}
	})
}

// confirmQuit asks before leaving (Esc).
func (a *App) confirmQuit() {
	what := "Nothing has been written to any disk."
	if a.touched {
		what = "A run was started and did not finish: the disks it wrote are not usable as they are (F4 shows the log). Run it again, or reinstall."
	}
	a.ask("quit", "Quit the installer?\n\n"+what, []string{"Stay", "Quit"}, func(label string) {
		if label == "Quit" {
			a.finish(OutcomeQuit)
		}
	})
}

// ask shows a modal dialog; done gets the button's label.
func (a *App) ask(name, text string, buttons []string, done func(label string)) {
	m := newModal(text, buttons)
	opened, wait := time.Now(), a.settleFor(name)
	m.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if time.Since(opened) < wait {
			return nil // a key held on the page before must not answer
		}
		return ev
	})
	m.SetDoneFunc(func(_ int, label string) {
		a.outer.RemovePage(name)
		a.modal = false
		a.tv.SetFocus(a.pages[a.cur].root())
		done(label)
	})
	a.modal = true
	a.outer.AddPage(name, m, false, true)
	a.tv.SetFocus(m)
}

// newModal is a dialog in the console's style.
func newModal(text string, buttons []string) *tview.Modal {
	m := tview.NewModal().SetText(text).AddButtons(buttons)
	m.SetBackgroundColor(colText)
	m.SetTextColor(colBG)
	m.SetButtonStyle(tcell.StyleDefault.Background(colBG).Foreground(colText))
	m.SetButtonActivatedStyle(tcell.StyleDefault.Background(colTitle).Foreground(colFieldFG))
	return m
}

// beforeDraw replaces the screen by a notice when it is too small.
func (a *App) beforeDraw(s tcell.Screen) bool {
	small := drawTooSmall(s, "the installer")
	a.mu.Lock()
	a.tooSmall = small
	a.mu.Unlock()
	return small
}

// drawTooSmall draws the "terminal too small" notice for who (the
// installer, the setup console) and reports whether the screen is.
func drawTooSmall(s tcell.Screen, who string) bool {
	w, h := s.Size()
	if w >= MinWidth && h >= MinHeight {
		return false
	}
	st := tcell.StyleDefault.Background(colBG).Foreground(colText)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s.SetContent(x, y, ' ', nil, st)
		}
	}
	lines := []string{
		"Terminal too small",
		fmt.Sprintf("%dx%d, %s needs %dx%d.", w, h, who, MinWidth, MinHeight),
		"Enlarge the window or use a bigger console.",
	}
	for i, l := range lines {
		y := h/2 - 1 + i
		x := (w - len(l)) / 2
		if x < 0 {
			x = 0
		}
		for j, r := range l {
			if x+j < w && y >= 0 && y < h {
				s.SetContent(x+j, y, r, nil, st)
			}
		}
	}
	return true
}

// dropDown makes a drop-down that the key dispatcher knows about.
func (a *App) dropDown(label string, opts []string, width int) *tview.DropDown {
	d := newDropDown(label, opts, width)
	a.drops = append(a.drops, d)
	return d
}

// newDropDown is a drop-down in the console's style.
func newDropDown(label string, opts []string, width int) *tview.DropDown {
	d := tview.NewDropDown().SetLabel(label).SetOptions(opts, nil).SetFieldWidth(width)
	d.SetFieldStyle(fieldStyle())
	d.SetListStyles(tcell.StyleDefault.Background(colText).Foreground(colBG), tcell.StyleDefault.Background(colTitle).Foreground(colFieldFG))
	return d
}
