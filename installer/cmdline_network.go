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
	"bridge":         (*argParser).bridge,
	"ifname":         (*argParser).ifname,
	"bootdev":        (*argParser).bootDev,
	"network_layout": str("network.layout", "direct|bridged", func(c *Config) *string { return &c.Network.Layout }),
}

// bootIf reads BOOTIF (stored as given; derive normalises the MAC).
func (p *argParser) bootIf(prm cmdline.Param) {
	const field = "network.bootif"
	if prm.Key == "ksdevice" && strings.EqualFold(prm.Value, "bootif") {
		return // anaconda's "the NIC BOOTIF names": BOOTIF decides
	}
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
	p.cfg.Network.BootIf, p.cfg.Network.BootIfKey = prm.Value, ""
	if prm.Key != "BOOTIF" {
		p.cfg.Network.BootIfKey = prm.Key
	}
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

// vlan reads the oVirt vlan=ID[:IFACE] (the management VLAN) and
// dracut's vlan=<name>:<parent> (repeatable, on any interface), the ID
// taken from the name as dracut does (vlan0001, vlan2, eth0.3, eth0.0004).
func (p *argParser) vlan(prm cmdline.Param) {
	const field = "network.vlan"
	if !p.needValue(field, prm, "ID[:IFACE]|NAME:PARENT") {
		return
	}
	p.resetList("vlan", func() { p.cfg.Network.VLAN, p.cfg.Network.VLANParent, p.cfg.Network.VLANs = 0, "", nil })
	idText, parent, hasParent := strings.Cut(prm.Value, ":")
	if hasParent {
		if err := network.CheckIfname(parent); err != nil {
			p.problem(field, prm, "parent: %v", err)
			return
		}
	}
	id, err := strconv.Atoi(idText)
	if err != nil {
		if !hasParent {
			p.problem(field, prm, "expects a VLAN ID 1-4094, optionally :IFACE, or dracut's NAME:PARENT")
			return
		}
		p.namedVLAN(prm, idText, parent)
		return
	}
	if id < 1 || id > 4094 {
		p.problem(field, prm, "VLAN ID %d: expects 1-4094", id)
		return
	}
	n := &p.cfg.Network
	if n.VLAN == id && n.VLANParent == parent {
		return // the same vlan= twice
	}
	if n.VLAN == 0 {
		n.VLAN, n.VLANParent = id, parent
		p.origin(field, prm)
		p.origin("network.vlan_parent", prm)
		return
	}
	if !hasParent {
		p.problem(field, prm, "a second vlan=ID needs its parent: vlan=ID:IFACE or vlan=NAME:PARENT (the management VLAN is %d)", n.VLAN)
		return
	}
	p.namedVLAN(prm, network.VLANName(parent, id), parent)
}

// namedVLAN adds a dracut VLAN: its name carries its ID.
func (p *argParser) namedVLAN(prm cmdline.Param, name, parent string) {
	f := fmt.Sprintf("network.vlans[%d]", len(p.cfg.Network.VLANs))
	if err := network.CheckIfname(name); err != nil {
		p.problem(f, prm, "name: %v", err)
		return
	}
	id, err := network.VLANIDOf(name)
	if err != nil {
		p.problem(f, prm, "%v", err)
		return
	}
	for _, v := range p.cfg.Network.VLANs {
		if v.Name == name {
			if v.Parent != parent || v.ID != id {
				p.problem(f, prm, "%s is already VLAN %d on %s (%s)", name, v.ID, v.Parent, v.Arg)
			}
			return // the same vlan= twice: one VLAN
		}
	}
	p.cfg.Network.VLANs = append(p.cfg.Network.VLANs, network.VLAN{Name: name, ID: id, Parent: parent, Arg: prm.Key + "=" + prm.Value})
	p.origin(f, prm)
}

// bond reads bond=NAME:SLAVE[,SLAVE...][:OPTIONS[:MTU]], repeatable (one
// per bond). OPTIONS are key=value pairs separated by ',', ';' or spaces
// (oVirt and dracut separated them by ','); they are stored
// space-separated. The first bond= is network.bond, the others
// network.bonds.
func (p *argParser) bond(prm cmdline.Param) {
	const field = "network.bond"
	if !p.needValue(field, prm, "NAME:SLAVE,SLAVE[:OPTIONS[:MTU]]") {
		return
	}
	p.resetList("bond", func() { p.cfg.Network.Bond, p.cfg.Network.Bonds = nil, nil })
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
	n := &p.cfg.Network
	for _, o := range n.AllBonds() {
		if o.Name == b.Name {
			if o.Arg != b.Arg {
				p.problem(field, prm, "%s is already defined by %s", b.Name, o.Arg)
			}
			return // the same bond= twice: one bond
		}
	}
	if n.Bond == nil {
		n.Bond = &b
		p.origin(field, prm)
		return
	}
	p.origin(fmt.Sprintf("network.bonds[%d]", len(n.Bonds)), prm)
	n.Bonds = append(n.Bonds, b)
}

// bridge reads dracut's bridge=<name>:<port>[,<port>...] (repeatable) and
// bare bridge (br0 on the management NIC; dracut's "on eth0").
func (p *argParser) bridge(prm cmdline.Param) {
	p.resetList("bridge", func() { p.cfg.Network.Bridges = nil })
	f := fmt.Sprintf("network.bridges[%d]", len(p.cfg.Network.Bridges))
	br := network.Bridge{Name: "br0", Arg: prm.Key}
	if prm.HasValue {
		br.Arg += "=" + prm.Value
		name, ports, ok := strings.Cut(prm.Value, ":")
		if !ok || name == "" || ports == "" || strings.Contains(ports, ":") {
			p.problem(f, prm, "expects <bridge>:<port>[,<port>...] (dracut: bridge= requires two parameters), or bare bridge")
			return
		}
		br.Name, br.Ports = name, strings.Split(ports, ",")
		for _, port := range br.Ports {
			if err := network.CheckIfname(port); err != nil {
				p.problem(f, prm, "port: %v", err)
				return
			}
		}
	}
	if err := network.CheckIfname(br.Name); err != nil {
		p.problem(f, prm, "name: %v", err)
		return
	}
	for _, o := range p.cfg.Network.Bridges {
		if o.Name == br.Name {
			if o.Arg != br.Arg {
				p.problem(f, prm, "%s is already defined by %s", br.Name, o.Arg)
			}
			return
		}
	}
	p.cfg.Network.Bridges = append(p.cfg.Network.Bridges, br)
	p.origin(f, prm)
}

// ifname reads dracut's ifname=<name>:<MAC> (repeatable): the NIC with
// that MAC is given that name, live and on the installed system.
func (p *argParser) ifname(prm cmdline.Param) {
	if !p.needValue("network.ifnames", prm, "NAME:aa:bb:cc:dd:ee:ff") {
		return
	}
	p.resetList("ifname", func() { p.cfg.Network.Ifnames = nil })
	f := fmt.Sprintf("network.ifnames[%d]", len(p.cfg.Network.Ifnames))
	name, macText, _ := strings.Cut(prm.Value, ":")
	if err := network.CheckIfname(name); err != nil {
		p.problem(f, prm, "%v", err)
		return
	}
	mac, err := network.ParseMAC(macText)
	if err != nil || strings.Count(macText, ":") != 5 {
		p.problem(f, prm, "expects <name>:<MAC> with the MAC as aa:bb:cc:dd:ee:ff")
		return
	}
	for _, o := range p.cfg.Network.Ifnames {
		switch {
		case o.Name == name && o.MAC == mac:
			return // the same ifname= twice (dracut skips it too)
		case o.MAC == mac:
			p.problem(f, prm, "MAC %s is already named %s (%s)", mac, o.Name, o.Arg)
			return
		case o.Name == name:
			p.problem(f, prm, "%s already names MAC %s (%s)", name, o.MAC, o.Arg)
			return
		}
	}
	p.cfg.Network.Ifnames = append(p.cfg.Network.Ifnames, network.Ifname{Name: name, MAC: mac, Arg: prm.Key + "=" + prm.Value})
	p.origin(f, prm)
}

// bootDev reads dracut's bootdev=<interface>: with several interfaces
// configured, the management one.
func (p *argParser) bootDev(prm cmdline.Param) {
	const field = "network.bootdev"
	if !p.once(field, prm) || !p.needValue(field, prm, "IFACE") {
		return
	}
	if err := network.CheckIfname(prm.Value); err != nil {
		p.problem(field, prm, "%v", err)
		return
	}
	p.cfg.Network.BootDev = prm.Value
	p.origin(field, prm)
}
