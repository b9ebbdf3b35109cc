package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"node-installer/storage"
)

// diskRow is the table text of a disk.
func diskRow(d storage.Disk) []string {
	bus := d.Transport
	if bus == "" {
		bus = "?"
	}
	return []string{bus, d.Name, humanSize(d.Size), d.Model, d.Serial}
}

// fillDiskTable writes the header and one row per disk; mark, when not nil,
// adds a first column of "[x]" marks.
func fillDiskTable(t *tview.Table, disks []storage.Disk, mark func(storage.Disk) bool) {
	t.Clear()
	head := []string{"Bus", "Name", "Size", "Model", "Serial"}
	off := 0
	if mark != nil {
		off = 1
		t.SetCell(0, 0, tview.NewTableCell("Use").SetTextColor(colTitle).SetSelectable(false))
	}
	for i, h := range head {
		t.SetCell(0, i+off, tview.NewTableCell(h).SetTextColor(colTitle).SetSelectable(false).SetExpansion(boolInt(i == 3)))
	}
	for r, d := range disks {
		if mark != nil {
			m := "[ ]"
			if mark(d) {
				m = "[x]"
			}
			t.SetCell(r+1, 0, tview.NewTableCell(tview.Escape(m)).SetTextColor(colText))
		}
		for i, s := range diskRow(d) {
			c := tview.NewTableCell(tview.Escape(s)).SetTextColor(colText).SetMaxWidth(24)
			if eligible(d) != "" {
				c.SetTextColor(colTitle)
			}
			t.SetCell(r+1, i+off, c)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// details is the details pane text of d.
func details(d storage.Disk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[::b]%s[::-]  %s\n", tview.Escape(d.Path), humanSize(d.Size))
	fmt.Fprintf(&b, "%d bytes, sectors %d/%d", d.Size, d.LogicalSector, d.PhysicalSector)
	if d.Rotational {
		b.WriteString(", rotational")
	} else if d.Transport != "file" {
		b.WriteString(", solid state")
	}
	b.WriteString("\n")
	if d.Vendor != "" || d.Model != "" {
		fmt.Fprintf(&b, "%s %s\n", tview.Escape(d.Vendor), tview.Escape(d.Model))
	}
	if len(d.ByID) > 0 {
		fmt.Fprintf(&b, "%s\n", tview.Escape(d.ByID[0]))
	}
	fmt.Fprintf(&b, "Holds now: %s\n", tview.Escape(describe(d)))
	if why := eligible(d); why != "" {
		fmt.Fprintf(&b, "[red]Cannot be used: %s[-]\n", tview.Escape(why))
	}
	return b.String()
}

// candidates are the disks the pages list: the boot media is never shown.
func candidates(disks []storage.Disk) []storage.Disk {
	var out []storage.Disk
	for _, d := range disks {
		if !d.BootMedia {
			out = append(out, d)
		}
	}
	return out
}

// findDisk finds path among disks by path, name or /dev/ name.
func findDisk(disks []storage.Disk, path string) (storage.Disk, bool) {
	for _, d := range disks {
		if d.Path == path || d.Name == path || "/dev/"+d.Name == path {
			return d, true
		}
		for _, id := range d.ByID {
			if id == path {
				return d, true
			}
		}
	}
	return storage.Disk{}, false
}

// bootDisk is the Boot disk page: a table of the disks, a details pane and
// an "other device" entry.
type bootDisk struct {
	*tview.Flex
	table  *tview.Table
	info   *tview.TextView
	form   *tview.Form
	other  *tview.InputField
	disks  []storage.Disk
	app    *App
	probed map[string]storage.Disk // other devices already read
}

func newBootDisk(a *App) *bootDisk {
	p := &bootDisk{Flex: tview.NewFlex().SetDirection(tview.FlexRow), table: newTable(), info: newText(), form: newForm(), app: a, probed: map[string]storage.Disk{}}
	p.other = tview.NewInputField().SetLabel("Other device (path):").SetFieldWidth(40)
	p.other.SetFieldStyle(fieldStyle())
	p.form.AddFormItem(p.other)
	boxed(p.table.Box, "Install on which disk? (the boot media is not listed)")
	boxed(p.info.Box, "Details")
	p.table.SetSelectionChangedFunc(func(row, _ int) { p.showDetails(row) })
	p.table.SetSelectedFunc(func(row, _ int) {
		if row == len(p.disks)+1 {
			a.tv.SetFocus(p.form)
			return
		}
		a.next()
	})
	p.form.SetCancelFunc(func() { a.confirmQuit() })
	// One row: without this the form's default padding left no room and
	// the path was typed blind.
	p.form.SetBorderPadding(0, 0, 1, 1)
	p.AddItem(p.table, 0, 3, true).AddItem(p.info, 7, 0, false).AddItem(p.form, 1, 0, false)
	p.SetInputCapture(tabCycle(a, p.table, p.form))
	return p
}

// tabCycle moves the focus between the given widgets on Tab/Backtab
// (a Form keeps Tab for its own fields until its last one).
func tabCycle(a *App, items ...tview.Primitive) func(*tcell.EventKey) *tcell.EventKey {
	return func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() != tcell.KeyTab && ev.Key() != tcell.KeyBacktab {
			return ev
		}
		cur := -1
		for i, it := range items {
			if it.HasFocus() {
				cur = i
			}
		}
		if cur < 0 {
			return ev
		}
		if f, ok := items[cur].(*tview.Form); ok {
			item, button := f.GetFocusedItemIndex()
			n := f.GetFormItemCount() + f.GetButtonCount()
			idx := item
			if item < 0 {
				idx = f.GetFormItemCount() + button
			}
			if ev.Key() == tcell.KeyTab && idx < n-1 || ev.Key() == tcell.KeyBacktab && idx > 0 {
				return ev
			}
		}
		step := 1
		if ev.Key() == tcell.KeyBacktab {
			step = len(items) - 1
		}
		next := items[(cur+step)%len(items)]
		if f, ok := next.(*tview.Form); ok {
			if step == 1 {
				f.SetFocus(0)
			} else {
				f.SetFocus(f.GetFormItemCount() + f.GetButtonCount() - 1)
			}
		}
		a.tv.SetFocus(next)
		return nil
	}
}

func (p *bootDisk) title() string         { return "Boot disk" }
func (p *bootDisk) root() tview.Primitive { return p }
func (p *bootDisk) keys() []action {
	return []action{actTab, actSelect, actBack, actNext, actShell, actQuit}
}

func (p *bootDisk) showDetails(row int) {
	if row >= 1 && row <= len(p.disks) {
		p.info.SetText(details(p.disks[row-1]))
		return
	}
	p.info.SetText("Another block device or image file, typed below: a path such as /dev/sdc, /dev/disk/by-id/... or an image file.")
}

func (p *bootDisk) enter(a *App) {
	p.disks = candidates(a.opts.Facts.Disks)
	fillDiskTable(p.table, p.disks, nil)
	p.table.SetCell(len(p.disks)+1, 0, tview.NewTableCell("").SetTextColor(colText))
	p.table.SetCell(len(p.disks)+1, 1, tview.NewTableCell("Other device...").SetTextColor(colText))
	p.other.SetText(a.fd.Other)
	row := 0
	for i, d := range p.disks {
		if a.fd.BootDisk != "" && (d.Path == a.fd.BootDisk || d.Name == a.fd.BootDisk) {
			row = i + 1
		}
	}
	if row == 0 {
		// A pre-filled path that is not in the list goes to the entry.
		if a.fd.BootDisk != "" && a.fd.Other == "" {
			p.other.SetText(a.fd.BootDisk)
			row = len(p.disks) + 1
		} else if a.fd.Other != "" {
			row = len(p.disks) + 1
		} else {
			for i, d := range p.disks {
				if eligible(d) == "" {
					row = i + 1
					break
				}
			}
		}
	}
	if row == 0 {
		row = 1
	}
	p.table.Select(row, 0)
	p.showDetails(row)
}

func (p *bootDisk) store(a *App) {
	a.fd.Other = strings.TrimSpace(p.other.GetText())
	row, _ := p.table.GetSelection()
	if row >= 1 && row <= len(p.disks) {
		a.fd.BootDisk = p.disks[row-1].Path
	} else {
		a.fd.BootDisk = ""
	}
}

func (p *bootDisk) validate(a *App) []FieldError {
	path := a.fd.BootPath()
	if path == "" {
		return []FieldError{{"Boot disk", "choose a disk, or type a device path under \"Other device\""}}
	}
	d, ok := findDisk(a.opts.Facts.Disks, path)
	if !ok && a.fd.BootDisk == "" {
		if !filepath.IsAbs(path) {
			return []FieldError{{"Other device", fmt.Sprintf("%q: expected an absolute path such as /dev/sdc or /var/tmp/disk.img", path)}}
		}
		if a.opts.Backend.ProbeDisk == nil {
			return []FieldError{{"Other device", fmt.Sprintf("%q is not a disk of this machine", path)}}
		}
		var err error
		d, err = a.opts.Backend.ProbeDisk(path)
		if err != nil {
			return []FieldError{{"Other device", err.Error()}}
		}
		if a.opts.Demo && d.Transport != "file" {
			return []FieldError{{"Other device", fmt.Sprintf("%s is a device: the demo writes image files only", path)}}
		}
		if why := eligible(d); why != "" {
			// Refused: not added to the disks, so never listed again.
			return []FieldError{{"Boot disk", fmt.Sprintf("%s cannot be used: %s", d.Path, why)}}
		}
		// Known from now on, for the plan and the Confirm page.
		a.opts.Facts.Disks = append(a.opts.Facts.Disks, d)
	}
	if why := eligible(d); why != "" {
		return []FieldError{{"Boot disk", fmt.Sprintf("%s cannot be used: %s", d.Path, why)}}
	}
	// The data disks chosen before may not include the new boot disk.
	a.fd.DataDisks = removeStr(a.fd.DataDisks, d.Path)
	return nil
}

func removeStr(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// dataDisks is the Data disks page: mark further disks for data volumes.
type dataDisks struct {
	*tview.Flex
	table  *tview.Table
	info   *tview.TextView
	disks  []storage.Disk
	marked map[string]bool
}

func newDataDisks(a *App) *dataDisks {
	p := &dataDisks{Flex: tview.NewFlex().SetDirection(tview.FlexRow), table: newTable(), info: newText(), marked: map[string]bool{}}
	boxed(p.table.Box, "Use further disks for data? (all their contents are erased)")
	boxed(p.info.Box, "Details")
	p.table.SetSelectionChangedFunc(func(row, _ int) {
		if row >= 1 && row <= len(p.disks) {
			p.info.SetText(details(p.disks[row-1]))
		}
	})
	p.table.SetSelectedFunc(func(row, _ int) { p.toggle(row) })
	p.table.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() == tcell.KeyRune && ev.Rune() == ' ' {
			row, _ := p.table.GetSelection()
			p.toggle(row)
			return nil
		}
		return ev
	})
	p.AddItem(p.table, 0, 3, true).AddItem(p.info, 7, 0, false)
	return p
}

func (p *dataDisks) toggle(row int) {
	if row < 1 || row > len(p.disks) {
		return
	}
	d := p.disks[row-1]
	p.marked[d.Path] = !p.marked[d.Path]
	fillDiskTable(p.table, p.disks, func(d storage.Disk) bool { return p.marked[d.Path] })
}

func (p *dataDisks) title() string         { return "Data disks" }
func (p *dataDisks) root() tview.Primitive { return p }
func (p *dataDisks) keys() []action {
	return []action{actMark, actBack, actNext, actShell, actQuit}
}

func (p *dataDisks) enter(a *App) {
	p.disks = nil
	boot := a.fd.BootPath()
	for _, d := range candidates(a.opts.Facts.Disks) {
		if d.Path != boot && d.Name != boot {
			p.disks = append(p.disks, d)
		}
	}
	p.marked = map[string]bool{}
	for _, s := range a.fd.DataDisks {
		if d, ok := findDisk(p.disks, s); ok {
			p.marked[d.Path] = true
		}
	}
	fillDiskTable(p.table, p.disks, func(d storage.Disk) bool { return p.marked[d.Path] })
	if len(p.disks) == 0 {
		p.info.SetText("No other disk: all volumes go on the boot disk.")
		return
	}
	p.table.Select(1, 0)
	p.info.SetText(details(p.disks[0]))
}

func (p *dataDisks) store(a *App) {
	a.fd.DataDisks = nil
	for _, d := range p.disks {
		if p.marked[d.Path] {
			a.fd.DataDisks = append(a.fd.DataDisks, d.Path)
		}
	}
}

func (p *dataDisks) validate(a *App) []FieldError {
	var errs []FieldError
	for _, s := range a.fd.DataDisks {
		d, _ := findDisk(p.disks, s)
		if why := eligible(d); why != "" {
			errs = append(errs, FieldError{"Data disks", fmt.Sprintf("%s cannot be used: %s", d.Path, why)})
		}
	}
	return errs
}
