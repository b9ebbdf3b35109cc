package tui

import (
	"strings"

	"node-installer/installer"
)

// fieldLabels are the pages' words for the Config's field paths, so a
// problem with what was typed names the page and field, not
// "storage.volumes.Swap" (first matching prefix wins).
var fieldLabels = []struct{ prefix, label string }{
	{"storage.volumes.", "Storage sizes, "},
	{"storage.disks", "Boot disk"},
	{"storage.app_disks", "Data disks"},
	{"storage", "Storage sizes"},
	{"network.bond", "Network, bond"},
	{"network.vlan", "Network, VLAN ID"},
	{"network.hostname", "Network, hostname"},
	{"network.dns", "Network, DNS"},
	{"network.ntp", "Network, NTP"},
	{"network.ipv6", "Network, IPv6"},
	{"network", "Network"},
	{"host.keyboard", "Keyboard"},
	{"host.adminpw", "Admin password"},
	{"", "Plan"},
}

// problemError is a plan problem as the pages say it: a value that came
// from a kernel argument or the answer file names it as given; one typed
// here names the page's field.
func problemError(pr installer.Problem) FieldError {
	if pr.Arg != "" {
		at := pr.Arg
		if pr.Value != "" && !strings.HasPrefix(pr.Arg, "answer file") {
			at += "=" + pr.Value
		}
		return FieldError{at, pr.Msg}
	}
	for _, l := range fieldLabels {
		if strings.HasPrefix(pr.Field, l.prefix) {
			label := l.label
			if strings.HasSuffix(label, ", ") {
				label += strings.TrimPrefix(pr.Field, l.prefix) // the volume's name
			}
			return FieldError{label, pr.Msg}
		}
	}
	return FieldError{"Plan", pr.Msg}
}
