package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/storage"
)

// confirm is the Confirm page: the plan in words, which disks are erased
// and what they hold now. Nothing is written before its button.
type confirm struct {
	*tview.Flex
	text *tview.TextView
	form *tview.Form
	pv   PlanView
}

func newConfirm(a *App) *confirm {
	p := &confirm{Flex: tview.NewFlex().SetDirection(tview.FlexRow), text: newText(), form: newForm()}
	p.text.SetScrollable(true).SetWordWrap(true) // a GUID or path is never cut in two
	p.form.SetButtonsAlign(tview.AlignCenter)
	p.form.SetBorderPadding(0, 0, 1, 1)
	p.form.SetCancelFunc(a.confirmQuit)
	boxed(p.text.Box, "Check before anything is written (PgDn scrolls)")
	p.AddItem(p.text, 0, 1, false).AddItem(p.form, 1, 0, true)
	tab := tabCycle(a, p.form, p.text)
	p.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		// PgDn/PgUp scroll the plan wherever the focus is (on the
		// buttons they did nothing).
		if k := ev.Key(); k == tcell.KeyPgDn || k == tcell.KeyPgUp {
			if h := p.text.InputHandler(); h != nil {
				h(ev, func(tview.Primitive) {})
			}
			return nil
		}
		return tab(ev)
	})
	return p
}

func (p *confirm) title() string         { return "Confirm" }
func (p *confirm) root() tview.Primitive { return p }
func (p *confirm) keys() []action {
	return []action{actTab, actScroll, actBack, actNext, actShell, actQuit}
}

// verb is the button's label for the choice.
func verb(c Choice) string {
	switch c {
	case ChoiceUpgrade:
		return "Upgrade now"
	case ChoiceDowngrade:
		return "Downgrade now"
	case ChoiceRepair:
		return "Repair now"
	case ChoiceUninstall:
		return "Uninstall now"
	case ChoiceReinstall:
		return "Erase and reinstall"
	default:
		return "Erase and install"
	}
}

func (p *confirm) enter(a *App) {
	var ferrs []FieldError
	p.pv, ferrs = a.planNow()
	p.form.ClearButtons()
	p.form.AddButton("Back", a.back).AddButton(verb(a.fd.Choice), a.next)
	p.form.SetFocus(1)
	p.text.SetText(insecureLine(a.opts.Media) + confirmText(a.fd, p.pv, ferrs, a.opts.Facts, a.opts.Media))
	p.text.ScrollToBeginning()
}

// insecureLine warns on the Confirm page that the media is unverified.
func insecureLine(m MediaInfo) string {
	if !m.Insecure {
		return ""
	}
	return "[red]Media: " + tview.Escape(m.Signature) + "[-]\n"
}

// confirmText is the Confirm page's text: problems first, then the disks
// that are erased with what they hold now, the partition tables and the plan.
func confirmText(fd FormData, pv PlanView, ferrs []FieldError, facts installer.Facts, media MediaInfo) string {
	var b strings.Builder
	for _, e := range ferrs {
		fmt.Fprintf(&b, "[red]%s[-]\n", tview.Escape(e.String()))
	}
	for _, pr := range pv.Problems {
		fmt.Fprintf(&b, "[red]%s[-]\n", tview.Escape(problemError(pr).String()))
	}
	if len(ferrs)+len(pv.Problems) > 0 {
		b.WriteString("[red]Go back and correct this: nothing will be written.[-]\n\n")
	}
	// The summary names every disk erased, wiped or cleared, with what
	// it holds now (the probed disk, not the plan's copy).
	b.WriteString(summaryText(fd, pv, facts, media) + "\n")
	switch fd.Choice {
	case ChoiceUpgrade, ChoiceDowngrade, ChoiceRepair:
		what := map[Choice]string{ChoiceUpgrade: "Upgrade", ChoiceDowngrade: "Downgrade", ChoiceRepair: "Repair (the same version again)"}[fd.Choice]
		b.WriteString("[::b]" + what + ". Nothing is erased.[::-] The new image goes to the spare slot; Config, Logging, Data and the network configuration are kept.\n\n")
	case ChoiceUninstall:
	default:
		b.WriteString(layoutTable(pv.Layout))
	}
	if pv.Text != "" {
		b.WriteString("\n" + tview.Escape(pv.Text))
	}
	return b.String()
}

// layoutTable prints the planned partition tables.
func layoutTable(l storage.Layout) string {
	var b strings.Builder
	for _, dl := range l.Disks {
		ss := uint64(dl.SectorSize)
		if ss == 0 {
			ss = 512
		}
		fmt.Fprintf(&b, "New GPT on %s (%s disk):\n", dl.Disk.Name, dl.Role)
		fmt.Fprintf(&b, "  %2s %-8s %12s %12s %10s  %s\n", "#", "Name", "Start", "End", "Size", "Content")
		for _, pp := range dl.Partitions {
			fmt.Fprintf(&b, "  %2d %-8s %12d %12d %10s  %s %s\n", pp.Number, pp.Name, pp.Start, pp.End(), humanSize(int64(pp.Size*ss)), pp.Content, pp.Label)
		}
	}
	return b.String()
}

func (p *confirm) store(*App) {}

func (p *confirm) validate(a *App) []FieldError {
	pv, errs := a.planNow()
	if len(errs) > 0 {
		return errs
	}
	for _, pr := range pv.Problems {
		errs = append(errs, problemError(pr))
	}
	if a.opts.Backend.Run == nil {
		errs = append(errs, FieldError{"Install", "this build has no engine to run the plan"})
	}
	return errs
}
