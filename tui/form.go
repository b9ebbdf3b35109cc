package tui

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"node-installer/installer"
	"node-installer/network"
	"node-installer/storage"
)

// Choice is what the admin picked on the Welcome page.
type Choice string

// Choices offered on the Welcome page. Upgrade, Downgrade and Repair keep
// the data and skip the disk pages; Reinstall wipes and installs fresh.
const (
	ChoiceInstall   Choice = "install"
	ChoiceUpgrade   Choice = "upgrade"
	ChoiceDowngrade Choice = "downgrade"
	ChoiceRepair    Choice = "repair" // same version: rewrite the image, keep data
	ChoiceReinstall Choice = "reinstall"
	ChoiceUninstall Choice = "uninstall"
)

// keepsDisks reports whether c works on the existing installation (no disk
// pages, the current admin password is asked instead).
func (c Choice) keepsDisks() bool {
	return c == ChoiceUpgrade || c == ChoiceDowngrade || c == ChoiceRepair || c == ChoiceUninstall
}

// editVols are the volumes the Storage sizes page edits, in screen order.
var editVols = []storage.Vol{storage.VolEFI, storage.VolRoot, storage.VolConfig, storage.VolLogging, storage.VolSwap, storage.VolData}

// FormData is what the admin typed, as typed: every page reads and writes
// it, Back keeps it, and ToConfig turns it into a Config.
type FormData struct {
	Choice   Choice
	Keyboard string
	// BootDisk is the path of the chosen boot disk; Other is the text of
	// the "other device" entry (used when BootDisk is empty).
	BootDisk  string
	Other     string
	DataDisks []string
	// Vols holds the size fields in MiB as typed ("" = default, -1 fill, 0 none).
	Vols     map[storage.Vol]string
	FillData bool

	NIC       string // management NIC (or the bond)
	IPv4Mode  string // dhcp | static | off
	IPv4Addr  string // CIDR
	IPv4GW    string
	IPv6Mode  string // auto | dhcp | static | off
	IPv6Addr  string
	IPv6GW    string
	VLAN      string
	Bond      bool
	BondName  string
	BondNICs  []string
	BondOpts  string
	Hostname  string
	DNS       string // comma or space separated
	Search    string // DNS search domains, comma or space separated
	MTU       string // of the management interface, "" = the default
	NTP       string // comma or space separated, "off"
	Password  string // never stored anywhere but here, and hashed by ToConfig's caller
	Password2 string
	// PresetHash is an admin hash from the kernel command line or answer
	// file; an empty password keeps it.
	PresetHash string
	// Current is the current admin password (upgrade-type choices).
	Current string
}

// FieldError is one validation message shown under a page.
type FieldError struct {
	Field string
	Msg   string
}

// String is "Field: message".
func (e FieldError) String() string { return e.Field + ": " + e.Msg }

// FromConfig pre-fills the form from cfg (defaults < answer file < kernel args).
func FromConfig(cfg installer.Config) FormData {
	fd := FormData{
		Choice:   ChoiceInstall,
		Keyboard: cfg.Host.Keyboard,
		Vols:     map[storage.Vol]string{},
		IPv4Mode: "dhcp",
		IPv6Mode: "auto",
		BondOpts: "mode=active-backup miimon=100",
		Hostname: cfg.Network.Hostname,
		NIC:      cfg.Network.BootIf,
	}
	switch cfg.Action {
	case installer.ActionReinstall:
		fd.Choice = ChoiceReinstall
	case installer.ActionUpgrade:
		fd.Choice = ChoiceUpgrade
	case installer.ActionUninstall:
		fd.Choice = ChoiceUninstall
	}
	if fd.Keyboard == "" {
		fd.Keyboard = "us"
	}
	if len(cfg.Storage.Disks) > 0 {
		fd.BootDisk = refText(cfg.Storage.Disks[0])
	}
	for _, r := range cfg.Storage.AppDisks {
		fd.DataDisks = append(fd.DataDisks, refText(r))
	}
	for v, mib := range cfg.Storage.Volumes {
		fd.Vols[v] = strconv.FormatInt(mib, 10)
	}
	if cfg.Storage.Volumes[storage.VolData] == -1 {
		fd.FillData = true
	}
	n := cfg.Network
	if n.Bond != nil {
		fd.Bond, fd.BondName, fd.BondNICs = true, n.Bond.Name, append([]string(nil), n.Bond.Slaves...)
		if n.Bond.Options != "" {
			fd.BondOpts = n.Bond.Options
		}
		fd.NIC = n.Bond.Name
	}
	for _, ip := range n.IPs {
		if ip.Iface != "" && fd.NIC == "" {
			fd.NIC = ip.Iface
		}
		if ip.Hostname != "" && fd.Hostname == "" {
			fd.Hostname = ip.Hostname
		}
		switch {
		case ip.Address.IsValid() && ip.Address.Addr().Is6():
			fd.IPv6Mode, fd.IPv6Addr = "static", ip.Address.String()
			if ip.Gateway.IsValid() {
				fd.IPv6GW = ip.Gateway.String()
			}
		case ip.Address.IsValid():
			fd.IPv4Mode, fd.IPv4Addr = "static", ip.Address.String()
			if ip.Gateway.IsValid() {
				fd.IPv4GW = ip.Gateway.String()
			}
		case ip.Method == "off" || ip.Method == "none":
			fd.IPv4Mode = "off"
		case ip.Method == "dhcp6":
			fd.IPv6Mode = "dhcp"
		case ip.Method == "auto6":
			fd.IPv6Mode = "auto"
		}
		for _, d := range ip.DNS {
			n.DNS = append(n.DNS, d)
		}
		if ip.MTU != 0 && fd.MTU == "" {
			fd.MTU = strconv.Itoa(ip.MTU)
		}
	}
	fd.Search = strings.Join(n.Search, ", ")
	switch n.IPv6 {
	case "dhcp", "auto":
		fd.IPv6Mode = n.IPv6
	case "none":
		fd.IPv6Mode = "off"
	}
	if n.VLAN != 0 {
		fd.VLAN = strconv.Itoa(n.VLAN)
	}
	var dns []string
	for _, d := range n.DNS {
		dns = append(dns, d.String())
	}
	fd.DNS = strings.Join(dns, ", ")
	if n.NTPOff {
		fd.NTP = "off"
	} else {
		fd.NTP = strings.Join(n.NTP, ", ")
	}
	fd.PresetHash = cfg.Host.AdminPW
	return fd
}

func refText(r storage.DiskRef) string {
	if r.Path != "" {
		return r.Path
	}
	return r.Raw
}

// BootPath is the boot disk the form names: the chosen one or the "other device" entry.
func (fd FormData) BootPath() string {
	if fd.BootDisk != "" {
		return fd.BootDisk
	}
	return strings.TrimSpace(fd.Other)
}

// ParseVolumes turns the size fields into storage_vol MiB values; a blank
// field keeps the default (absent from the map).
func (fd FormData) ParseVolumes() (map[storage.Vol]int64, []FieldError) {
	out := map[storage.Vol]int64{}
	var errs []FieldError
	for _, v := range editVols {
		s := strings.TrimSpace(fd.Vols[v])
		if v == storage.VolData && fd.FillData {
			out[v] = -1
			continue
		}
		if s == "" {
			continue
		}
		n, err := parseMiB(s)
		if err != nil {
			errs = append(errs, FieldError{string(v), err.Error()})
			continue
		}
		if n == 0 && (v == storage.VolEFI || v == storage.VolRoot || v == storage.VolConfig) {
			errs = append(errs, FieldError{string(v), "cannot be 0: the node needs this volume"})
			continue
		}
		out[v] = n
	}
	return out, errs
}

// parseMiB reads a size in MiB ("4096"), with an optional G/GiB or M/MiB
// suffix, or -1 (fill the rest) or 0 (none).
func parseMiB(s string) (int64, error) {
	mult := int64(1)
	ls := strings.ToLower(s)
	for _, suf := range []struct {
		s string
		m int64
	}{{"gib", 1024}, {"g", 1024}, {"mib", 1}, {"m", 1}} {
		if strings.HasSuffix(ls, suf.s) {
			ls, mult = strings.TrimSpace(strings.TrimSuffix(ls, suf.s)), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < -1 || (n == -1 && mult != 1) || n > 1<<40/mult {
		return 0, fmt.Errorf("%q: expected a size in MiB (e.g. 4096 or 4G), -1 to fill the rest or 0 for none", s)
	}
	return n * mult, nil
}

// splitList splits "a, b c" into its items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// ParseNetwork turns the network fields into network.Config, every problem at once.
func (fd FormData) ParseNetwork() (network.Config, []FieldError) {
	var c network.Config
	var errs []FieldError
	bad := func(f, m string) { errs = append(errs, FieldError{f, m}) }
	c.Hostname = strings.TrimSpace(fd.Hostname)
	if c.Hostname != "" {
		if err := network.CheckHostname(c.Hostname); err != nil {
			bad("Hostname", fmt.Sprintf("%q: %v", c.Hostname, err))
		}
	}
	iface := fd.NIC
	if fd.Bond {
		name := strings.TrimSpace(fd.BondName)
		if name == "" {
			name = "bond0"
		}
		if err := network.CheckIfname(name); err != nil {
			bad("Bond name", err.Error())
		}
		if len(fd.BondNICs) < 1 {
			bad("Bond", "mark at least one NIC (Space) to enslave to "+name)
		} else if _, err := network.ParseBondOptions(fd.BondOpts, fd.BondNICs); err != nil {
			bad("Bond options", err.Error())
		}
		c.Bond = &network.Bond{Name: name, Slaves: append([]string(nil), fd.BondNICs...), Options: strings.TrimSpace(fd.BondOpts)}
		iface = name
	}
	if iface == "" {
		bad("NIC", "choose the management NIC")
	}
	c.BootIf = iface
	switch fd.IPv4Mode {
	case "dhcp", "":
		c.IPs = append(c.IPs, network.IP{Iface: iface, Method: "dhcp"})
	case "off":
		c.IPs = append(c.IPs, network.IP{Iface: iface, Method: "off"})
	case "static":
		ip := network.IP{Iface: iface, Method: "static"}
		p, err := netip.ParsePrefix(strings.TrimSpace(fd.IPv4Addr))
		if err != nil || !p.Addr().Is4() {
			bad("IPv4 address", fmt.Sprintf("%q: expected an IPv4 address with prefix length, e.g. 192.0.2.10/24", fd.IPv4Addr))
		} else {
			ip.Address = p
		}
		fd.static("IPv4", &ip, fd.IPv4GW, bad)
		c.IPs = append(c.IPs, ip)
	}
	switch fd.IPv6Mode {
	case "auto", "":
		c.IPv6 = "auto"
	case "dhcp":
		c.IPv6 = "dhcp"
	case "off":
		c.IPv6 = "none"
	case "static":
		ip := network.IP{Iface: iface, Method: "static"}
		p, err := netip.ParsePrefix(strings.TrimSpace(fd.IPv6Addr))
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
			bad("IPv6 address", fmt.Sprintf("%q: expected an IPv6 address with prefix length, e.g. 2001:db8::10/64", fd.IPv6Addr))
		} else {
			ip.Address = p
		}
		fd.static("IPv6", &ip, fd.IPv6GW, bad)
		c.IPs = append(c.IPs, ip)
	}
	if v := strings.TrimSpace(fd.VLAN); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 4094 {
			bad("VLAN", fmt.Sprintf("%q: expected a VLAN ID from 1 to 4094, or empty for none", v))
		} else {
			c.VLAN = n
		}
	}
	for _, d := range splitList(fd.Search) {
		if err := network.CheckDomain(d); err != nil {
			bad("Search", fmt.Sprintf("%q: %v", d, err))
			continue
		}
		c.Search = append(c.Search, d)
	}
	if m := strings.TrimSpace(fd.MTU); m != "" {
		n, err := strconv.Atoi(m)
		v6 := fd.IPv6Mode == "static" || fd.IPv6Mode == "auto" || fd.IPv6Mode == "dhcp" || fd.IPv6Mode == ""
		switch {
		case err != nil || n < 68 || n > 65535:
			bad("MTU", fmt.Sprintf("%q: expected 68-65535 bytes (1500 is Ethernet's, 9000 jumbo frames), or empty for the default", m))
		case v6 && n < 1280:
			bad("MTU", fmt.Sprintf("%d: IPv6 needs at least 1280 bytes (or turn IPv6 off)", n))
		default:
			for i := range c.IPs {
				c.IPs[i].MTU = n
			}
		}
	}
	for _, s := range splitList(fd.DNS) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			bad("DNS", fmt.Sprintf("%q: expected IP addresses separated by commas", s))
			continue
		}
		c.DNS = append(c.DNS, a)
	}
	if ntp := splitList(fd.NTP); len(ntp) == 1 && ntp[0] == "off" {
		c.NTPOff = true
	} else {
		for _, s := range ntp {
			if !validHostname(s) {
				if _, err := netip.ParseAddr(s); err != nil {
					bad("NTP", fmt.Sprintf("%q: expected host names or addresses separated by commas, or off", s))
					continue
				}
			}
			c.NTP = append(c.NTP, s)
		}
	}
	return c, errs
}

// static checks the parsed static address of ip and sets its gateway
// from gw, by the rules the kernel arguments are checked with.
func (fd FormData) static(fam string, ip *network.IP, gw string, bad func(f, m string)) {
	if ip.Address.IsValid() {
		if err := network.CheckAddress(ip.Address); err != nil {
			bad(fam+" address", err.Error())
			ip.Address = netip.Prefix{}
		}
	}
	gw = strings.TrimSpace(gw)
	if gw == "" {
		return
	}
	a, err := netip.ParseAddr(gw)
	if err != nil || a.Is4() != (fam == "IPv4") {
		bad(fam+" gateway", fmt.Sprintf("%q: expected an %s address", gw, fam))
		return
	}
	if ip.Address.IsValid() {
		if err := network.CheckGateway(ip.Address, a); err != nil {
			bad(fam+" gateway", err.Error())
			return
		}
	}
	ip.Gateway = a
}

// validHostname is network.CheckHostname, the rule the kernel
// arguments and the answer file are checked with.
func validHostname(h string) bool { return network.CheckHostname(h) == nil }

// ToConfig returns base with the form applied: the pure form-data ->
// Config conversion. adminHash is the hash of the typed password ("" keeps
// base's). The TUI's values win over kernel args and the answer file.
func (fd FormData) ToConfig(base installer.Config, adminHash string) (installer.Config, []FieldError) {
	cfg := base
	cfg.Origins = typedOver(base.Origins, fd.Choice.keepsDisks(), fd.Password != "")
	var errs []FieldError
	switch fd.Choice {
	case ChoiceInstall:
		cfg.Action = installer.ActionInstall
	case ChoiceReinstall:
		cfg.Action = installer.ActionReinstall
	case ChoiceUpgrade, ChoiceRepair:
		cfg.Action = installer.ActionUpgrade
	case ChoiceDowngrade:
		cfg.Action = installer.ActionUpgrade
		cfg.Unattended.AllowDowngrade = true
	case ChoiceUninstall:
		cfg.Action = installer.ActionUninstall
	default:
		errs = append(errs, FieldError{"Action", fmt.Sprintf("unknown choice %q", fd.Choice)})
	}
	cfg.Host.Keyboard = fd.Keyboard
	if adminHash != "" {
		cfg.Host.AdminPW = adminHash
	}
	if fd.Choice.keepsDisks() {
		return cfg, errs
	}
	st := base.Storage
	st.Init = true
	if p := fd.BootPath(); p != "" {
		st.Disks = []storage.DiskRef{{Raw: p, Path: p}}
	} else {
		errs = append(errs, FieldError{"Boot disk", "choose the disk to install on"})
	}
	st.AppDisks = nil
	for _, d := range fd.DataDisks {
		st.AppDisks = append(st.AppDisks, storage.DiskRef{Raw: d, Path: d})
	}
	// Consent to erase was given on the Confirm page, which names every disk.
	st.Wipe = "force"
	st.Selectors = nil
	vols, verrs := fd.ParseVolumes()
	errs = append(errs, verrs...)
	st.Volumes = vols
	if len(vols) == 0 {
		st.Volumes = nil
	}
	cfg.Storage = st
	netCfg, nerrs := fd.ParseNetwork()
	errs = append(errs, nerrs...)
	netCfg.Layout = base.Network.Layout
	netCfg.VLANParent = base.Network.VLANParent
	// What the form does not show stays as the kernel arguments said:
	// NIC renames and the further bonds, VLANs and bridges.
	b := base.Network
	netCfg.Ifnames, netCfg.Bonds, netCfg.VLANs, netCfg.Bridges = b.Ifnames, b.Bonds, b.VLANs, b.Bridges
	cfg.Network = netCfg
	return cfg, errs
}

// typedOver drops the origins of the fields the pages set: a problem
// with a value typed here must name the page's field, not the kernel
// argument the value replaced. keepDisks: storage and network are not
// set by the pages (an upgrade keeps them).
func typedOver(origins map[string]installer.Origin, keepDisks, typedPW bool) map[string]installer.Origin {
	out := map[string]installer.Origin{}
	for f, o := range origins {
		typed := f == "action" || f == "host.keyboard" || f == "host.adminpw" && typedPW
		if !keepDisks {
			typed = typed || strings.HasPrefix(f, "storage") || strings.HasPrefix(f, "network")
		}
		if !typed {
			out[f] = o
		}
	}
	return out
}
