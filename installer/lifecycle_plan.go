package installer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"node-installer/internal/bls"
)

// sortKeyPrefix starts the sort-key of every entry an upgrade writes. The
// key counts down ("node-999998", "node-999997", ...) so the newest entry
// sorts first in systemd-boot whatever its version and slot name; an
// entry without a sort-key (as a fresh install writes it) sorts after all
// of them. See docs/lifecycle.md "Which entry boots".
const (
	sortKeyPrefix = "node-"
	sortKeyTop    = 999999
)

// UpgradePlan is what an upgrade, downgrade or same-version reinstall
// does to one installation. Pure data, made by MakeUpgradePlan.
type UpgradePlan struct {
	Change  VersionChange `json:"change"`
	Reason  string        `json:"reason"`
	Product string        `json:"product"`
	From    string        `json:"from"` // installed version (default slot)
	To      string        `json:"to"`   // media version
	// Source is the slot booted now: it stays as the fallback entry.
	Source string `json:"source"`
	// Target is the inactive slot the media's image is written to.
	Target string `json:"target"`
	// Finish is true when an earlier run passed its commit point and
	// only the "not finished" marker is left to remove.
	Finish bool `json:"finish,omitempty"`
	// Remove are ESP files removed before the slot is written: the target
	// slot's old entries (it must not be bootable while it is rewritten)
	// and temp files of an interrupted run.
	Remove []string `json:"remove,omitempty"`
	// Entry is the new loader entry; Entry.File its final name (node-B+3.conf).
	Entry bls.Entry `json:"entry"`
	// TempFile is the name Entry is written under before the rename that
	// is the commit point.
	TempFile string `json:"temp_file"`
	// Fallback is the file name of the entry booted when Entry's tries run out.
	Fallback string   `json:"fallback"`
	Problems Problems `json:"problems,omitempty"`
}

// Text is the plan for humans.
func (p UpgradePlan) Text() string {
	var b strings.Builder
	if len(p.Problems) > 0 {
		fmt.Fprintf(&b, "upgrade refused:\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "  - %s\n", pr)
		}
		return b.String()
	}
	if p.Finish {
		fmt.Fprintf(&b, "%s %s -> %s: already committed in slot %s, finishing (remove %s)\n", p.Change, p.From, p.To, p.Target, UnfinishedPath)
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s %s -> %s: %s\n", p.Product, p.Change, p.From, p.To, p.Reason)
	fmt.Fprintf(&b, "  write the image into slot %s (Root%s), kernel and initrd into %s\n", p.Target, p.Target, SlotDir(p.Target))
	for _, r := range p.Remove {
		fmt.Fprintf(&b, "  remove %s first\n", r)
	}
	fmt.Fprintf(&b, "  commit: rename %s -> %s (default, %d tries)\n", p.TempFile, p.Entry.File, BootTries)
	fmt.Fprintf(&b, "  fallback: %s (slot %s, %s)\n", p.Fallback, p.Source, p.From)
	b.WriteString("  Config, Logging and Data are not touched\n")
	return b.String()
}

func refuse(p UpgradePlan, field, msg string, args ...any) UpgradePlan {
	p.Problems = append(p.Problems, Problem{Field: field, Msg: fmt.Sprintf(msg, args...)})
	return p
}

// MarkerActionOf is the action a /node/unfinished marker names (its first word).
func MarkerActionOf(contents string) string {
	f := strings.Fields(contents)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// OtherSlot is the slot that is not s.
func OtherSlot(s string) string {
	if s == "A" {
		return "B"
	}
	return "A"
}

// MakeUpgradePlan decides an upgrade of the installation whose ESP holds
// st to the media's product and version. It takes no I/O. Downgrades need
// cfg.Unattended.AllowDowngrade (set by node.allow_downgrade or the TUI's
// confirmation).
func MakeUpgradePlan(st ESPState, mediaProduct, mediaVersion string, cfg Config) UpgradePlan {
	p := UpgradePlan{Product: st.Product, To: mediaVersion}
	if st.Product == "" && len(st.Entries) == 0 {
		return refuse(p, "installation", "no installation found on the disk (no %s and no node-A/node-B loader entry): install instead", ProductPath)
	}
	if mediaProduct != "" && st.Product != "" && mediaProduct != st.Product {
		return refuse(p, "installation.product", "the disk holds %q, the media is %q: an upgrade keeps the product; reinstall to change it", st.Product, mediaProduct)
	}
	if p.Product == "" {
		p.Product = mediaProduct
	}
	order := st.BootOrder()
	if len(order) == 0 {
		return refuse(p, "installation.entries", "no bootable loader entry (entries: %d, kernels missing?): the installation is broken, reinstall", len(st.Entries))
	}
	def := order[0]
	p.Source = EntrySlot(def)
	p.From = st.SlotVersion[p.Source]
	if p.From == "" {
		p.From = def.Version
	}

	marker := MarkerActionOf(st.MarkerAction)
	// Done already (a rerun after the commit point, with or without the
	// marker left)? The default entry is a new one of the media's
	// version, never booted yet, with the old one behind it.
	if (!st.Marker || marker == string(ActionUpgrade)) && def.Pending() && def.TriesDone == 0 && len(order) > 1 && sameVersion(p.From, mediaVersion) {
		p.Finish, p.Change = true, ChangeUpgrade
		p.Reason = "an earlier run passed the commit point: only the marker is left to remove"
		p.Target, p.Source = p.Source, EntrySlot(order[1])
		p.Entry, p.Fallback = def, order[1].File
		p.From = st.SlotVersion[p.Source]
		return p
	}
	switch {
	case st.Marker && marker == string(ActionUpgrade):
		// Before the commit point: the default is still the old version; redo.
	case st.Marker && marker == string(ActionUninstall):
		return refuse(p, "installation.not_finished", "an uninstall of this disk was interrupted (%s says %q): run uninstall again", UnfinishedPath, st.MarkerAction)
	case st.Marker:
		return refuse(p, "installation.not_finished", "the installation never finished (%s says %q): reinstall (all data lost)", UnfinishedPath, st.MarkerAction)
	}
	if def.Pending() {
		return refuse(p, "installation.entries", "slot %s (%s, entry %s) has not been marked as a good boot yet: boot it once (it is marked good, or rolls back to slot %s after %d tries); upgrading now would overwrite the last good slot",
			p.Source, p.From, def.File, OtherSlot(p.Source), def.TriesLeft)
	}

	d := ClassifyVersions(p.From, mediaVersion)
	p.Change, p.Reason = d.Change, d.Reason
	switch {
	case d.Change == ChangeRefused:
		return refuse(p, "media.version", "%s", d.Reason)
	case d.NeedsConfirmation && !cfg.Unattended.AllowDowngrade:
		return refuse(p, "unattended.allow_downgrade", "%s", d.Reason)
	case d.Change == ChangeSame && cfg.Unattended.RefuseSameVersion:
		return refuse(p, "media.version", "%s: nothing to do (--force rewrites the inactive slot with it)", d.Reason)
	}

	p.Target = OtherSlot(p.Source)
	if b := cfg.Unattended.BootedSlot; b != "" && b == p.Target {
		return refuse(p, "installation.booted_slot", "the running system booted slot %s, the inactive slot the upgrade would write (the default is slot %s): reboot into the default first, or roll back", b, p.Source)
	}
	for _, e := range st.Entries {
		if EntrySlot(e) == p.Target {
			p.Remove = append(p.Remove, EntriesDir+"/"+e.File)
		}
	}
	for _, o := range st.Others {
		if isOurTemp(o) {
			p.Remove = append(p.Remove, EntriesDir+"/"+o)
		}
	}
	key, err := nextSortKey(order)
	if err != nil {
		return refuse(p, "installation.entries", "%v", err)
	}
	p.Entry = bls.Entry{
		Base: EntryBase(p.Target), TriesLeft: BootTries, TriesDone: 0,
		Title:   fmt.Sprintf("%s %s (slot %s)", p.Product, mediaVersion, p.Target),
		Version: mediaVersion, SortKey: key,
		Linux:   SlotDir(p.Target) + "/vmlinuz",
		Initrd:  []string{SlotDir(p.Target) + "/initrd.img"},
		Options: RetargetOptions(def.Options, p.Target),
	}
	p.Entry.File = bls.FileName(p.Entry.Base, BootTries, 0)
	p.TempFile = p.Entry.File + ".tmp"
	p.Fallback = def.File
	if err := checkBootOrder(order, p); err != nil {
		return refuse(p, "installation.entries", "%v", err)
	}
	return p
}

func sameVersion(a, b string) bool {
	va, err1 := ParseVersion(a)
	vb, err2 := ParseVersion(b)
	if err1 != nil || err2 != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return CompareVersions(va, vb) == 0
}

func isOurTemp(name string) bool {
	return strings.HasPrefix(strings.ToLower(name), "node-") && strings.HasSuffix(strings.ToLower(name), ".tmp")
}

// nextSortKey is one below the lowest key of ours among the entries, or
// the first key of the count-down when no entry has one.
func nextSortKey(order []bls.Entry) (string, error) {
	lowest := sortKeyTop
	for _, e := range order {
		n, ok := strings.CutPrefix(e.SortKey, sortKeyPrefix)
		if !ok {
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil || len(n) != 6 {
			continue
		}
		lowest = min(lowest, v)
	}
	if lowest <= 0 {
		return "", fmt.Errorf("the sort-key count-down is exhausted (%s000000): reinstall", sortKeyPrefix)
	}
	return fmt.Sprintf("%s%06d", sortKeyPrefix, lowest-1), nil
}

// checkBootOrder simulates systemd-boot on the entries as they will be
// after the commit point: the new entry must be the default and the
// current one the fallback; once the new entry's tries run out, the
// current one must be the default again. This catches any entry (of an
// older scheme, or edited by hand) that would outrank the new one.
func checkBootOrder(order []bls.Entry, p UpgradePlan) error {
	after := slices.DeleteFunc(slices.Clone(order), func(e bls.Entry) bool { return EntrySlot(e) == p.Target })
	after = append(after, p.Entry)
	if d, _ := bls.Default(after); d.File != p.Entry.File {
		return fmt.Errorf("after the upgrade systemd-boot would still boot %s (sort-key %q), not the new %s: fix or remove that entry", d.File, d.SortKey, p.Entry.File)
	}
	spent := p.Entry
	spent.TriesLeft, spent.TriesDone = 0, BootTries
	after[len(after)-1] = spent
	if d, _ := bls.Default(after); d.File != p.Fallback {
		return fmt.Errorf("after a failed upgrade systemd-boot would boot %s, not the fallback %s", d.File, p.Fallback)
	}
	return nil
}

// RetargetOptions rewrites a kernel command line for another slot:
// root=PARTLABEL=Root<slot> and node.slot=<slot> are replaced (added when
// missing); every other argument is kept as it is.
func RetargetOptions(options, slot string) string {
	var out []string
	for _, f := range strings.Fields(options) {
		if strings.HasPrefix(f, "root=") || strings.HasPrefix(f, "node.slot=") {
			continue
		}
		out = append(out, f)
	}
	return strings.Join(append([]string{"root=PARTLABEL=Root" + slot, "node.slot=" + slot}, out...), " ")
}
