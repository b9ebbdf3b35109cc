package tui

import (
	"fmt"
	"testing"

	"github.com/gdamore/tcell/v2"
)

func TestSmokePrint(t *testing.T) {
	h := newHarness(t, testOptions())
	h.press(tcell.KeyEnter, tcell.KeyEnter, tcell.KeyEnter, tcell.KeyF10, tcell.KeyF10)
	fmt.Println(h.screen())
	h.press(tcell.KeyF10)
	h.typeText("Secr3t-pass")
	h.press(tcell.KeyTab)
	h.typeText("Secr3t-pass")
	fmt.Println(h.screen())
	h.press(tcell.KeyF10)
	fmt.Println(h.screen())
	h.press(tcell.KeyF10)
	fmt.Println(h.screen())
}
