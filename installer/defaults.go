package installer

import (
	"node-installer/network"
	"node-installer/storage"
)

// Defaults returns the Config before any answer file or kernel argument:
// the TUI starts, swap uses mem_overcommit 0.5, the management network is
// attached directly (no bridge), and a successful unattended run reboots.
// Volume sizes are not filled in: a volume absent from
// Storage.Volumes takes the layout default of SPEC §4.
func Defaults() Config {
	return Config{
		Action:     ActionInteractive,
		Storage:    storage.Spec{MemOvercommit: 0.5},
		Network:    network.Config{Layout: "direct"},
		Unattended: Unattended{After: "reboot", LogLevel: "info"},
		Origins:    map[string]Origin{},
	}
}
