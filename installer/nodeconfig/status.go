package nodeconfig

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"node-installer/internal/bls"
	"node-installer/network"
)

// Status is what the setup console's Status page shows: read from the
// node's root, its ESP, its Config partition and its NICs.
type Status struct {
	Product, Version string
	// Slot is the booted root slot (node.slot= of /proc/cmdline).
	Slot string
	// Entries are the boot loader entries in menu order (default first).
	Entries []bls.Entry
	// RolledBack: another slot's entry used up its boot tries (the last
	// upgrade failed to boot and the booted slot took over again).
	RolledBack bool
	Hostname   string
	Mgmt       string
	NICs       []network.NIC
	DNS, NTP   []string
	Logs       string
	Management string
	// LastRun is the last install/upgrade result line of the install log.
	LastRun  string
	Problems []string
}

// DefaultESPDir is where the booted node mounts its ESP.
const DefaultESPDir = "/boot/efi"

// ESP is the node's mounted ESP folder.
func (o Options) ESP() string {
	if o.ESPDir != "" {
		return o.ESPDir
	}
	return filepath.Join(o.root(), DefaultESPDir)
}

// ReadStatus gathers the Status; what cannot be read is a line of
// Problems, never an error.
func ReadStatus(o Options) Status {
	var st Status
	root := o.root()
	st.Product, st.Version = OSRelease(o)
	if b, err := os.ReadFile(filepath.Join(root, "proc/cmdline")); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if v, ok := strings.CutPrefix(f, "node.slot="); ok {
				st.Slot = v
			}
		}
	}
	var err error
	if st.Entries, err = LoaderEntries(o); err != nil {
		st.Problems = append(st.Problems, err.Error())
	}
	for _, e := range st.Entries {
		// systemd-boot moved an entry that used up its tries behind the
		// others and booted the slot before it
		if e.Exhausted() && st.Slot != "" && EntrySlot(e) != st.Slot {
			st.RolledBack = true
		}
	}
	cfg, err := Load(o)
	if err != nil {
		st.Problems = append(st.Problems, err.Error())
	}
	st.Hostname = cfg.Network.Hostname
	if b, err := os.ReadFile(filepath.Join(root, "etc/hostname")); err == nil {
		st.Hostname = strings.TrimSpace(string(b))
	}
	if st.NICs, err = o.nics(); err != nil {
		st.Problems = append(st.Problems, err.Error())
	}
	if plan, err := network.MakePlan(cfg.Network, st.NICs); err == nil {
		st.Mgmt = plan.Mgmt
		if st.Hostname == "" {
			st.Hostname = plan.Hostname
		}
	}
	for _, d := range cfg.Network.DNS {
		st.DNS = append(st.DNS, d.String())
	}
	if len(st.DNS) == 0 {
		st.DNS = resolvServers(filepath.Join(root, "etc/resolv.conf"))
	}
	st.NTP = cfg.Network.NTP
	if cfg.Network.NTPOff {
		st.NTP = []string{"off"}
	}
	st.Logs = "/var/log"
	if s := cfg.Services.Syslog; s != nil {
		st.Logs += " and syslog " + hp(s)[0]
	}
	if m := cfg.Services.ManagementServer; m != nil {
		st.Management = "https://" + hp(m)[0] + "/"
	}
	st.LastRun = lastRun(filepath.Join(root, "var/log/node-installer/install.log"))
	return st
}

// OSRelease is the node's product name and version (/etc/os-release).
func OSRelease(o Options) (product, version string) {
	rel := readKV(filepath.Join(o.root(), "etc/os-release"))
	product, version = rel["NAME"], rel["VERSION_ID"]
	if version == "" {
		version = rel["VERSION"]
	}
	return product, version
}

// LoaderEntries reads the ESP's loader entries in menu order.
func LoaderEntries(o Options) ([]bls.Entry, error) {
	dir := filepath.Join(o.ESP(), "loader/entries")
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("boot entries: %w", err)
	}
	var es []bls.Entry
	var errs []error
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err == nil {
			var e bls.Entry
			if e, err = bls.Parse(de.Name(), b); err == nil {
				es = append(es, e)
				continue
			}
		}
		errs = append(errs, fmt.Errorf("boot entry %s: %w", de.Name(), err))
	}
	bls.Sort(es)
	return es, errors.Join(errs...)
}

// EntrySlot is the root slot an entry boots (its node.slot= option).
func EntrySlot(e bls.Entry) string {
	for _, f := range strings.Fields(e.Options) {
		if v, ok := strings.CutPrefix(f, "node.slot="); ok {
			return v
		}
	}
	return ""
}

func readKV(p string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(p)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = strings.Trim(v, `"'`)
		}
	}
	return m
}

func resolvServers(p string) []string {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "nameserver" {
			out = append(out, f[1])
		}
	}
	return out
}

// lastRun is the install log's last line that ends a run.
func lastRun(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	last := ""
	for _, l := range strings.Split(string(b), "\n") {
		lo := strings.ToLower(l)
		if strings.Contains(lo, "succeeded") || strings.Contains(lo, "failed") || strings.Contains(lo, "finished") {
			last = strings.TrimSpace(l)
		}
	}
	return last
}
