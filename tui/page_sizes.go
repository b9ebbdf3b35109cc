package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/storage"
)

// sizes is the Storage sizes page: one field per volume and the oVirt
// arithmetic of the boot disk, recomputed on every keystroke.
type sizes struct {
	*tview.Flex
	form   *tview.Form
	fields map[storage.Vol]*tview.InputField
	fill   *tview.Checkbox
	calc   *tview.TextView
	app    *App
	live   bool // false while enter() fills the fields
}

var volHelp = map[storage.Vol]string{
	storage.VolEFI:     "EFI (MiB)",
	storage.VolRoot:    "Root, each slot",
	storage.VolConfig:  "Config",
	storage.VolLogging: "Logging",
	storage.VolSwap:    "Swap",
	storage.VolData:    "Data",
}

func newSizes(a *App) *sizes {
	p := &sizes{Flex: tview.NewFlex(), form: newForm(), fields: map[storage.Vol]*tview.InputField{}, calc: newText(), app: a}
	for _, v := range editVols {
		f := tview.NewInputField().SetLabel(fmt.Sprintf("%-16s", volHelp[v])).SetFieldWidth(9).SetPlaceholder("default")
		f.SetFieldStyle(fieldStyle())
		f.SetPlaceholderStyle(fieldStyle().Foreground(colBG))
		f.SetChangedFunc(func(text string) {
			if v == storage.VolData && strings.TrimSpace(text) != "" {
				p.fill.SetChecked(false) // a typed Data size wins over "fill"
			}
			p.recalc()
		})
		p.fields[v] = f
		p.form.AddFormItem(f)
	}
	p.fill = tview.NewCheckbox().SetLabel("Fill rest with Data ").SetChecked(true)
	p.fill.SetFieldBackgroundColor(colField).SetFieldTextColor(colFieldFG)
	p.fill.SetChangedFunc(func(bool) { p.recalc() })
	p.form.AddFormItem(p.fill)
	p.form.AddButton("Back", a.back).AddButton("Next", a.next)
	p.form.SetCancelFunc(a.confirmQuit)
	p.form.SetBorderPadding(0, 0, 1, 1)
	boxed(p.form.Box, "Sizes in MiB")
	boxed(p.calc.Box, "Boot disk")
	help := newText().SetText("Empty = default, 0 = none, -1 = the rest of the disk. 4G means 4096.")
	p.AddItem(tview.NewFlex().SetDirection(tview.FlexRow).AddItem(p.form, 0, 1, true).AddItem(help, 3, 0, false), 38, 0, true).
		AddItem(p.calc, 0, 1, false)
	return p
}

func (p *sizes) title() string         { return "Storage sizes" }
func (p *sizes) root() tview.Primitive { return p }
func (p *sizes) keys() []action {
	return []action{actTab, actBack, actNext, actShell, actQuit}
}

func (p *sizes) enter(a *App) {
	p.live = false
	for v, f := range p.fields {
		f.SetText(a.fd.Vols[v])
	}
	p.fill.SetChecked(a.fd.FillData || a.fd.Vols[storage.VolData] == "")
	p.live = true
	p.recalc()
}

func (p *sizes) store(a *App) {
	if a.fd.Vols == nil {
		a.fd.Vols = map[storage.Vol]string{}
	}
	for v, f := range p.fields {
		a.fd.Vols[v] = strings.TrimSpace(f.GetText())
	}
	a.fd.FillData = p.fill.IsChecked()
}

// storageProblems are the plan's problems about storage.
func storageProblems(ps installer.Problems) []FieldError {
	var out []FieldError
	for _, pr := range ps {
		if strings.HasPrefix(pr.Field, "storage") || pr.Field == "" {
			out = append(out, problemError(pr))
		}
	}
	return out
}

// plan returns the plan of the form as it is now, with the form's own errors.
func (a *App) planNow() (PlanView, []FieldError) {
	cfg, errs := a.fd.ToConfig(a.opts.Config, a.fd.PresetHash)
	if a.opts.Backend.Plan == nil {
		return PlanView{}, errs
	}
	return a.opts.Backend.Plan(cfg, a.opts.Facts), errs
}

func (p *sizes) validate(a *App) []FieldError {
	_, errs := a.fd.ParseVolumes()
	if len(errs) > 0 {
		return errs
	}
	pv, _ := a.planNow()
	return storageProblems(pv.Problems)
}

// recalc redraws the arithmetic from the fields as typed.
func (p *sizes) recalc() {
	if !p.live {
		return
	}
	a := p.app
	p.store(a)
	// Not SetDisabled: tview moves the focus of a form whose item is disabled.
	if p.fill.IsChecked() {
		p.fields[storage.VolData].SetPlaceholder("the rest")
	} else {
		p.fields[storage.VolData].SetPlaceholder("default")
	}
	_, ferrs := a.fd.ParseVolumes()
	var b strings.Builder
	if len(ferrs) > 0 {
		for _, e := range ferrs {
			fmt.Fprintf(&b, "[red]%s[-]\n", tview.Escape(e.String()))
		}
		p.calc.SetText(b.String())
		return
	}
	pv, _ := a.planNow()
	b.WriteString(layoutText(pv.Layout, a.opts.Facts.MemBytes, a.opts.Config.Storage.MemOvercommit))
	for _, e := range storageProblems(pv.Problems) {
		fmt.Fprintf(&b, "[red]%s[-]\n", tview.Escape(e.String()))
	}
	p.calc.SetText(b.String())
}

// layoutText is the arithmetic of a layout: drive size, each volume, free space.
func layoutText(l storage.Layout, mem int64, overcommit float64) string {
	var b strings.Builder
	for _, dl := range l.Disks {
		ss := int64(dl.SectorSize)
		if ss == 0 {
			ss = 512
		}
		fmt.Fprintf(&b, "[::b]%s[::-] %s (%s disk)\n", tview.Escape(dl.Disk.Name), humanSize(dl.Disk.Size), dl.Role)
		var used int64
		for _, pp := range dl.Partitions {
			sz := int64(pp.Size) * ss
			used += sz
			fmt.Fprintf(&b, "  %-8s %9d MiB  %s\n", pp.Name, sz>>20, pp.Content)
		}
		free := dl.Disk.Size - used
		fmt.Fprintf(&b, "  %-8s %9d MiB\n  %-8s %9d MiB\n", "used", used>>20, "free", free>>20)
	}
	if len(l.Disks) > 0 && mem > 0 {
		fmt.Fprintf(&b, "Default swap for %s RAM: %d MiB\n", humanSize(mem), storage.SwapMiB(mem, overcommit))
	}
	return b.String()
}
