package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// pageHelps is what F1 says on each page of the installer: what the page
// is for and its own keys. The keys of every page follow (commonHelp).
var pageHelps = map[pageID]string{
	pgWelcome: "What was found on this machine, and what can be done: install on an empty machine; " +
		"upgrade, repair, reinstall or uninstall an installed one.\n" +
		"Up/Down choose, Enter or F10 go on.",
	pgKeyboard: "The keyboard layout of this console and of the installed node. On the machine's own " +
		"console the layout is loaded as you move, so you can try it in the field below (Tab).\n" +
		"Up/Down or a letter choose, Enter or F10 go on.",
	pgBoot: "The disk the node is installed on. It is ERASED (the Confirm page names it once more). " +
		"The details say what each disk holds now; disks that cannot be used say why.\n" +
		"Up/Down choose, Enter on \"Other device...\" lets you type a path.",
	pgData: "Further disks for VM storage (Data2, Data3...). Each marked disk is ERASED.\n" +
		"Space or Enter marks a disk, F10 goes on.",
	pgSizes: "The size of each partition in MiB (4G is also understood; empty: the default; 0: none; " +
		"-1: the rest of the disk). The plan on the right follows each key you type.\n" +
		"Tab moves between the fields.",
	pgNetwork: "The management network of the installed node. Enter on a NIC makes it the management " +
		"NIC (marked mgmt); Space marks NICs for a bond. Addresses are written with their prefix " +
		"(192.0.2.10/24). F5 pings the host in the Ping field.\nTab moves between the table and the forms.",
	pgPassword: "The password of the admin account (console, SSH, web), typed twice. At least 8 characters " +
		"with 3 kinds of characters, or 16 characters. It is stored only as a hash.",
	pgCurrent: "The admin password of the installed node: whoever changes it must know it. After three " +
		"wrong passwords each attempt waits longer. No shell on this page.",
	pgConfirm: "What will be done, before anything is written: the disks ERASED and what they hold now, " +
		"the new partition tables and the whole plan.\nPgDn/PgUp scroll. The button asks once more: " +
		"an install that erases starts only when ERASE is typed.",
	pgFinished: "The run is over. Remove the installation media, then reboot.",
	pgFailed: "The run failed: the message and the log say why (F4 scrolls the log). Retry reads the " +
		"disks again and goes back to Confirm with everything you typed.",
}

// commonHelp lists the keys of every page, with the Ctrl keys for
// terminals whose F-keys do not come through.
const commonHelp = "Keys on every page: F10 or Ctrl-N next, F3 or Ctrl-P back, Esc quit (it asks first), " +
	"Ctrl-L redraw, F2 shell (when allowed), F1 this help."

// pageHelp is F1's text for page id, "" for a page without help.
func pageHelp(id pageID) string {
	h, ok := pageHelps[id]
	if !ok {
		return ""
	}
	return strings.TrimSpace(h) + "\n\n" + commonHelp
}

// showHelp opens F1's dialog for the current page.
func (a *App) showHelp() {
	if t := pageHelp(a.cur); t != "" {
		a.showText("Help: "+a.pages[a.cur].title(), tview.Escape(t)+"\n\n[::b]Enter, Esc or F1 closes this help.[::-]")
	}
}

// showText opens a box wider than tview's modal (a third of the screen),
// scrollable, closed by Enter, Esc or F1: the help, and problems too
// long for the two lines under a page.
func (a *App) showText(title, text string) {
	tv := newText()
	tv.SetScrollable(true).SetWordWrap(true)
	tv.SetText(text)
	boxed(tv.Box, title)
	closeBox := func() {
		a.outer.RemovePage("text")
		a.modal = false
		a.tv.SetFocus(a.pages[a.cur].root())
	}
	tv.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		switch ev.Key() {
		case tcell.KeyEnter, tcell.KeyEscape, tcell.KeyF1:
			closeBox()
			return nil
		}
		return ev // arrows and PgDn scroll
	})
	row := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(nil, 0, 1, false).AddItem(tv, 16, 0, true).AddItem(nil, 0, 1, false)
	box := tview.NewFlex().AddItem(nil, 0, 1, false).AddItem(row, 72, 0, true).AddItem(nil, 0, 1, false)
	a.modal = true
	a.outer.AddPage("text", box, true, true)
	a.tv.SetFocus(tv)
}
