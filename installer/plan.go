package installer

import (
	"errors"
	"fmt"
	"node-installer/installer/media"
	"slices"
	"strings"

	"node-installer/internal/crypthash"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
)

// Plan is exactly what a run would do with a Config on a machine: the
// disks chosen (and why every other one was not), the partition tables,
// the network, the boot parameters passed through, and every problem.
// MakePlan makes it without I/O; `node-installer plan` prints it.
type Plan struct {
	Action Action `json:"action"`
	// Config is the effective Config, secrets masked.
	Config   Config `json:"config"`
	Machine  string `json:"machine,omitempty"` // profile name, when the facts are recorded
	Firmware string `json:"firmware"`
	MemBytes int64  `json:"mem_bytes"`
	// Choice is every disk considered and the reason it was chosen or not.
	Choice storage.Choice `json:"choice"`
	// Layout is the partition tables to write (install and reinstall).
	Layout storage.Layout `json:"layout"`
	// Wipe is the disk set a reinstall wipes; Uninstall the set an
	// uninstall clears. Nil for the other actions.
	Wipe      *DiskSet `json:"wipe,omitempty"`
	Uninstall *DiskSet `json:"uninstall,omitempty"`
	// Upgrade is the disk an upgrade writes its inactive slot on.
	Upgrade *storage.Disk `json:"upgrade,omitempty"`
	// Halt is the disk whose installation stops the run under
	// node.halt_if_installed: the run writes nothing and exits 7.
	Halt    string       `json:"halt_if_installed,omitempty"`
	Network network.Plan `json:"network"`
	// Media is the bundle planned with (product, version), nil when the
	// plan was made without reading it.
	Media *PlanMedia `json:"media,omitempty"`
	// BootParams are the kernel arguments passed to the installed system.
	BootParams []string `json:"boot_params,omitempty"`
	// Dropped are the kernel arguments read and not passed through.
	Dropped []Dropped `json:"dropped_params,omitempty"`
	// Notes say what the action does beyond the tables, for humans.
	Notes []string `json:"notes,omitempty"`
	// Warnings are what a run does but should not have to: a weak
	// password hash, for one. They do not stop a run.
	Warnings []string `json:"warnings,omitempty"`
	// Problems are the validation and planning problems: with any, an
	// unattended run writes nothing.
	Problems Problems `json:"problems,omitempty"`
}

// OK tells whether the plan has no problem.
func (p Plan) OK() bool { return len(p.Problems) == 0 }

// MakePlan plans cfg on the machine described by facts. It is pure: no
// I/O, the same answer for the same input.
func MakePlan(cfg Config, facts Facts) Plan {
	p := Plan{
		Action: cfg.Action, Config: maskSecrets(cfg), Machine: facts.Name,
		Firmware: facts.Firmware, MemBytes: facts.MemBytes, BootParams: cfg.BootParams, Dropped: cfg.Dropped,
	}
	p.Problems = append(p.Problems, cfg.Validate()...)
	p.Warnings = append(p.Warnings, hashWarnings(cfg)...)
	p.Warnings = append(p.Warnings, cfg.Overridden...)
	p.Warnings = append(p.Warnings, HostWarnings(facts)...)
	for _, d := range facts.Disks {
		for _, n := range d.Notes { // what the probe left unread
			p.Warnings = append(p.Warnings, fmt.Sprintf("disk %s: %s", d.Path, n))
		}
	}
	disks := slices.Clone(facts.Disks)
	storage.SortDisks(disks)
	spec := diskSpec(cfg)
	if cfg.Action == ActionReinstall {
		spec.AllowNonEmpty = true // reinstall wipes whatever the named disks hold
	}
	switch cfg.Action {
	case ActionInstall, ActionReinstall:
		p.planInstall(cfg, spec, facts, disks)
	case ActionUpgrade:
		p.planUpgrade(cfg, facts, disks)
	case ActionUninstall:
		set := PlanUninstallSet(cfg.Storage, disks)
		p.Uninstall = &set
		p.Problems = append(p.Problems, set.Problems...)
		p.Notes = append(p.Notes, "uninstall: removes this product's partitions, signatures and partition table from the disks below, and its EFI boot entry; an unattended run then does what node.after= says (reboot by default), the TUI asks")
		p.Choice = setChoice(set, disks)
	default:
		p.planInteractive(spec, facts, disks)
	}
	np, err := network.MakePlan(cfg.Network, facts.NICs)
	p.Network = np
	p.Problems = append(p.Problems, withoutRestated(problemsOf(err, "network", ""), p.Problems)...)
	if m := facts.Media; m != nil {
		root, _ := m.File(media.RoleRootfs)
		p.Media = &PlanMedia{Product: m.Product, Version: MediaVersion(*m), RootfsBytes: root.Size}
		p.Problems = append(p.Problems, fitProblems(&p, *m)...)
	}
	return p
}

// withoutRestated drops the network planner's problems of an argument
// value the validation already reported (both check a bond's slaves and
// options, BOOTIF=bondN, a VLAN on a slave...): each is printed once.
func withoutRestated(net, known Problems) Problems {
	var out Problems
	for _, n := range net {
		dup := false
		for _, k := range known {
			dup = dup || n.Arg != "" && k.Arg == n.Arg && k.Value == n.Value
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}

// PlanMedia is what the plan knows of the media bundle.
type PlanMedia struct {
	Product     string `json:"product"`
	Version     string `json:"version"`
	RootfsBytes int64  `json:"rootfs_bytes"`
}

// setChoice shows a disk set (uninstall) as the disks considered.
func setChoice(set DiskSet, disks []storage.Disk) storage.Choice {
	var ch storage.Choice
	for _, d := range disks {
		c := storage.Candidate{Disk: d}
		if why, ok := set.Why[d.Path]; ok {
			c.Chosen, c.Role, c.Reason = true, "data", "chosen: "+why
			ch.Data = append(ch.Data, d)
		} else {
			c.Reason = "left alone: " + set.Skipped[d.Path]
		}
		ch.Candidates = append(ch.Candidates, c)
	}
	return ch
}

// hashWarnings names each password whose hash is of a weak crypt(3)
// scheme (DES, MD5...), which is accepted as oVirt accepted it, and
// says how to replace it. The hash itself is never shown.
func hashWarnings(cfg Config) []string {
	var ws []string
	for _, pw := range []struct{ field, hash string }{{"host.adminpw", cfg.Host.AdminPW}, {"host.rootpw", cfg.Host.RootPW}} {
		s, ok := crypthash.Identify(pw.hash)
		if !ok || !s.Weak {
			continue
		}
		name := pw.field
		if o, ok := cfg.Origins[pw.field]; ok && o.Arg != "" {
			name += " (" + o.Arg + ")"
		}
		ws = append(ws, fmt.Sprintf("%s: the password hash is %s, a weak scheme: %s", name, s.Name, crypthash.WeakAdvice))
	}
	return ws
}

// maskSecrets is the Config as a plan shows it: MaskedConfig, without
// the origins (the plan lists problems with their arguments already).
func maskSecrets(cfg Config) Config {
	cfg = MaskedConfig(cfg)
	cfg.Origins = nil
	return cfg
}

func (p *Plan) planInstall(cfg Config, spec storage.Spec, facts Facts, disks []storage.Disk) {
	if facts.Firmware == "bios" {
		p.Problems = append(p.Problems, Problem{Field: "firmware", Msg: "this machine boots in legacy BIOS mode; the node boots with systemd-boot and needs UEFI: switch the firmware to UEFI boot"})
	}
	if cfg.Unattended.HaltIfInstalled {
		for _, d := range disks {
			if d.Installation != nil && !d.BootMedia {
				p.Notes = append(p.Notes, fmt.Sprintf("node.halt_if_installed: %s holds an installation: the run stops here and writes nothing", d.Path))
				p.Halt = d.Path
				p.Choice, _ = storage.Choose(storage.Spec{}, disks)
				return
			}
		}
	}
	ch, err := storage.Choose(spec, disks)
	p.Choice = ch
	p.Problems = append(p.Problems, problemsOf(err, "storage.disks", "storage_init")...)
	if cfg.Action == ActionInstall && ch.HasBoot() {
		p.Problems = append(p.Problems, secondInstallation(ch, disks)...)
	}
	sizesBad := slices.ContainsFunc(p.Problems, func(pr Problem) bool { return strings.HasPrefix(pr.Field, "storage.volumes") })
	if ch.HasBoot() && !sizesBad { // bad storage_vol values are reported once, by Validate
		l, err := storage.PlanLayout(spec, ch, facts.MemBytes)
		if err == nil {
			p.Layout = l // a layout with problems is never shown as if it could be written
		}
		p.Problems = append(p.Problems, problemsOf(err, "storage.layout", "")...)
	}
	if cfg.Action == ActionReinstall {
		set := PlanWipeSet(ch, disks)
		p.Wipe = &set
		p.Problems = append(p.Problems, set.Problems...)
		p.Notes = append(p.Notes, "reinstall: every disk in the wipe set loses all its data")
	}
}

// secondInstallation refuses a plain install beside an installation of
// this product on another disk: the machine would hold two, each with
// an ESP, one firmware entry between them, and a PXE line that installs
// on every boot would fill one disk after the other. reinstall replaces
// the old one; upgrade keeps it.
func secondInstallation(ch storage.Choice, disks []storage.Disk) Problems {
	var ps Problems
	for _, d := range disks {
		if d.Installation == nil || d.BootMedia || d.Path == ch.Boot.Path {
			continue
		}
		ps = append(ps, Problem{Field: "storage.disks", Arg: "storage_init",
			Msg: fmt.Sprintf("%s already holds an installation of this product: a second one on %s is refused; give reinstall to erase it and install fresh, or upgrade to keep it", d.Path, ch.Boot.Path)})
	}
	return ps
}

func (p *Plan) planUpgrade(cfg Config, facts Facts, disks []storage.Disk) {
	if facts.Firmware == "bios" {
		p.Problems = append(p.Problems, Problem{Field: "firmware", Msg: "this machine boots in legacy BIOS mode; the node boots with systemd-boot and needs UEFI"})
	}
	refs := append(slices.Clone(cfg.Storage.Disks), cfg.Storage.AppDisks...)
	var found []storage.Disk
	for i, d := range disks {
		named := len(refs) == 0 || slices.ContainsFunc(refs, func(r storage.DiskRef) bool { return RefNames(r, d) })
		why := ""
		switch {
		case d.BootMedia:
			why = "not chosen: boot media"
		case d.Installation == nil:
			why = "not chosen: holds no installation"
		case !named:
			why = "not chosen: holds an installation, but storage_init does not name it"
		default:
			found = append(found, d)
			why = "holds the installation to upgrade"
		}
		p.Choice.Candidates = append(p.Choice.Candidates, storage.Candidate{Disk: disks[i], Reason: why})
	}
	switch len(found) {
	case 0:
		p.Problems = append(p.Problems, Problem{Field: "storage.disks", Arg: "upgrade", Msg: "no disk holds an installation to upgrade"})
		return
	case 1:
	default:
		var names []string
		for _, d := range found {
			names = append(names, d.Path)
		}
		p.Problems = append(p.Problems, Problem{Field: "storage.disks", Arg: "upgrade", Msg: "several disks hold an installation (" + strings.Join(names, ", ") + "): name the one to upgrade with storage_init"})
		return
	}
	d := found[0]
	p.Upgrade = &d
	p.Choice.Boot = d
	for i := range p.Choice.Candidates {
		if p.Choice.Candidates[i].Disk.Path == d.Path {
			p.Choice.Candidates[i].Chosen, p.Choice.Candidates[i].Role = true, "boot"
			p.Choice.Candidates[i].Reason = "chosen: holds the installation to upgrade"
		}
	}
	note := "upgrade " + d.Path + ": the media's image goes into the inactive slot, Config, Logging and Data are kept, the current slot stays as the fallback"
	for _, s := range d.Installation.Slots {
		if s.Default {
			note += fmt.Sprintf("; slot %s (version %s) is the default now, slot %s gets the new version", s.Name, orUnknown(s.Version), OtherSlot(s.Name))
		}
	}
	p.Notes = append(p.Notes, note+"; versions are checked against the ESP at run time")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (p *Plan) planInteractive(spec storage.Spec, facts Facts, disks []storage.Disk) {
	p.Notes = append(p.Notes, "interactive: the installer TUI starts; nothing is written before the admin confirms")
	ch, err := storage.Choose(spec, disks)
	p.Choice = ch
	if err != nil {
		p.Notes = append(p.Notes, "the TUI asks for the disks: "+oneLine(err))
	} else if ch.HasBoot() {
		if l, err := storage.PlanLayout(spec, ch, facts.MemBytes); err == nil {
			p.Layout = l
			p.Notes = append(p.Notes, "the TUI starts with this layout pre-filled")
		} else {
			p.Notes = append(p.Notes, "the TUI asks for the sizes: "+oneLine(err))
		}
	}
}

// oneLine is an error without the candidate lists (the plan shows them).
func oneLine(err error) string {
	var msgs []string
	for _, e := range unjoin(err) {
		var ce *storage.ChoiceError
		if errors.As(e, &ce) {
			msgs = append(msgs, (&storage.ChoiceError{Arg: ce.Arg, Value: ce.Value, Msg: ce.Msg}).Error())
			continue
		}
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// problemsOf turns a (joined) planning error into Problems. A choice
// error keeps its argument and value; its candidates are in the plan.
func problemsOf(err error, field, arg string) Problems {
	var ps Problems
	for _, e := range unjoin(err) {
		var ce *storage.ChoiceError
		if errors.As(e, &ce) {
			ps = append(ps, Problem{Field: field, Arg: ce.Arg, Value: ce.Value, Msg: ce.Msg})
			continue
		}
		var ae *network.ArgError
		if errors.As(e, &ae) {
			ps = append(ps, Problem{Field: field, Arg: ae.Arg, Value: event.Redact(ae.Value), Msg: ae.Msg})
			continue
		}
		msg := e.Error()
		a := arg
		if rest, ok := strings.CutPrefix(msg, "storage_vol: "); ok {
			a, msg = "storage_vol", rest
		}
		ps = append(ps, Problem{Field: field, Arg: a, Msg: msg})
	}
	return ps
}
