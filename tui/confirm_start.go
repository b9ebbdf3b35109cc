package tui

import (
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// eraseWord is what the admin types to start a run that erases disks:
// no key repeat, no held F10 and no stray Enter can produce it.
const eraseWord = "ERASE"

// settle is how long a confirmation dialog ignores keys after it opened:
// a key still held from the page before must not answer it.
const settle = time.Second

// erases tells whether the choice destroys what the disks hold.
func (c Choice) erases() bool {
	return c != ChoiceUpgrade && c != ChoiceDowngrade && c != ChoiceRepair
}

// confirmStart is the last step before a run: the Confirm page's button
// (or F10 there) only opens this dialog. A run that erases needs the word
// ERASE typed; one that keeps the disks needs its button chosen in a
// dialog whose default is Back and which ignores keys for a second.
func (a *App) confirmStart() {
	if !a.fd.Choice.erases() {
		a.ask("start", verb(a.fd.Choice)+"?\n\nThe disks keep their data; the current version stays as the fallback.",
			[]string{"Back", verb(a.fd.Choice)}, func(label string) {
				if label == verb(a.fd.Choice) {
					a.start()
				}
			})
		return
	}
	a.askWord("start", verb(a.fd.Choice)+": every disk marked ERASED on this page loses all its data.\nType "+eraseWord+" and press Enter to start; Esc goes back.", func() { a.start() })
}

// askWord is a modal dialog that calls ok only when eraseWord is typed and
// confirmed with Enter; Esc or Back closes it and calls nothing.
func (a *App) askWord(name, text string, ok func()) {
	opened, wait := time.Now(), a.settleFor(name)
	msg := tview.NewTextView().SetText(text).SetWrap(true)
	msg.SetBackgroundColor(colText)
	msg.SetTextColor(colBG)
	hint := tview.NewTextView().SetDynamicColors(true)
	hint.SetBackgroundColor(colText)
	hint.SetTextColor(colError)
	form := newForm()
	form.SetBackgroundColor(colText)
	in := tview.NewInputField().SetLabel("Type " + eraseWord + ": ").SetFieldWidth(10)
	in.SetFieldStyle(fieldStyle())
	in.SetLabelColor(colBG)
	closeIt := func() {
		a.outer.RemovePage(name)
		a.modal = false
		a.tv.SetFocus(a.pages[a.cur].root())
	}
	try := func() {
		if in.GetText() != eraseWord {
			hint.SetText("Nothing started: type " + eraseWord + " in capitals, or press Esc to go back.")
			in.SetText("")
			form.SetFocus(0)
			a.tv.SetFocus(form)
			return
		}
		closeIt()
		ok()
	}
	form.AddFormItem(in).AddButton("Back", closeIt).AddButton(verb(a.fd.Choice), try)
	form.SetCancelFunc(closeIt)
	in.SetDoneFunc(func(k tcell.Key) {
		if k == tcell.KeyEnter {
			try()
		}
	})
	box := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(msg, 3, 0, false).AddItem(hint, 1, 0, false).AddItem(form, 0, 1, true)
	box.SetBorder(true).SetTitle(" Confirm ").SetBackgroundColor(colText)
	box.SetBorderPadding(0, 0, 1, 1)
	box.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if time.Since(opened) < wait {
			return nil
		}
		return ev
	})
	outer := tview.NewFlex().AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).AddItem(nil, 0, 1, false).AddItem(box, 10, 0, true).AddItem(nil, 0, 1, false), 70, 0, true).
		AddItem(nil, 0, 1, false)
	a.modal = true
	a.outer.AddPage(name, outer, true, true)
	a.tv.SetFocus(form)
}
