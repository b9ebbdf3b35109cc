package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/internal/event"
)

// bar is a progress bar primitive, drawn with ASCII so it shows on any console.
type bar struct {
	*tview.Box
	frac  float64
	label string // the current step and its bytes
}

func (b *bar) Draw(s tcell.Screen) {
	b.DrawForSubclass(s, b)
	x, y, w, h := b.GetInnerRect()
	if w < 10 || h < 1 {
		return
	}
	pct := fmt.Sprintf(" %3d%%", int(b.frac*100+0.5))
	n := w - len(pct) - 2
	full := int(b.frac * float64(n))
	line := "[" + strings.Repeat("#", full) + strings.Repeat(".", n-full) + "]" + pct
	tview.Print(s, line, x, y, w, tview.AlignLeft, colText)
	if h > 1 {
		tview.Print(s, tview.Escape(b.label), x, y+1, w, tview.AlignLeft, colTitle)
	}
}

// progress is the Progress page: bar, step list and log tail, fed by the
// engine's events through eventQueue. No key leaves it.
type progress struct {
	*tview.Flex
	bar   *bar
	steps *tview.TextView
	tail  *tview.TextView
	order []string
	state map[string]string // step -> "run" | "ok" | "fail"
	app   *App
}

func newProgress(a *App) *progress {
	p := &progress{Flex: tview.NewFlex().SetDirection(tview.FlexRow), bar: &bar{Box: tview.NewBox()}, steps: newText(), tail: newText(), app: a}
	p.bar.SetBackgroundColor(colBG)
	boxed(p.bar.Box, "Working - do not power off")
	boxed(p.steps.Box, "Steps")
	boxed(p.tail.Box, "Log")
	p.tail.SetWrap(false)
	p.AddItem(p.bar, 4, 0, false).
		AddItem(tview.NewFlex().AddItem(p.steps, 34, 0, false).AddItem(p.tail, 0, 1, false), 0, 1, true)
	return p
}

func (p *progress) title() string         { return "Progress" }
func (p *progress) root() tview.Primitive { return p }
func (p *progress) keys() []action        { return nil }
func (p *progress) enter(*App)            {}
func (p *progress) store(*App)            {}
func (p *progress) validate(*App) []FieldError {
	return []FieldError{{"Progress", "the run is not over yet"}}
}

// reset clears the page for a run whose steps are planned: they are
// listed from the start, "[ ]" until they run.
func (p *progress) reset(planned []string) {
	p.order, p.state, p.bar.frac, p.bar.label = nil, map[string]string{}, 0, ""
	for _, s := range planned {
		if _, dup := p.state[s]; !dup {
			p.order = append(p.order, s)
			p.state[s] = "todo"
		}
	}
	p.steps.SetText(p.stepList())
	p.tail.SetText("")
}

// stepList is the step list: done, running, failed, still to come.
func (p *progress) stepList() string {
	var b strings.Builder
	for _, s := range p.order {
		mark := map[string]string{"todo": "[-]" + tview.Escape("[ ]"), "run": "[yellow]" + tview.Escape("[>]"), "ok": "[green]" + tview.Escape("[x]"), "fail": "[red]" + tview.Escape("[!]")}[p.state[s]]
		fmt.Fprintf(&b, "%s[-] %s\n", mark, tview.Escape(s))
	}
	return b.String()
}

// apply shows a batch of events (UI goroutine).
func (p *progress) apply(evs []event.Event) {
	for _, e := range evs {
		if e.Fraction > p.bar.frac {
			p.bar.frac = e.Fraction // the bar never moves back
		}
		if e.Kind == event.StepStarted && e.Step != "check" && e.Step != "open" {
			p.app.touched = true // from here on the disks may hold writes
		}
		if e.Step != "" {
			if st, ok := p.state[e.Step]; !ok || st == "todo" {
				if !ok {
					p.order = append(p.order, e.Step)
				}
				p.state[e.Step] = "run"
			}
			switch e.Kind {
			case event.StepFinished:
				p.state[e.Step] = "ok"
			case event.Failed:
				p.state[e.Step] = "fail"
			}
		}
		if e.Step != "" && e.Kind != event.StepFinished {
			p.bar.label = e.Step
			if e.Total > 0 {
				p.bar.label += fmt.Sprintf(": %s of %s", humanSize(e.Bytes), humanSize(e.Total))
			}
		}
		if e.Kind == event.Done {
			p.bar.frac = 1
		}
		if e.Kind != event.Progress {
			p.app.log.add(eventLine(e))
		}
	}
	p.steps.SetText(p.stepList())
	_, _, _, h := p.tail.GetInnerRect()
	if h < 5 {
		h = 15
	}
	p.tail.SetText(tview.Escape(strings.Join(p.app.log.tail(h), "\n")))
}

// start runs the plan of the form: the page follows the events and, when
// the run is over, the Finished or Failed page is shown.
func (a *App) start() {
	cfg, errs := a.fd.ToConfig(a.opts.Config, "")
	if len(errs) > 0 {
		a.showErrors(errs)
		return
	}
	if a.fd.Password != "" {
		h, err := HashPassword(a.fd.Password)
		if err != nil {
			a.showErrors([]FieldError{{"Password", err.Error()}})
			return
		}
		cfg.Host.AdminPW = h
	}
	a.cfg = cfg
	p := a.pages[pgProgress].(*progress)
	p.reset(a.pages[pgConfirm].(*confirm).pv.Steps)
	a.hist = nil
	a.show(pgProgress)
	q := newEventQueue(512)
	result := make(chan error, 1)
	run, facts := a.opts.Backend.Run, a.opts.Facts
	ctx := a.runContext()
	a.running = true
	go func() {
		defer func() {
			if r := recover(); r != nil {
				result <- fmt.Errorf("installer crashed: %v", r)
			}
		}()
		result <- run(ctx, cfg, facts, q)
	}()
	go func() {
		for {
			select {
			case <-q.signal:
				if evs := q.take(); len(evs) > 0 {
					a.post(func() { p.apply(evs) })
				}
			case err := <-result:
				evs := q.take()
				a.post(func() {
					p.apply(evs)
					a.runOver(err)
				})
				return
			}
		}
	}()
}

// runOver shows the end of the run.
func (a *App) runOver(err error) {
	a.running = false
	if a.interrupted {
		a.finish(OutcomeInterrupted)
		return
	}
	if err != nil {
		a.log.add("ERROR: " + err.Error())
		a.pages[pgFailed].(*failed).err = err
		a.show(pgFailed)
		return
	}
	a.show(pgFinished)
}

// finished is the Finished page: reboot, power off or a shell.
type finished struct {
	*tview.Flex
	text *tview.TextView
	form *tview.Form
	app  *App
}

func newFinished(a *App) *finished {
	p := &finished{Flex: tview.NewFlex().SetDirection(tview.FlexRow), text: newText(), form: newForm(), app: a}
	p.form.SetButtonsAlign(tview.AlignCenter)
	p.form.SetBorderPadding(0, 0, 1, 1)
	boxed(p.text.Box, "Finished")
	p.AddItem(p.text, 0, 1, false).AddItem(p.form, 1, 0, true)
	return p
}

func (p *finished) title() string         { return "Finished" }
func (p *finished) root() tview.Primitive { return p }
func (p *finished) keys() []action        { return []action{actTab, actSelect, actShell} }
func (p *finished) store(*App)            {}
func (p *finished) validate(*App) []FieldError {
	return nil
}

func (p *finished) enter(a *App) {
	where := a.fd.BootPath()
	what := map[Choice]string{ChoiceUpgrade: "upgraded", ChoiceDowngrade: "downgraded", ChoiceRepair: "repaired", ChoiceUninstall: "uninstalled"}[a.fd.Choice]
	if what == "" {
		what = "installed"
	}
	if where == "" {
		if f := detect(a.opts.Facts.Disks); len(f) > 0 {
			where = f[0].Disk.Path
		}
	}
	p.text.SetText(fmt.Sprintf("\n  [green::b]%s %s was %s[-::-] on %s.\n\n  Remove the installation media, then reboot.\n\n%s",
		tview.Escape(orDefault(a.opts.Media.Product, "The node")), tview.Escape(a.opts.Media.Version), what, tview.Escape(where),
		tview.Escape(strings.Join(a.log.tail(8), "\n"))))
	p.form.ClearButtons()
	p.form.AddButton("Reboot", func() { a.finish(OutcomeReboot) }).AddButton("Power off", func() { a.finish(OutcomePowerOff) })
	if a.opts.Backend.Shell != nil {
		p.form.AddButton("Shell", func() { a.finish(OutcomeShell) })
	}
	p.form.SetFocus(0)
}

// failed is the Failed page: the error, the log and what to do next.
type failed struct {
	*tview.Flex
	text *tview.TextView
	logv *tview.TextView
	form *tview.Form
	err  error
	app  *App
}

func newFailed(a *App) *failed {
	p := &failed{Flex: tview.NewFlex().SetDirection(tview.FlexRow), text: newText(), logv: newText(), form: newForm(), app: a}
	p.logv.SetScrollable(true).SetWrap(false)
	p.form.SetButtonsAlign(tview.AlignCenter)
	p.form.SetBorderPadding(0, 0, 1, 1)
	boxed(p.text.Box, "Failed")
	boxed(p.logv.Box, "Log (F4: scroll it with the arrows and PgUp/PgDn)")
	p.AddItem(p.text, 6, 0, false).AddItem(p.logv, 0, 1, false).AddItem(p.form, 1, 0, true)
	p.SetInputCapture(tabCycle(a, p.form, p.logv))
	return p
}

func (p *failed) title() string         { return "Failed" }
func (p *failed) root() tview.Primitive { return p }
func (p *failed) keys() []action        { return []action{actTab, actLog, actSelect, actShell} }
func (p *failed) store(*App)            {}
func (p *failed) validate(*App) []FieldError {
	return nil
}

func (p *failed) enter(a *App) {
	msg := "unknown error"
	if p.err != nil {
		msg = p.err.Error()
	}
	p.text.SetText(fmt.Sprintf("[red::b]The %s did not complete.[-::-]\n%s\nThe machine was not rebooted. Retry, look at the log, or open a shell.", a.fd.Choice, tview.Escape(msg)))
	p.logv.SetText(tview.Escape(a.log.String()))
	p.logv.ScrollToEnd()
	p.form.ClearButtons()
	p.form.AddButton("Retry", func() {
		if a.opts.Backend.Reprobe != nil {
			if f, err := a.opts.Backend.Reprobe(); err == nil {
				a.opts.Facts = f
			} else {
				a.log.add("re-read the disks: " + err.Error())
			}
		}
		a.hist = nil
		fl := a.flow()
		a.hist = append(a.hist, fl[:len(fl)-1]...)
		a.show(pgConfirm)
	})
	if a.opts.Backend.Shell != nil {
		// A shell beside the installer, which is still there after it:
		// ending the installer for a shell lost the page and the log.
		p.form.AddButton("Shell", a.shell)
	}
	p.form.AddButton("Reboot", func() { a.finish(OutcomeReboot) })
	p.form.SetFocus(0)
}

func (p *failed) handle(act action) {
	if act == actLog {
		p.app.tv.SetFocus(p.logv)
	}
}
