package tui

import (
	"node-installer/installer"
)

// PlanFacts is the plan of cfg on facts as the pages show it, made by the
// installer's pure planning (installer.MakePlan): no I/O.
func PlanFacts(cfg installer.Config, facts installer.Facts) PlanView {
	p := installer.MakePlan(cfg, facts)
	pv := PlanView{Text: p.Text(), Layout: p.Layout, Problems: p.Problems, Steps: p.Steps()}
	if p.Wipe != nil {
		pv.Wipe = p.Wipe.Disks
	}
	if p.Uninstall != nil {
		pv.Uninstall = p.Uninstall.Disks
	}
	return pv
}
