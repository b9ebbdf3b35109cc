package storage

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Candidate is one probed disk as the choice saw it.
type Candidate struct {
	Disk   Disk   `json:"disk"`
	Chosen bool   `json:"chosen"`
	Role   string `json:"role,omitempty"` // "boot" or "data" when chosen
	Reason string `json:"reason"`         // why it was chosen or not, for humans
}

// Choice is the outcome of Choose: the boot disk, the extra data disks,
// and every probed disk with the reason it was taken or not.
type Choice struct {
	Boot       Disk        `json:"boot"`
	Data       []Disk      `json:"data,omitempty"`
	Candidates []Candidate `json:"candidates"`
}

// HasBoot tells whether a boot disk was chosen.
func (c Choice) HasBoot() bool { return c.Boot.Path != "" }

// ChoiceError is a disk choice that failed; it names the kernel argument
// and lists every candidate with the reason it did not fit.
type ChoiceError struct {
	Arg        string // "storage_init" or "node.disk"
	Value      string
	Msg        string
	Candidates []Candidate
}

func (e *ChoiceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Arg)
	if e.Value != "" {
		fmt.Fprintf(&b, "=%s", e.Value)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	if len(e.Candidates) > 0 {
		b.WriteString("; candidates:")
		for _, c := range e.Candidates {
			fmt.Fprintf(&b, "\n  %s: %s", c.Disk.Name, c.Reason)
		}
	}
	return b.String()
}

// Minimum sizes in MiB below which a volume is useless (ESP: FAT32 needs
// 65525 clusters, so 260 MiB with 4096-byte sectors).
const (
	minESP512  = 128
	minESP4K   = 260
	minRoot    = 1024
	minConfig  = 5 // oVirt Node's Config volume was 5 MiB: PXE lines still say so
	minLogging = 64
	minData    = 256
	// layoutOverheadMiB covers the 1 MiB alignment gap at the start and
	// the backup GPT at the end.
	layoutOverheadMiB = 2
)

// MinBootDiskMiB is the smallest boot disk the spec can fit, without the
// swap formula (which needs the RAM size): PlanLayout reports the exact
// shortfall.
func MinBootDiskMiB(spec Spec, sectorSize int) int64 {
	total := int64(layoutOverheadMiB)
	for _, v := range []Vol{VolEFI, VolRoot, VolConfig, VolLogging, VolSwap, VolData} {
		n, set := spec.Volumes[v]
		switch {
		case !set && v == VolSwap:
			n = 0 // the swap formula needs the RAM size: PlanLayout checks it
		case !set:
			n = defaultMiB(v, 0, 0)
		}
		switch {
		case n == -1:
			n = minMiB(v, sectorSize)
		case n < 0:
			n = 0
		}
		if v == VolRoot {
			n *= 2
		}
		total += n
	}
	return total
}

// MinDataDiskMiB is the smallest extra data disk the spec can fit.
func MinDataDiskMiB(spec Spec) int64 {
	total := int64(layoutOverheadMiB)
	if n := spec.Volumes[VolSwap2]; n > 0 {
		total += n
	}
	switch n, set := spec.Volumes[VolData2]; {
	case !set || n == -1:
		total += minData
	case n > 0:
		total += n
	}
	return total
}

// Choose resolves storage_init and node.disk to exact disks: the boot
// disk and the extra data disks. Every disk gets a reason. It fails when
// a named disk is missing or not usable, or when a choice is ambiguous.
// Disks must be in the stable order of SortDisks.
func Choose(spec Spec, disks []Disk) (Choice, error) {
	c := &chooser{spec: spec, disks: disks, reason: make([]string, len(disks)), role: make([]string, len(disks))}
	var errs []error
	switch {
	case len(spec.Disks) > 0 && len(spec.Selectors) > 0:
		errs = append(errs, &ChoiceError{Arg: "node.disk", Msg: "storage_init names the disks already; give either storage_init=DISKS or node.disk"})
	case len(spec.Disks) > 0:
		errs = append(errs, c.resolveRefs("storage_init", spec.Disks, "boot")...)
	case len(spec.Selectors) > 0:
		if err := c.selectors(); err != nil {
			errs = append(errs, err)
		}
	case spec.Init:
		if err := c.firstEligible(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.resolveRefs("storage_init", spec.AppDisks, "data")...)
	ch := c.result()
	for _, err := range errs {
		var ce *ChoiceError
		if errors.As(err, &ce) {
			ce.Candidates = ch.Candidates
		}
	}
	return ch, errors.Join(errs...)
}

// chooser holds the state of one Choose call.
type chooser struct {
	spec   Spec
	disks  []Disk
	order  []int    // chosen disk indices, boot first
	role   []string // "boot" / "data" per disk, "" when not chosen
	reason []string // per disk
}

func (c *chooser) take(i int, role, why string) {
	if c.role[i] != "" {
		return // already chosen (named twice)
	}
	if role == "boot" && len(c.order) > 0 && c.role[c.order[0]] == "boot" {
		role = "data" // further storage_init disks hold extra data volumes
		why += " (extra disk: data volumes)"
	}
	c.role[i] = role
	c.reason[i] = "chosen as " + role + " disk: " + why
	c.order = append(c.order, i)
}

func (c *chooser) note(i int, why string) {
	if c.role[i] == "" && c.reason[i] == "" {
		c.reason[i] = why
	}
}

func (c *chooser) result() Choice {
	var ch Choice
	for _, i := range c.order {
		if c.role[i] == "boot" {
			ch.Boot = c.disks[i]
		} else {
			ch.Data = append(ch.Data, c.disks[i])
		}
	}
	asked := c.spec.Init || len(c.spec.Disks) > 0 || len(c.spec.Selectors) > 0 || len(c.spec.AppDisks) > 0
	for i, d := range c.disks {
		r := c.reason[i]
		switch why := c.unusable(d, false, "boot"); {
		case r != "":
		case !asked && why != "":
			r = "not usable: " + why // nothing asked: the TUI offers the usable ones
		case !asked:
			r = "usable"
		case why != "":
			r = "not chosen: " + why
		default:
			r = "not chosen: not named"
		}
		ch.Candidates = append(ch.Candidates, Candidate{Disk: d, Chosen: c.role[i] != "", Role: c.role[i], Reason: r})
	}
	return ch
}

// unusable says why d cannot be written, "" when it can. explicit is true
// when the admin named this disk or its bus (removable disks are then
// fine); named when a path or serial names exactly this disk: its size is
// then left to PlanLayout, which says what is missing and what would fit.
func (c *chooser) unusable(d Disk, explicit bool, role string, named ...bool) string {
	if why := Unwritable(d); why != "" {
		return why
	}
	minMiB := MinBootDiskMiB(c.spec, d.LogicalSector)
	if role == "data" {
		minMiB = MinDataDiskMiB(c.spec)
	}
	if d.Size>>20 < minMiB && !(len(named) > 0 && named[0]) {
		return fmt.Sprintf("too small: %d MiB, the layout needs at least %d MiB", d.Size>>20, minMiB)
	}
	if d.Removable && !explicit {
		return "removable (name it in storage_init or node.disk to use it)"
	}
	if what := Contents(d); what != "" && !c.spec.AllowNonEmpty && c.spec.Wipe != "force" {
		return "holds " + what + " (add reinstall or node.wipe=force to overwrite it)"
	}
	return ""
}

// Unwritable says why no layout may be written to d whatever the spec,
// "" when one may: the one rule of the planner and the TUI.
func Unwritable(d Disk) string {
	switch {
	case d.BootMedia:
		return "boot media: the running live system is on it"
	case d.ReadOnly:
		return "read-only"
	case d.ReadError != "":
		return "cannot be read (" + d.ReadError + "): what it holds is unknown"
	case d.InUse != "":
		return "in use: " + d.InUse
	}
	return ""
}

// Contents describes what a disk holds now ("" when it looks empty).
func Contents(d Disk) string {
	if d.Installation != nil {
		if d.Installation.NotFinished {
			// the marker: a run did not finish (or is writing it right now)
			return "an unfinished installation of this product"
		}
		return "an installation of this product"
	}
	if d.Table != "" {
		var fs []string
		for _, p := range d.Partitions {
			if p.FSType != "" {
				fs = append(fs, p.FSType)
			}
		}
		s := fmt.Sprintf("a %s partition table with %d partitions", d.Table, len(d.Partitions))
		if len(fs) > 0 {
			s += " (" + strings.Join(fs, ", ") + ")"
		}
		return s
	}
	if d.Signature != "" {
		return "a " + d.Signature + " filesystem"
	}
	for _, p := range d.Partitions {
		if p.FSType != "" {
			return "partitions (" + p.FSType + ")"
		}
	}
	return ""
}

// firstEligible is bare storage_init: the first usable disk in stable order.
func (c *chooser) firstEligible() error {
	for i, d := range c.disks {
		if why := c.unusable(d, false, "boot"); why != "" {
			c.note(i, "not chosen: "+why)
			continue
		}
		c.take(i, "boot", "first eligible disk (bare storage_init)")
		for j := i + 1; j < len(c.disks); j++ {
			if why := c.unusable(c.disks[j], false, "boot"); why != "" {
				c.note(j, "not chosen: "+why)
			} else {
				c.note(j, "not chosen: an earlier disk was taken (bare storage_init takes the first eligible)")
			}
		}
		return nil
	}
	return &ChoiceError{Arg: "storage_init", Msg: "no eligible disk found (each disk says why)"}
}

// MultipathWWID is the name multipathd gives the map of a LUN with this
// WWID (its default, user_friendly_names off): the SCSI designator type
// digit and the hex ("naa.600508b1..." is "3600508b1..."); "" for WWIDs
// of another form.
func MultipathWWID(wwid string) string {
	for prefix, digit := range map[string]string{"naa.": "3", "eui.": "2"} {
		if hex, ok := strings.CutPrefix(wwid, prefix); ok && hex != "" {
			return digit + strings.ToLower(hex)
		}
	}
	return ""
}

// hasMeta tells whether a path is a glob pattern.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// refMatches tells whether r names d, and how.
func refMatches(r DiskRef, d Disk) (bool, string) {
	if r.Path != "" {
		names := append([]string{d.Path, "/dev/" + d.Name}, d.ByID...)
		names = append(names, d.ByPath...)
		if w := MultipathWWID(d.WWID); w != "" {
			names = append(names, "/dev/mapper/"+w)
		}
		for _, n := range names {
			if ok, err := path.Match(r.Path, n); (err == nil && ok) || r.Path == n {
				if strings.HasPrefix(n, "/dev/mapper/") {
					return true, "path " + n + " (the multipath name of WWID " + d.WWID + ")"
				}
				return true, "path " + n
			}
		}
		return false, ""
	}
	if r.Bus == "" || !strings.EqualFold(d.Transport, r.Bus) {
		return false, ""
	}
	switch {
	case r.All:
		return true, "bus " + r.Bus + ":ALL"
	case r.Serial != "":
		if d.Serial == r.Serial || d.WWID == r.Serial {
			return true, "bus " + r.Bus + ", serial " + r.Serial
		}
		// oVirt matched udev's ID_SERIAL, which for most buses is the
		// model and serial joined by '_' (ata:Samsung_SSD_860_EVO_500GB_S3Z9...):
		// the tail of the disk's /dev/disk/by-id/<bus>-<ID_SERIAL> name.
		for _, id := range d.ByID {
			if strings.TrimPrefix(id, "/dev/disk/by-id/"+strings.ToLower(r.Bus)+"-") == r.Serial {
				return true, "bus " + r.Bus + ", ID_SERIAL " + r.Serial + " (" + id + ")"
			}
		}
		return false, ""
	}
	return true, "bus " + r.Bus
}

// resolveRefs resolves storage_init items (boot part or APPDISK part).
func (c *chooser) resolveRefs(arg string, refs []DiskRef, role string) []error {
	var errs []error
	for _, r := range refs {
		var matched []int
		how := map[int]string{}
		for i, d := range c.disks {
			if ok, h := refMatches(r, d); ok {
				matched = append(matched, i)
				how[i] = h
			}
		}
		if len(matched) == 0 {
			errs = append(errs, &ChoiceError{Arg: arg, Value: r.Raw, Msg: "matches no disk"})
			continue
		}
		single := r.Path != "" && !hasMeta(r.Path) || r.Serial != ""
		if single && len(matched) > 1 {
			var names []string
			for _, i := range matched {
				names = append(names, c.disks[i].Name)
			}
			msg := "ambiguous: matches " + strings.Join(names, ", ")
			if strings.HasPrefix(r.Path, "/dev/mapper/") {
				msg = "one multipath LUN seen through " + strings.Join(names, ", ") + ": installing onto a multipath device is not supported; install onto a local disk"
			}
			errs = append(errs, &ChoiceError{Arg: arg, Value: r.Raw, Msg: msg})
			continue
		}
		// One disk per item: a bare bus or a glob takes its first eligible
		// match (oVirt's rule: storage_init=/dev/vd* never wipes every
		// /dev/vd?); only BUS:ALL takes them all.
		glob := r.Path != "" && hasMeta(r.Path)
		firstOnly := glob || r.Bus != "" && r.Serial == "" && !r.All
		took := 0
		var whyNot []string
		for _, i := range matched {
			d := c.disks[i]
			if firstOnly && took > 0 {
				what := "the first eligible disk of the bus only"
				if glob {
					what = "the first eligible disk matching the pattern only (one disk per item)"
				}
				if why := c.unusable(d, r.Bus != "", role, false); why != "" {
					what += "; " + why
				}
				c.note(i, "not chosen: "+r.Raw+" takes "+what)
				continue
			}
			if role == "data" && c.role[i] == "boot" {
				errs = append(errs, &ChoiceError{Arg: arg, Value: r.Raw, Msg: d.Name + " is the boot disk already; an APPDISK (after ';') must be another disk"})
				took++
				continue
			}
			if why := c.unusable(d, single || r.Bus != "", role, single); why != "" {
				c.note(i, "matches "+arg+" item "+r.Raw+" but "+why)
				whyNot = append(whyNot, d.Name+": "+why)
				continue
			}
			c.take(i, role, "storage_init item "+r.Raw+" ("+how[i]+")")
			took++
		}
		if took == 0 {
			errs = append(errs, &ChoiceError{Arg: arg, Value: r.Raw, Msg: "no usable disk: " + strings.Join(whyNot, "; ")})
		}
	}
	return errs
}
