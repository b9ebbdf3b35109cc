package installer

import (
	"fmt"
	"node-installer/internal/event"
	"sort"
	"strings"
	"text/tabwriter"

	"node-installer/storage"
)

// typeNames are short names of the partition type GUIDs a plan uses.
var typeNames = map[string]string{
	storage.TypeESP:        "esp",
	storage.TypeRootX86_64: "root-x86-64",
	storage.TypeRootARM64:  "root-arm64",
	storage.TypeSwap:       "swap",
	storage.TypeSrv:        "srv",
	storage.TypeVar:        "var",
	storage.TypeLinuxData:  "linux-data",
}

// Text is the plan for people: what `node-installer plan` prints.
func (p Plan) Text() string {
	var b strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	f("action: %s\n", p.Action)
	machine := "this machine"
	if p.Machine != "" {
		machine = "profile " + p.Machine
	}
	f("machine: %s, firmware %s, %s RAM, %s\n", machine, p.Firmware, gibText(p.MemBytes), plural(len(p.Choice.Candidates), "disk"))
	if p.Media != nil {
		f("media: %s %s, root image %s\n", p.Media.Product, p.Media.Version, event.HumanBytes(p.Media.RootfsBytes))
	}
	for _, n := range p.Notes {
		f("note: %s\n", n)
	}
	for _, w := range p.Warnings {
		f("warning: %s\n", w)
	}
	f("media signature: %s\n", mediaPolicyText(p))
	f("\ndisks considered:\n")
	if len(p.Choice.Candidates) == 0 {
		f("  (none)\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range p.Choice.Candidates {
		mark := " "
		if c.Chosen {
			mark = "*"
		}
		d := c.Disk
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\t%s\n", mark, d.Path, d.Transport, gibText(d.Size), diskIdent(d), c.Reason)
	}
	tw.Flush()
	for _, dl := range p.Layout.Disks {
		writeTable(&b, dl)
	}
	for _, s := range []struct {
		title string
		set   *DiskSet
	}{{"wipe set (reinstall)", p.Wipe}, {"uninstall set", p.Uninstall}} {
		if s.set != nil {
			f("\n%s:\n", s.title)
			writeDiskSet(&b, *s.set)
		}
	}
	f("\nnetwork:\n")
	netText := p.Network.Text()
	if p.Network.Device == "" && !p.Network.Pending() {
		// Nothing given: an upgrade keeps what the node has.
		switch p.Action {
		case ActionUpgrade:
			netText = "kept: the installed node's network configuration is not changed"
		case ActionUninstall:
			netText = "none: an uninstall writes no configuration"
		}
	}
	for _, l := range strings.Split(strings.TrimRight(netText, "\n"), "\n") {
		f("  %s\n", l)
	}
	f("\nboot parameters passed through: ")
	if len(p.BootParams) == 0 {
		f("(none)\n")
	} else {
		f("%s\n", strings.Join(p.BootParams, " "))
	}
	if len(p.Dropped) > 0 {
		f("boot parameters dropped (not passed to the installed system):\n")
		for _, d := range p.Dropped {
			f("  %s (%s)\n", d.Arg, d.Why)
		}
	}
	if len(p.Problems) == 0 {
		f("\nno problems: this is what would happen (nothing was written)\n")
		return b.String()
	}
	f("\nproblems (%d): an unattended run would write nothing\n", len(p.Problems))
	for _, pr := range p.Problems {
		for i, l := range strings.Split(pr.String(), "\n") {
			if i == 0 {
				f("  - %s\n", l)
			} else {
				f("    %s\n", l)
			}
		}
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func gibText(n int64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// diskIdent is a disk's model and serial, for telling disks apart.
func diskIdent(d storage.Disk) string {
	var parts []string
	if m := strings.TrimSpace(d.Vendor + " " + d.Model); m != "" {
		parts = append(parts, m)
	}
	if d.Serial != "" {
		parts = append(parts, "serial "+d.Serial)
	}
	if d.LogicalSector == 4096 {
		parts = append(parts, "4Kn")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// writeTable prints one planned partition table, sector-exact.
func writeTable(b *strings.Builder, dl storage.DiskLayout) {
	ss := int64(dl.SectorSize)
	fmt.Fprintf(b, "\npartition table of %s (%s disk, GPT, %d-byte sectors, %d sectors, %s):\n",
		dl.Disk.Path, dl.Role, ss, dl.Disk.Size/ss, gibText(dl.Disk.Size))
	if what := storage.Contents(dl.Disk); what != "" {
		fmt.Fprintf(b, "  erases what it holds now: %s\n", what)
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  #\tstart\tend\tsectors\tMiB\tname\ttype\tcontent\n")
	for _, p := range dl.Partitions {
		content := string(p.Content)
		if p.Label != "" {
			content += " (" + p.Label + ")"
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%d\t%s\t%s %s\t%s\n", p.Number, p.Start, p.End(), p.Size,
			int64(p.Size)*ss>>20, p.Name, typeNames[p.TypeGUID], p.TypeGUID, content)
	}
	tw.Flush()
}

func writeDiskSet(b *strings.Builder, s DiskSet) {
	for _, d := range s.Disks {
		fmt.Fprintf(b, "  * %s: %s\n", d.Path, s.Why[d.Path])
	}
	paths := make([]string, 0, len(s.Skipped))
	for p := range s.Skipped {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(b, "    %s: left alone: %s\n", p, s.Skipped[p])
	}
}
