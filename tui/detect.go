package tui

import (
	"fmt"
	"strings"

	"node-installer/installer"
	"node-installer/storage"
)

// found is an installation of this product detected on a disk.
type found struct {
	Disk        storage.Disk
	Version     string // of the default slot ("" unknown)
	NotFinished bool
}

// option is one line of the Welcome page.
type option struct {
	Choice Choice
	Label  string
	Help   string
}

// detect lists the installations on disks (boot media excluded).
func detect(disks []storage.Disk) []found {
	var out []found
	for _, d := range disks {
		if d.BootMedia || d.Installation == nil {
			continue
		}
		f := found{Disk: d, NotFinished: d.Installation.NotFinished}
		for _, s := range d.Installation.Slots {
			if s.Default || f.Version == "" {
				f.Version = s.Version
			}
		}
		out = append(out, f)
	}
	return out
}

// options are the Welcome page's choices for what was detected, the
// recommended one first.
func options(inst []found, media MediaInfo) []option {
	if len(inst) == 0 {
		return []option{{ChoiceInstall, "Install " + media.Version, "Install on a disk of this machine. The disks you choose are erased."}}
	}
	f := inst[0]
	on := fmt.Sprintf("%s (%s)", f.Disk.Name, f.Disk.Path)
	var first option
	d := installer.ClassifyVersions(f.Version, media.Version)
	switch {
	case f.NotFinished:
		first = option{ChoiceReinstall, "Reinstall " + media.Version, "The last install or upgrade on " + f.Disk.Name + " did not finish: erase, install fresh."}
	case d.Change == installer.ChangeUpgrade:
		first = option{ChoiceUpgrade, fmt.Sprintf("Upgrade %s -> %s", f.Version, media.Version), "New version into the spare slot; data, settings and fallback are kept."}
	case d.Change == installer.ChangeDowngrade:
		first = option{ChoiceDowngrade, fmt.Sprintf("Downgrade %s -> %s", f.Version, media.Version), "The media is OLDER than the installed version; data is kept."}
	case d.Change == installer.ChangeSame:
		first = option{ChoiceRepair, "Repair " + f.Version, "Rewrite the installed image; data and settings are kept."}
	default:
		// Refused in place (skipped or older major, unknown version): only
		// a wipe-reinstall can go there; say why.
		first = option{ChoiceReinstall, "Reinstall " + media.Version, "Erase and install fresh: no in-place change is possible (see above)."}
	}
	out := []option{first}
	if first.Choice != ChoiceReinstall {
		out = append(out, option{ChoiceReinstall, "Reinstall " + media.Version, "Erase " + on + " and install fresh: ALL DATA IS LOST."})
	}
	out = append(out, option{ChoiceUninstall, "Uninstall", "Remove this product's partitions, signatures and boot entries."})
	return out
}

// describe says in words what disk d holds now (Confirm page, details).
func describe(d storage.Disk) string {
	if d.Installation != nil {
		var vs []string
		for _, s := range d.Installation.Slots {
			if s.Version != "" {
				vs = append(vs, fmt.Sprintf("slot %s: %s", s.Name, s.Version))
			}
		}
		prod := d.Installation.Product
		if prod == "" {
			prod = "node"
		}
		s := "a " + prod + " installation"
		if len(vs) > 0 {
			s += " (" + strings.Join(vs, ", ") + ")"
		}
		if d.Installation.NotFinished {
			s += ", not finished"
		}
		return s
	}
	if d.ReadError != "" {
		return "unknown contents: the disk could not be read (" + d.ReadError + ")"
	}
	if d.Signature != "" {
		return "a whole-disk " + d.Signature + " filesystem"
	}
	if len(d.Partitions) == 0 {
		if d.Table != "" {
			return "an empty " + strings.ToUpper(d.Table) + " partition table"
		}
		return "nothing (no partition table found)"
	}
	var parts []string
	for _, p := range d.Partitions {
		s := humanSize(p.Size)
		if p.FSType != "" {
			s += " " + p.FSType
		}
		if p.Label != "" {
			s += " \"" + p.Label + "\""
		} else if p.PartLabel != "" {
			s += " \"" + p.PartLabel + "\""
		}
		if p.Mounted != "" {
			s += " mounted at " + p.Mounted
		}
		parts = append(parts, s)
	}
	table := strings.ToUpper(d.Table)
	if table == "" {
		table = "a"
	}
	return fmt.Sprintf("%s partition table with %d partition(s): %s", table, len(d.Partitions), strings.Join(parts, ", "))
}

// humanSize prints bytes in binary units, as disk tools do.
func humanSize(b int64) string {
	const k = 1024
	switch {
	case b >= k*k*k*k:
		return fmt.Sprintf("%.1f TiB", float64(b)/(k*k*k*k))
	case b >= k*k*k:
		return fmt.Sprintf("%.1f GiB", float64(b)/(k*k*k))
	case b >= k*k:
		return fmt.Sprintf("%d MiB", b/(k*k))
	default:
		return fmt.Sprintf("%d B", b)
	}
}

// eligible says why d cannot be installed on ("" = it can).
func eligible(d storage.Disk) string {
	if why := storage.Unwritable(d); why != "" {
		return why // the planner's own rule
	}
	switch {
	case len(d.Holders) > 0:
		return "it is part of " + strings.Join(d.Holders, ", ")
	case d.Size < 1<<30:
		return "it is smaller than 1 GiB"
	}
	return ""
}
