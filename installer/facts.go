package installer

import (
	"node-installer/installer/media"
	"node-installer/network"
	"node-installer/storage"
)

// Facts is what a run knows of the machine: probed live, or read from a
// recorded machine profile (the same JSON) in tests and `plan --facts`.
type Facts struct {
	Name     string         `json:"name,omitempty"` // profile name
	Firmware string         `json:"firmware"`       // "uefi" or "bios"
	MemBytes int64          `json:"mem_bytes"`
	Disks    []storage.Disk `json:"disks"`
	NICs     []network.NIC  `json:"nics"`
	// Media is the manifest of the media bundle the run would write, when
	// it was read before planning: the plan then decides the fit checks.
	Media *media.Manifest `json:"media,omitempty"`
}
