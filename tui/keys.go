package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// action is something a key does on a page.
type action int

const (
	actNext action = iota
	actBack
	actQuit
	actShell
	actRefresh
	actPing
	actLog
	actTab
	actSelect
	actMark
	actScroll
	actSave // the setup console: write the page
	actMenu // the setup console: back to the page menu
	actHelp
)

// binding ties keys to an action. The footer and the dispatcher both read
// keyTable, so what the footer says is what the keys do.
type binding struct {
	act    action
	keys   []tcell.Key // first one is shown
	label  string
	help   string
	global bool // dispatched by the application; else handled by the widgets
}

// keyTable is the one table of keys. Ctrl-N/Ctrl-P stand in for F10/F3 on
// serial terminals whose F-keys don't come through.
var keyTable = []binding{
	{actTab, []tcell.Key{tcell.KeyTab}, "Tab", "Field", false},
	{actSelect, []tcell.Key{tcell.KeyEnter}, "Enter", "Select", false},
	{actMark, []tcell.Key{tcell.KeyRune}, "Space", "Mark", false},
	{actScroll, []tcell.Key{tcell.KeyPgDn}, "PgDn", "Scroll", false},
	{actPing, []tcell.Key{tcell.KeyF5}, "F5", "Ping", true},
	{actLog, []tcell.Key{tcell.KeyF4}, "F4", "Log", true},
	{actBack, []tcell.Key{tcell.KeyF3, tcell.KeyCtrlP}, "F3", "Back", true},
	{actNext, []tcell.Key{tcell.KeyF10, tcell.KeyCtrlN}, "F10", "Next", true},
	{actShell, []tcell.Key{tcell.KeyF2}, "F2", "Shell", true},
	{actHelp, []tcell.Key{tcell.KeyF1}, "F1", "Help", true},
	{actRefresh, []tcell.Key{tcell.KeyCtrlL}, "^L", "Redraw", true},
	{actQuit, []tcell.Key{tcell.KeyEscape}, "Esc", "Quit", true},
	// the setup console's own keys, dispatched by its capture (setupKey)
	{actSave, []tcell.Key{tcell.KeyF10, tcell.KeyCtrlN}, "F10", "Save", false},
	{actMenu, []tcell.Key{tcell.KeyEscape}, "Esc", "Menu", false},
}

// lookup finds the global action of ev.
func lookup(ev *tcell.EventKey) (action, bool) {
	for _, b := range keyTable {
		if !b.global {
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

// footerText renders the keys of acts in table order, e.g. "F10 Next  Esc Quit".
func footerText(acts []action) string {
	has := map[action]bool{}
	for _, a := range acts {
		has[a] = true
	}
	var parts []string
	for _, b := range keyTable {
		if has[b.act] {
			parts = append(parts, "[::r]"+b.label+"[::-] "+b.help)
		}
	}
	return " " + strings.Join(parts, "  ")
}

// hasAction reports whether acts contains a.
func hasAction(acts []action, a action) bool {
	for _, x := range acts {
		if x == a {
			return true
		}
	}
	return false
}
