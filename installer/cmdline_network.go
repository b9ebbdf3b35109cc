package installer

import (
	"fmt"
	"strconv"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/network"
)

// networkHandlers read the network arguments.
var networkHandlers = map[string]argHandler{
	"BOOTIF":         (*argParser).bootIf,
	"ip":             (*argParser).ip,
	"netmask":        (*argParser).netmaskArg,
	"gateway":        (*argParser).gatewayArg,
	"ipv6":           str("network.ipv6", "dhcp|auto|none", func(c *Config) *string { return &c.Network.IPv6 }),
	"dns":            (*argParser).dns,
	"ntp":            (*argParser).ntp,
	"hostname":       str("network.hostname", "NAME", func(c *Config) *string { return &c.Network.Hostname }),
	"vlan":           (*argParser).vlan,
	"bond":           (*argParser).bond,
	"network_layout": str("network.layout", "direct|bridged", func(c *Config) *string { return &c.Network.Layout }),
}

// bootIf reads BOOTIF (stored as given; derive normalises the MAC).
func (p *argParser) bootIf(prm cmdline.Param) {
	const field = "network.bootif"
	if first, dup := p.seen[prm.Key]; dup {
		// The same MAC in another form (pxelinux's 01-... and a
		// template's aa:bb:...) is one BOOTIF, not a conflict.
		a, errA := BootIfMAC(first.Value)
		b, errB := BootIfMAC(prm.Value)
		if errA == nil && errB == nil && a != "" && a == b {
			return
		}
	}
	if !p.once(field, prm) || !p.needValue(field, prm, "IFNAME|01-aa-bb-cc-dd-ee-ff|aa:bb:cc:dd:ee:ff|link|bondN") {
		return
	}
	if _, err := BootIfMAC(prm.Value); err != nil {
		p.problem(field, prm, "%v", err)
		return
	}
	p.cfg.Network.BootIf = prm.Value
	p.origin(field, prm)
}

// BootIfMAC returns the normalised MAC (aa:bb:cc:dd:ee:ff) BOOTIF names,
// "" when it names an interface, link or a bond; an error when it is
// neither a MAC nor a valid interface name. The MAC forms are
// network.ParseMAC's (any pxelinux hardware type byte stripped, as
// dracut does).
func BootIfMAC(s string) (string, error) {
	if mac, err := network.ParseMAC(s); err == nil {
		if b, _ := strconv.ParseUint(mac[:2], 16, 8); b&1 == 1 {
			// The multicast bit: no NIC has this address; most likely a
			// pxelinux value that lost a byte.
			return "", fmt.Errorf("%q is a multicast address, not a NIC's; the pxelinux form is 01- followed by six bytes", s)
		}
		return mac, nil
	}
	if looksLikeMAC(s) {
		return "", fmt.Errorf("%q: a MAC address has six bytes (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or pxelinux 01-aa-bb-cc-dd-ee-ff)", s)
	}
	if err := network.CheckIfname(s); err != nil {
		return "", err
	}
	return "", nil
}

// looksLikeMAC tells a mistyped MAC from an interface name: two or more
// '-'/':' separated groups of at most two hex digits.
func looksLikeMAC(s string) bool {
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ':' })
	if len(groups) < 3 {
		return false
	}
	for _, g := range groups {
		if len(g) > 2 || !isHex(g) {
			return strings.Count(s, ":")+strings.Count(s, "-") >= 4
		}
	}
	return true
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return s != ""
}

// dns reads dns=ADDR[,ADDR...] (repeatable: lists are joined).
func (p *argParser) dns(prm cmdline.Param) {
	p.resetList("dns", func() { p.cfg.Network.DNS = nil })
	const field = "network.dns"
	if !p.needValue(field, prm, "ADDR[,ADDR...]") {
		return
	}
	for _, s := range strings.Split(prm.Value, ",") {
		a, err := parseBracketAddr(s)
		if err != nil {
			p.problem(field, prm, "%v", err)
			continue
		}
		p.cfg.Network.DNS = append(p.cfg.Network.DNS, a)
	}
	p.origin(field, prm)
}

// ntp reads ntp=SERVER[,SERVER...] or ntp=off.
func (p *argParser) ntp(prm cmdline.Param) {
	p.resetList("ntp", func() { p.cfg.Network.NTP, p.cfg.Network.NTPOff = nil, false })
	const field = "network.ntp"
	if !p.needValue(field, prm, "SERVER[,SERVER...]|off") {
		return
	}
	if prm.Value == "off" {
		p.cfg.Network.NTPOff = true
	} else {
		p.cfg.Network.NTP = append(p.cfg.Network.NTP, strings.Split(prm.Value, ",")...)
	}
	p.origin(field, prm)
}

// vlan reads vlan=ID[:IFACE], and dracut's vlan=NAME:IFACE when NAME
// carries the ID (eth0.100, vlan100, vlan0100).
func (p *argParser) vlan(prm cmdline.Param) {
	const field = "network.vlan"
	if !p.once(field, prm) || !p.needValue(field, prm, "ID[:IFACE]") {
		return
	}
	idText, parent, hasParent := strings.Cut(prm.Value, ":")
	id, err := strconv.Atoi(idText)
	if err != nil && hasParent {
		// dracut form: the VLAN's name holds the ID.
		name := idText
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			id, err = strconv.Atoi(name[i+1:])
		} else if strings.HasPrefix(name, "vlan") {
			id, err = strconv.Atoi(name[4:])
		}
	}
	if err != nil {
		p.problem(field, prm, "expects a VLAN ID 1-4094, optionally :IFACE (or dracut's NAME.ID:IFACE)")
		return
	}
	if id < 1 || id > 4094 {
		p.problem(field, prm, "VLAN ID %d: expects 1-4094", id)
		return
	}
	if hasParent {
		if err := network.CheckIfname(parent); err != nil {
			p.problem(field, prm, "parent: %v", err)
			return
		}
	}
	p.cfg.Network.VLAN, p.cfg.Network.VLANParent = id, parent
	p.origin(field, prm)
	p.origin("network.vlan_parent", prm)
}

// bond reads bond=NAME:SLAVE[,SLAVE...][:OPTIONS[:MTU]]. OPTIONS are
// key=value pairs separated by ',', ';' or spaces (oVirt and dracut
// separated them by ','); they are stored space-separated.
func (p *argParser) bond(prm cmdline.Param) {
	const field = "network.bond"
	if !p.once(field, prm) || !p.needValue(field, prm, "NAME:SLAVE,SLAVE[:OPTIONS]") {
		return
	}
	f := strings.SplitN(prm.Value, ":", 4)
	if len(f) < 2 || f[1] == "" {
		p.problem(field, prm, "expects NAME:SLAVE,SLAVE[:OPTIONS[:MTU]] (the slaves are required)")
		return
	}
	b := network.Bond{Name: f[0], Slaves: strings.Split(f[1], ","), Options: network.DefaultBondOptions, Arg: prm.Key + "=" + prm.Value}
	if len(f) > 2 && strings.TrimSpace(f[2]) != "" {
		b.Options = strings.Join(strings.FieldsFunc(f[2], func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\t'
		}), " ")
	}
	if len(f) > 3 && f[3] != "" {
		n, err := strconv.Atoi(f[3])
		if err != nil {
			p.problem(field, prm, "mtu %q: expects a number", f[3])
			return
		}
		b.MTU = n
	}
	p.cfg.Network.Bond = &b
	p.origin(field, prm)
}
