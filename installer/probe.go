package installer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"node-installer/network"
	"node-installer/storage"
)

// Probe gathers the live machine's Facts: disks from sysfs, NICs,
// firmware (UEFI or BIOS) and RAM.
func Probe() (Facts, error) {
	return ProbeAt(storage.DefaultProbeOptions)
}

// ProbeAt is Probe with the sysfs, /dev and /proc roots of o. A part that
// cannot be read is reported while the rest is still returned.
func ProbeAt(o storage.ProbeOptions) (Facts, error) {
	var f Facts
	var errs []error
	disks, err := storage.ProbeWith(o)
	if err != nil {
		errs = append(errs, err)
	}
	f.Disks = disks
	nics, err := network.Probe(o.SysRoot)
	if err != nil {
		errs = append(errs, err)
	}
	f.NICs = nics
	f.Firmware = "bios"
	if _, err := os.Stat(filepath.Join(o.SysRoot, "firmware", "efi")); err == nil {
		f.Firmware = "uefi"
	}
	mem, err := memTotal(filepath.Join(o.ProcRoot, "meminfo"))
	if err != nil {
		errs = append(errs, err)
	}
	f.MemBytes = mem
	f.Host = probeHost(o.SysRoot, o.ProcRoot)
	return f, errors.Join(errs...)
}

// probeHost reads the CPU's virtualisation flag and whether an IOMMU is
// active.
func probeHost(sysRoot, procRoot string) *HostCaps {
	h := &HostCaps{}
	if b, err := os.ReadFile(filepath.Join(procRoot, "cpuinfo")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			if strings.TrimSpace(k) != "flags" {
				continue
			}
			for _, fl := range strings.Fields(v) {
				if fl == "vmx" || fl == "svm" {
					h.CPUVirt = fl
				}
			}
			break
		}
	}
	if es, err := os.ReadDir(filepath.Join(sysRoot, "class", "iommu")); err == nil && len(es) > 0 {
		h.IOMMU = true
	}
	return h
}

// memTotal reads MemTotal (kB) from a meminfo file.
func memTotal(path string) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("probe RAM: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("probe RAM: %s: MemTotal %q: %w", path, f[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("probe RAM: %s: no MemTotal line", path)
}
