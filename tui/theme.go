package tui

import (
	"os"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// Colours are taken from the 8 basic ones only, so TERM=linux and serial
// terminals show the same screen as an xterm.
const (
	colBG      = tcell.ColorNavy
	colText    = tcell.ColorSilver
	colField   = tcell.ColorTeal
	colFieldFG = tcell.ColorBlack
	colTitle   = tcell.ColorOlive
	colError   = tcell.ColorMaroon
	colOK      = tcell.ColorGreen
	colBar     = tcell.ColorBlack
	colBarFG   = tcell.ColorSilver
)

// utf8Locale reports whether the locale of env (LC_ALL > LC_CTYPE > LANG,
// as setlocale reads them) can draw line characters.
func utf8Locale(getenv func(string) string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// asciiBorders reports whether borders must be drawn in ASCII: the locale
// cannot show box characters (LANG=C prints '?' for double lines).
func asciiBorders() bool { return !utf8Locale(os.Getenv) }

// applyTheme sets tview's global styles. tview keeps them in package
// variables; the installer is the only user of tview in the process.
func applyTheme(ascii bool) {
	tview.Styles = tview.Theme{
		PrimitiveBackgroundColor:    colBG,
		ContrastBackgroundColor:     colField,
		MoreContrastBackgroundColor: colOK,
		BorderColor:                 colText,
		TitleColor:                  colTitle,
		GraphicsColor:               colText,
		PrimaryTextColor:            colText,
		SecondaryTextColor:          colTitle,
		TertiaryTextColor:           colOK,
		InverseTextColor:            colFieldFG,
		ContrastSecondaryTextColor:  colFieldFG,
	}
	b := &tview.Borders
	if ascii {
		b.Horizontal, b.Vertical = '-', '|'
		b.TopLeft, b.TopRight, b.BottomLeft, b.BottomRight = '+', '+', '+', '+'
		b.LeftT, b.RightT, b.TopT, b.BottomT, b.Cross = '+', '+', '+', '+', '+'
		b.HorizontalFocus, b.VerticalFocus = '=', '|'
		b.TopLeftFocus, b.TopRightFocus, b.BottomLeftFocus, b.BottomRightFocus = '+', '+', '+', '+'
		return
	}
	b.Horizontal, b.Vertical = tview.BoxDrawingsLightHorizontal, tview.BoxDrawingsLightVertical
	b.TopLeft, b.TopRight = tview.BoxDrawingsLightDownAndRight, tview.BoxDrawingsLightDownAndLeft
	b.BottomLeft, b.BottomRight = tview.BoxDrawingsLightUpAndRight, tview.BoxDrawingsLightUpAndLeft
	b.LeftT, b.RightT = tview.BoxDrawingsLightVerticalAndRight, tview.BoxDrawingsLightVerticalAndLeft
	b.TopT, b.BottomT = tview.BoxDrawingsLightDownAndHorizontal, tview.BoxDrawingsLightUpAndHorizontal
	b.Cross = tview.BoxDrawingsLightVerticalAndHorizontal
	// Double lines mark the focused box; the Linux console font has them.
	b.HorizontalFocus, b.VerticalFocus = tview.BoxDrawingsDoubleHorizontal, tview.BoxDrawingsDoubleVertical
	b.TopLeftFocus, b.TopRightFocus = tview.BoxDrawingsDoubleDownAndRight, tview.BoxDrawingsDoubleDownAndLeft
	b.BottomLeftFocus, b.BottomRightFocus = tview.BoxDrawingsDoubleUpAndRight, tview.BoxDrawingsDoubleUpAndLeft
}

// fieldStyle is the style of input fields and drop-downs.
func fieldStyle() tcell.Style {
	return tcell.StyleDefault.Background(colField).Foreground(colFieldFG)
}

// newForm is a tview.Form in the installer's style.
func newForm() *tview.Form {
	f := tview.NewForm()
	f.SetFieldStyle(fieldStyle())
	f.SetLabelColor(colText)
	f.SetButtonStyle(tcell.StyleDefault.Background(colText).Foreground(colBG))
	f.SetButtonActivatedStyle(tcell.StyleDefault.Background(colTitle).Foreground(colFieldFG))
	f.SetItemPadding(0)
	f.SetBackgroundColor(colBG)
	// Arrows move between buttons, as in tview's Modal; in a field they edit.
	f.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if item, _ := f.GetFocusedItemIndex(); item >= 0 {
			return ev
		}
		switch ev.Key() {
		case tcell.KeyRight:
			return tcell.NewEventKey(tcell.KeyTab, 0, tcell.ModNone)
		case tcell.KeyLeft:
			return tcell.NewEventKey(tcell.KeyBacktab, 0, tcell.ModNone)
		}
		return ev
	})
	return f
}

// newText is a read-only, colour-tagged text view.
func newText() *tview.TextView {
	t := tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true)
	t.SetBackgroundColor(colBG)
	return t
}

// newTable is a selectable, row-wise table in the installer's style.
func newTable() *tview.Table {
	t := tview.NewTable().SetSelectable(true, false).SetFixed(1, 0)
	t.SetBackgroundColor(colBG)
	t.SetSelectedStyle(tcell.StyleDefault.Background(colField).Foreground(colFieldFG))
	return t
}

// boxed gives p a border and a title.
func boxed(b *tview.Box, title string) {
	b.SetBorder(true).SetTitle(" " + title + " ").SetTitleAlign(tview.AlignLeft)
}
