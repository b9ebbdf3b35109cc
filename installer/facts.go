package installer

import (
	"fmt"

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
	// Host is what the CPU and firmware offer for running VMs, when this
	// machine was probed (nil in a profile: not known, nothing is said).
	Host *HostCaps `json:"host,omitempty"`
}

// HostCaps is what the machine offers a hypervisor.
type HostCaps struct {
	// CPUVirt is the CPU's virtualisation flag (vmx: Intel VT-x, svm:
	// AMD-V), "" when /proc/cpuinfo has neither: off in the firmware, or
	// a CPU without it.
	CPUVirt string `json:"cpu_virt"`
	// IOMMU: an IOMMU is active (/sys/class/iommu has a unit).
	IOMMU bool `json:"iommu"`
}

// MinMemBytes is the least RAM a node runs VMs with (the node itself
// takes about 2 GiB).
const MinMemBytes = 4 << 30

// HostWarnings are what would make a poor hypervisor of this machine:
// shown on the TUI's Welcome page and in the plan; none stops an install.
func HostWarnings(f Facts) []string {
	if f.Host == nil {
		return nil
	}
	var ws []string
	if f.Host.CPUVirt == "" {
		ws = append(ws, "CPU virtualisation (Intel VT-x / AMD-V) is not available: it is disabled in the firmware setup or the CPU lacks it; VMs will not run")
	}
	if !f.Host.IOMMU {
		ws = append(ws, "no IOMMU is active (Intel VT-d / AMD-Vi off in the firmware, or intel_iommu=on missing): PCI passthrough will not work")
	}
	if f.MemBytes > 0 && f.MemBytes < MinMemBytes {
		ws = append(ws, fmt.Sprintf("%.1f GiB of RAM is below the %d GiB a node needs to run VMs", float64(f.MemBytes)/(1<<30), MinMemBytes>>30))
	}
	link := false
	for _, n := range f.NICs {
		link = link || !n.Loopback && n.Carrier
	}
	if !link {
		ws = append(ws, "no NIC has a link: the node cannot be managed over the network until a cable is plugged in")
	}
	return ws
}
