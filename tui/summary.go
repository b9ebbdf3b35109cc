package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"node-installer/installer"
	"node-installer/storage"
)

// summaryText is the Option/Value table at the top of the Confirm page:
// what the admin chose, in words, before the full plan.
func summaryText(fd FormData, pv PlanView, facts installer.Facts, media MediaInfo) string {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	ver := orDefault(media.Version, "this media's version")
	switch fd.Choice {
	case ChoiceUpgrade, ChoiceDowngrade, ChoiceRepair:
		name := map[Choice]string{ChoiceUpgrade: "Upgrade to ", ChoiceDowngrade: "Downgrade to ", ChoiceRepair: "Repair: "}[fd.Choice]
		add("Action", name+ver+", into the spare slot")
		if f := detect(facts.Disks); len(f) > 0 {
			add("Disk", fmt.Sprintf("%s (%s): %s", f[0].Disk.Name, f[0].Disk.Path, describe(f[0].Disk)))
		}
		add("Kept", "Config, Logging, VM storage (Data), the network and the passwords")
		return table(rows)
	case ChoiceUninstall:
		add("Action", "Uninstall")
		for _, d := range pv.Uninstall {
			if pd, ok := findDisk(facts.Disks, d.Path); ok {
				d = pd
			}
			add("CLEARED", fmt.Sprintf("%s (%s, %s) - loses %s", d.Name, d.Path, humanSize(d.Size), describe(d)))
			if v := vmStorage(d); v != "" {
				add("LOST", v)
			}
		}
		return table(rows)
	}
	action := "Install " + ver
	if fd.Choice == ChoiceReinstall {
		action = "Reinstall " + ver + " (the old installation is erased)"
	}
	add("Action", action)
	seen := map[string]bool{}
	for _, dl := range pv.Layout.Disks {
		d := dl.Disk
		if pd, ok := findDisk(facts.Disks, d.Path); ok {
			d = pd
		}
		seen[d.Path] = true
		what := []string{d.Path, humanSize(d.Size)}
		if m := strings.TrimSpace(d.Vendor + " " + d.Model); m != "" {
			what = append(what, m)
		}
		add("ERASED", fmt.Sprintf("%s (%s, %s disk) - it holds %s", d.Name, strings.Join(what, ", "), dl.Role, describe(d)))
		if v := vmStorage(d); v != "" {
			add("LOST", v)
		}
	}
	for _, d := range pv.Wipe {
		if !seen[d.Path] {
			add("WIPED", fmt.Sprintf("%s (%s) - it holds %s", d.Name, d.Path, describe(d)))
			if v := vmStorage(d); v != "" {
				add("LOST", v)
			}
		}
	}
	for _, dl := range pv.Layout.Disks {
		var parts []string
		ss := int64(max(dl.SectorSize, 512))
		for _, p := range dl.Partitions {
			parts = append(parts, fmt.Sprintf("%s %s", p.Name, humanSize(int64(p.Size)*ss)))
		}
		add("Layout", dl.Disk.Name+": "+strings.Join(parts, ", "))
	}
	add("Management", networkSummary(fd))
	add("Hostname", orDefault(fd.Hostname, "none (from DHCP, or set later)"))
	add("Keyboard", orDefault(fd.Keyboard, "us"))
	switch {
	case fd.Password != "":
		add("Admin password", "set (typed here)")
	case fd.PresetHash != "":
		add("Admin password", "set (a hash from the kernel command line or answer file)")
	default:
		add("Admin password", "NOT set")
	}
	return table(rows)
}

// vmStorage names the VM storage (Data volumes) a disk holds, which an
// erase loses: "", when it holds none.
func vmStorage(d storage.Disk) string {
	var vs []string
	for _, p := range d.Partitions {
		if strings.HasPrefix(p.PartLabel, "Data") || p.Label == "node-data" {
			vs = append(vs, fmt.Sprintf("%s %s", orDefault(p.PartLabel, p.Label), humanSize(p.Size)))
		}
	}
	if len(vs) == 0 {
		return ""
	}
	return "the VM storage on " + d.Name + ": " + strings.Join(vs, ", ")
}

// networkSummary is the management network in one line.
func networkSummary(fd FormData) string {
	nic := fd.NIC
	if fd.Bond {
		nic = fmt.Sprintf("%s (bond of %s)", orDefault(fd.BondName, "bond0"), strings.Join(fd.BondNICs, ", "))
	}
	if nic == "" {
		return "none (configured later from the console)"
	}
	v4 := orDefault(fd.IPv4Mode, "dhcp")
	if v4 == "static" {
		v4 = fd.IPv4Addr
		if fd.IPv4GW != "" {
			v4 += " via " + fd.IPv4GW
		}
	}
	v6 := orDefault(fd.IPv6Mode, "auto")
	if v6 == "static" {
		v6 = fd.IPv6Addr
	}
	s := fmt.Sprintf("%s, IPv4 %s, IPv6 %s", nic, v4, v6)
	if fd.VLAN != "" {
		s += ", VLAN " + fd.VLAN
	}
	return s
}

// table renders rows as "Option  Value" lines, the value escaped.
func table(rows [][2]string) string {
	w := 0
	for _, r := range rows {
		w = max(w, len(r[0]))
	}
	var b strings.Builder
	for _, r := range rows {
		key := fmt.Sprintf("%-*s", w, r[0])
		if r[0] == "ERASED" || r[0] == "WIPED" || r[0] == "LOST" || r[0] == "CLEARED" {
			key = "[yellow::b]" + key + "[-::-]"
		}
		fmt.Fprintf(&b, "%s  %s\n", key, tview.Escape(r[1]))
	}
	return b.String()
}
