package tui

import (
	"fmt"
	"strings"

	"node-installer/installer"
	"node-installer/network"
	"node-installer/storage"
)

// PlanFacts is the plan of cfg on facts, made by the installer's pure
// planning functions (disk choice, layout, network plan): no I/O.
func PlanFacts(cfg installer.Config, facts installer.Facts) PlanView {
	var pv PlanView
	var b strings.Builder
	add := func(field, arg string, err error) {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				pv.Problems = append(pv.Problems, installer.Problem{Field: field, Arg: arg, Msg: line})
			}
		}
	}
	switch cfg.Action {
	case installer.ActionUpgrade:
		fmt.Fprintf(&b, "Upgrade: the media's image is written to the spare slot, then made the default boot entry.\n")
	case installer.ActionUninstall:
		fmt.Fprintf(&b, "Uninstall: the installation's partitions, signatures and boot entries are removed.\n")
	default:
		disks := append([]storage.Disk(nil), facts.Disks...)
		storage.SortDisks(disks)
		choice, err := storage.Choose(cfg.Storage, disks)
		if err != nil {
			add("storage.disks", "", err)
			break
		}
		pv.Layout, err = storage.PlanLayout(cfg.Storage, choice, facts.MemBytes)
		if err != nil {
			add("storage.volumes", "", err)
		}
		for _, c := range choice.Candidates {
			if c.Chosen {
				fmt.Fprintf(&b, "Disk %s: %s\n", c.Disk.Name, c.Reason)
			}
		}
		if len(facts.NICs) > 0 {
			np, err := network.MakePlan(cfg.Network, facts.NICs)
			if err != nil {
				add("network", "", err)
			} else {
				b.WriteString(np.Text())
			}
		}
	}
	pv.Text = b.String()
	return pv
}
