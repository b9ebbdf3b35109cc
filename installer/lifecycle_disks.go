package installer

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"node-installer/storage"
)

// productPartLabels and productFSLabels are what this product writes
// (on-disk contract): a disk that carries one of them holds (part of) an
// installation. "EFI", "Swap" and "Data" alone are too common to count.
var (
	productPartLabels = []string{"RootA", "RootB", "Config", "Logging", "Data2", "Swap2"}
	productFSLabels   = []string{"NODE-EFI", "node-config", "node-logging", "node-data", "node-swap"}
)

// ProductTraces lists what of this product a probed disk carries, for
// humans ("installation", "partition RootA", "filesystem node-data").
// Empty when the disk holds nothing of it.
func ProductTraces(d storage.Disk) []string {
	var out []string
	if d.Installation != nil {
		out = append(out, "installation")
	}
	for _, p := range d.Partitions {
		if slices.Contains(productPartLabels, p.PartLabel) {
			out = append(out, "partition "+p.PartLabel)
		}
		if slices.Contains(productFSLabels, p.Label) {
			out = append(out, "filesystem "+p.Label)
		}
	}
	if slices.Contains(productFSLabels, d.Label) {
		out = append(out, "filesystem "+d.Label)
	}
	return out
}

// DiskSet is the disks a wipe-reinstall or an uninstall writes to, each
// with why, and the disks it leaves alone with why. Problems make the
// whole action refused: then not one disk is written.
type DiskSet struct {
	Disks    []storage.Disk    `json:"disks"`
	Why      map[string]string `json:"why"`     // disk path -> reason it is in the set
	Skipped  map[string]string `json:"skipped"` // disk path -> reason it is not
	Problems Problems          `json:"problems,omitempty"`
}

func newDiskSet() DiskSet {
	return DiskSet{Why: map[string]string{}, Skipped: map[string]string{}}
}

func (s *DiskSet) add(d storage.Disk, why string) {
	if _, ok := s.Why[d.Path]; ok {
		return
	}
	s.Disks = append(s.Disks, d)
	s.Why[d.Path] = why
}

// Text lists the set for humans.
func (s DiskSet) Text() string {
	var b strings.Builder
	for _, d := range s.Disks {
		fmt.Fprintf(&b, "  %s: %s\n", d.Path, s.Why[d.Path])
	}
	for _, p := range sortedKeys(s.Skipped) {
		fmt.Fprintf(&b, "  %s: not touched (%s)\n", p, s.Skipped[p])
	}
	for _, p := range s.Problems {
		fmt.Fprintf(&b, "  refused: %s\n", p)
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// PlanWipeSet is the disk set of a wipe-reinstall: the disks the install
// will use (choice, from storage_init) and every disk holding this
// product. It is refused when a disk holding the product is not among the
// chosen ones: after the reinstall two disks would carry the same
// partition names (root=PARTLABEL=RootA would be ambiguous) and the old
// data disks would be orphaned. The boot media is never in the set.
func PlanWipeSet(choice storage.Choice, all []storage.Disk) DiskSet {
	s := newDiskSet()
	chosen := map[string]bool{}
	if choice.HasBoot() {
		chosen[choice.Boot.Path] = true
		s.add(choice.Boot, "install target (boot disk)")
	}
	for _, d := range choice.Data {
		chosen[d.Path] = true
		s.add(d, "install target (data disk)")
	}
	if !choice.HasBoot() {
		s.Problems = append(s.Problems, Problem{Field: "storage.disks", Arg: "storage_init", Msg: "no boot disk chosen: reinstall needs storage_init naming the disks to install on"})
	}
	var outside []string
	for _, d := range all {
		tr := ProductTraces(d)
		switch {
		case len(tr) == 0 && !chosen[d.Path]:
			s.Skipped[d.Path] = "holds nothing of this product and is not named"
		case len(tr) == 0:
		case d.BootMedia:
			s.Skipped[d.Path] = "boot media"
		case chosen[d.Path]:
			s.Why[d.Path] += "; holds " + strings.Join(tr, ", ")
		default:
			outside = append(outside, fmt.Sprintf("%s (%s)", d.Path, strings.Join(tr, ", ")))
		}
	}
	if len(outside) > 0 {
		s.Problems = append(s.Problems, Problem{Field: "storage.disks", Arg: "storage_init",
			Msg: fmt.Sprintf("the installation also spans %s, which storage_init does not name: add it to storage_init (it is wiped too) or wipe it first", strings.Join(outside, ", "))})
	}
	return s
}

// PlanUninstallSet is the disk set of an uninstall: the disks that hold
// this product, restricted to the disks storage_init names when it names
// any. A named disk that holds nothing of the product is left alone (an
// uninstall removes only what this product created); so is the boot media.
func PlanUninstallSet(spec storage.Spec, all []storage.Disk) DiskSet {
	s := newDiskSet()
	refs := append(slices.Clone(spec.Disks), spec.AppDisks...)
	for _, d := range all {
		tr := ProductTraces(d)
		named := len(refs) == 0 || slices.ContainsFunc(refs, func(r storage.DiskRef) bool { return RefNames(r, d) })
		switch {
		case d.BootMedia:
			s.Skipped[d.Path] = "boot media"
		case len(tr) == 0 && named && len(refs) > 0:
			s.Skipped[d.Path] = "named, but holds nothing of this product"
		case len(tr) == 0:
			s.Skipped[d.Path] = "holds nothing of this product"
		case !named:
			s.Skipped[d.Path] = "holds " + strings.Join(tr, ", ") + " but storage_init does not name it"
		default:
			s.add(d, "holds "+strings.Join(tr, ", "))
		}
	}
	if len(s.Disks) == 0 {
		s.Problems = append(s.Problems, Problem{Field: "storage.disks", Msg: "no disk holds this product: nothing to uninstall"})
	}
	return s
}

// RefNames tells whether a storage_init item names d (path, glob,
// /dev/disk/by-id link, or bus[:serial|:ALL]).
func RefNames(r storage.DiskRef, d storage.Disk) bool {
	if r.Path != "" {
		names := append([]string{d.Path, "/dev/" + d.Name}, d.ByID...)
		names = append(names, d.ByPath...)
		return slices.ContainsFunc(names, func(n string) bool {
			ok, err := path.Match(r.Path, n)
			return r.Path == n || (err == nil && ok)
		})
	}
	if r.Bus == "" || !strings.EqualFold(d.Transport, r.Bus) {
		return false
	}
	return r.All || r.Serial == "" || d.Serial == r.Serial || d.WWID == r.Serial
}
