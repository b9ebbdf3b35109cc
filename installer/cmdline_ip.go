package installer

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/network"
)

// autoconfMethods are the dracut autoconf keywords the network plan knows.
var autoconfMethods = map[string]bool{
	"none": true, "off": true, "dhcp": true, "dhcp6": true, "auto6": true, "on": true, "any": true,
}

// unsupportedAutoconf are dracut autoconf values this installer does not
// implement, each refused with what to use instead.
var unsupportedAutoconf = map[string]string{
	"ibft":    "the network settings of the iSCSI boot firmware table are not read; give ip=dhcp or a static ip= for the management interface",
	"either6": "DHCPv6 falling back to SLAAC is not implemented; give ip=dhcp6 or ip=auto6",
	"link6":   "an IPv6 link-local-only interface is not implemented; give ip=auto6 (or ip=off for no address)",
}

// ovirtIP is a pending ip=ADDR of the oVirt/anaconda form, completed by
// netmask= and gateway= once every argument is read.
type ovirtIP struct {
	index int // in argParser.ips
	addr  netip.Addr
	bits  int // -1 until known
	prm   cmdline.Param
}

// ipEntry is one ip= read, committed to the Config in resolveIPs.
type ipEntry struct {
	ip  network.IP
	prm cmdline.Param
	bad bool // dropped: its oVirt netmask= could not complete it
	// sub holds origins of sub-fields set by netmask= and gateway=.
	sub map[string]Origin
}

// ip reads one ip= (repeatable, one per interface and address family).
func (p *argParser) ip(prm cmdline.Param) {
	p.given["ip"] = true
	const field = "network.ips"
	if !p.needValue(field, prm, "dhcp|ADDR|<client>:[<peer>]:<gw>:<netmask>:<hostname>:<iface>:<autoconf>...") {
		return
	}
	ip, pending, err := parseIPArg(prm.Value)
	if err != nil {
		p.problem(field, prm, "%v", err)
		return
	}
	ip.Arg = prm.Key + "=" + prm.Value
	if pending != nil {
		if p.ovirtIP != nil {
			p.problem(field, prm, "a second ip=ADDR without an interface; use the dracut form ip=ADDR::GW:MASK::IFACE:none for more interfaces")
			return
		}
		pending.index, pending.prm = len(p.ips), prm
		p.ovirtIP = pending
	}
	p.ips = append(p.ips, ipEntry{ip: ip, prm: prm})
}

// resolveIPs completes the oVirt ip=ADDR and commits the ip= list: given
// on the command line, it replaces the list of an answer file.
func (p *argParser) resolveIPs() {
	p.resolveOvirtIP()
	if !p.given["ip"] {
		return
	}
	p.cfg.Network.IPs = nil
	for _, e := range p.ips {
		if e.bad {
			continue
		}
		f := fmt.Sprintf("network.ips[%d]", len(p.cfg.Network.IPs))
		p.cfg.Network.IPs = append(p.cfg.Network.IPs, e.ip)
		p.origin(f, e.prm)
		for sub, o := range e.sub {
			p.cfg.Origins[f+"."+sub] = o
		}
	}
}

// parseIPArg reads an ip= value. For the oVirt form ip=ADDR without a
// prefix length it returns the address as pending: netmask= completes it.
func parseIPArg(s string) (network.IP, *ovirtIP, error) {
	f, err := splitIPFields(s)
	if err != nil {
		return network.IP{}, nil, err
	}
	if why, ok := unsupportedAutoconf[f[len(f)-1]]; ok && (len(f) == 1 || len(f) == 2 || len(f) == 7) {
		return network.IP{}, nil, fmt.Errorf("%s is not supported by this installer: %s", f[len(f)-1], why)
	}
	if _, _, err := parseAddrPrefix(f[0]); err == nil && len(f) == 4 {
		// pxelinux IPAPPEND 1: <client>:<boot server>:<gw>:<netmask>, on
		// the interface BOOTIF names (oVirt's ovirt-early read it so).
		return parseDracutIP([]string{f[0], "", f[2], f[3], "", "", "none"})
	}
	if len(f) == 1 {
		if autoconfMethods[f[0]] {
			return network.IP{Method: f[0]}, nil, nil
		}
		// oVirt/anaconda: ip=ADDR (+ netmask= + gateway=); ADDR/PREFIX too.
		a, bits, err := parseAddrPrefix(f[0])
		if err != nil {
			return network.IP{}, nil, fmt.Errorf("expects dhcp, off, an address, or the dracut form (%v)", err)
		}
		ip := network.IP{Method: "static"}
		if bits < 0 {
			return ip, &ovirtIP{addr: a, bits: -1}, nil
		}
		ip.Address = netip.PrefixFrom(a, bits)
		return ip, &ovirtIP{addr: a, bits: bits}, nil
	}
	if _, _, err := parseAddrPrefix(f[0]); err != nil && autoconfMethods[f[1]] {
		// ip=<iface>:<autoconf>[:<mtu>][:<macaddr>]
		if err := network.CheckIfname(f[0]); err != nil {
			return network.IP{}, nil, err
		}
		ip := network.IP{Iface: f[0], Method: f[1]}
		return ip, nil, ipTail(&ip, f[2:], false)
	}
	if len(f) < 7 {
		return network.IP{}, nil, fmt.Errorf("has %d fields: expects <client>:[<peer>]:<gw>:<netmask>:<hostname>:<iface>:<autoconf> (7 or more) or <iface>:<autoconf>", len(f))
	}
	return parseDracutIP(f)
}

// parseDracutIP reads <client>:[<peer>]:<gw>:<netmask>:<hostname>:<iface>:<autoconf>[...].
func parseDracutIP(f []string) (network.IP, *ovirtIP, error) {
	ip := network.IP{Hostname: f[4], Iface: f[5], Method: f[6]}
	if !autoconfMethods[ip.Method] {
		return ip, nil, fmt.Errorf("autoconf %q: expects none, off, dhcp, dhcp6, auto6, on or any", f[6])
	}
	if ip.Iface != "" {
		if err := network.CheckIPIface(ip.Iface); err != nil {
			return ip, nil, err
		}
	}
	var err error
	if f[1] != "" {
		if ip.Peer, err = parseBracketAddr(f[1]); err != nil {
			return ip, nil, fmt.Errorf("peer: %v", err)
		}
	}
	if f[2] != "" {
		if ip.Gateway, err = parseBracketAddr(f[2]); err != nil {
			return ip, nil, fmt.Errorf("gateway: %v", err)
		}
	}
	if f[0] != "" {
		if ip.Method != "none" && ip.Method != "off" {
			return ip, nil, fmt.Errorf("a static client address needs autoconf none or off, not %s", ip.Method)
		}
		a, bits, err := parseAddrPrefix(f[0])
		if err != nil {
			return ip, nil, fmt.Errorf("client address: %v", err)
		}
		if f[3] != "" {
			mb, err := ParseNetmask(f[3], a.Is4())
			if err != nil {
				return ip, nil, err
			}
			if bits >= 0 && bits != mb {
				return ip, nil, fmt.Errorf("client address /%d and netmask /%d disagree", bits, mb)
			}
			bits = mb
		}
		if bits < 0 {
			return ip, nil, fmt.Errorf("client address %s needs a netmask (4th field) or a /PREFIX", a)
		}
		ip.Address = netip.PrefixFrom(a, bits)
		ip.Method = "static"
	} else if f[3] != "" {
		return ip, nil, fmt.Errorf("a netmask without a client address")
	}
	return ip, nil, ipTail(&ip, f[7:], true)
}

// ipTail reads what follows the autoconf keyword: [<mtu>][:<macaddr>], or
// for the full form [<dns1>][:<dns2>] (told apart by the first field
// being an address, as dracut does).
func ipTail(ip *network.IP, rest []string, dnsAllowed bool) error {
	if len(rest) == 0 {
		return nil
	}
	if dnsAllowed {
		if _, err := parseBracketAddr(rest[0]); err == nil {
			if len(rest) > 2 {
				return fmt.Errorf("at most two DNS servers after the autoconf field")
			}
			for _, d := range rest {
				if d == "" {
					continue
				}
				a, err := parseBracketAddr(d)
				if err != nil {
					return fmt.Errorf("DNS server: %v", err)
				}
				ip.DNS = append(ip.DNS, a)
			}
			return nil
		}
	}
	if rest[0] != "" {
		n, err := strconv.Atoi(rest[0])
		if err != nil {
			return fmt.Errorf("mtu %q: expects a number (or an address for the DNS form)", rest[0])
		}
		ip.MTU = n
	}
	mac := rest[1:]
	switch len(mac) {
	case 0:
		return nil
	case 1, 6:
		// dracut writes the MAC bare or in brackets ([52:54:00:ab:cd:02]).
		m := strings.TrimSuffix(strings.TrimPrefix(strings.Join(mac, ":"), "["), "]")
		hw, err := net.ParseMAC(m)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("macaddr %q: expects six bytes aa:bb:cc:dd:ee:ff", strings.Join(mac, ":"))
		}
		ip.MAC = hw.String()
		return nil
	}
	return fmt.Errorf("too many fields after the autoconf field: expects [<mtu>][:<macaddr>]")
}

// splitIPFields splits on ':' outside of [brackets].
func splitIPFields(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
			if depth > 1 {
				return nil, fmt.Errorf("nested '['")
			}
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("']' without '['")
			}
		case ':':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("'[' without ']'")
	}
	return append(out, s[start:]), nil
}

// parseBracketAddr reads an address; an IPv6 one may be in brackets.
func parseBracketAddr(s string) (netip.Addr, error) {
	t := s
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		t = t[1 : len(t)-1]
		a, err := netip.ParseAddr(t)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, fmt.Errorf("%q is not an IPv6 address", s)
		}
		return a, nil
	}
	a, err := netip.ParseAddr(t)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	return a.Unmap(), nil
}

// parseAddrPrefix reads ADDR or ADDR/PREFIX (IPv6 in brackets, the
// prefix inside or after them); bits is -1 without a prefix.
func parseAddrPrefix(s string) (netip.Addr, int, error) {
	addr, bitsText, hasBits := s, "", false
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		addr, bitsText, hasBits = s[:i], s[i+1:], true
		if strings.HasPrefix(addr, "[") && !strings.HasSuffix(addr, "]") {
			addr += "]"
			bitsText = strings.TrimSuffix(bitsText, "]")
		}
	}
	a, err := parseBracketAddr(addr)
	if err != nil {
		return a, -1, err
	}
	if !hasBits {
		return a, -1, nil
	}
	bits, err := ParseNetmask(bitsText, a.Is4())
	return a, bits, err
}

// ParseNetmask reads a netmask as a prefix length (24, /64) or, for
// IPv4, dotted (255.255.255.0, contiguous ones only).
func ParseNetmask(s string, v4 bool) (int, error) {
	t := strings.TrimPrefix(s, "/")
	maxBits := 128
	if v4 {
		maxBits = 32
	}
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 || n > maxBits {
			return 0, fmt.Errorf("netmask %q: prefix length must be 1-%d", s, maxBits)
		}
		return n, nil
	}
	m, err := netip.ParseAddr(t)
	if err != nil || !m.Is4() {
		return 0, fmt.Errorf("netmask %q: expects a prefix length or a dotted mask such as 255.255.255.0", s)
	}
	if !v4 {
		return 0, fmt.Errorf("netmask %q: an IPv6 address takes a prefix length such as 64", s)
	}
	b := m.As4()
	ones, size := net.IPv4Mask(b[0], b[1], b[2], b[3]).Size()
	if size == 0 || ones == 0 {
		return 0, fmt.Errorf("netmask %q: not a contiguous mask", s)
	}
	return ones, nil
}

// netmaskArg reads netmask= of the oVirt form (applied in resolveOvirtIP).
func (p *argParser) netmaskArg(prm cmdline.Param) {
	if p.once("network.ips.netmask", prm) && p.needValue("network.ips.netmask", prm, "255.255.255.0|PREFIX") {
		p.netmask = &prm
	}
}

// gatewayArg reads gateway= of the oVirt form (applied in resolveOvirtIP).
func (p *argParser) gatewayArg(prm cmdline.Param) {
	if p.once("network.ips.gateway", prm) && p.needValue("network.ips.gateway", prm, "ADDR") {
		p.gateway = &prm
	}
}

// resolveOvirtIP completes ip=ADDR with netmask= and gateway=.
func (p *argParser) resolveOvirtIP() {
	o := p.ovirtIP
	if o == nil {
		for _, prm := range []*cmdline.Param{p.netmask, p.gateway} {
			if prm != nil {
				p.problem("network.ips", *prm, "needs a static ip=ADDR (the oVirt form); with the dracut form put it in ip= itself")
			}
		}
		return
	}
	e := &p.ips[o.index]
	e.sub = map[string]Origin{}
	sub := e.sub
	if p.netmask != nil {
		bits, err := ParseNetmask(p.netmask.Value, o.addr.Is4())
		switch {
		case err != nil:
			p.problem("network.ips.address", *p.netmask, "%v", err)
			e.bad = true
			return
		case o.bits >= 0 && o.bits != bits:
			p.problem("network.ips.address", *p.netmask, "disagrees with the prefix length /%d of ip=%s", o.bits, o.prm.Value)
			e.bad = true
			return
		}
		o.bits = bits
		sub["address"] = Origin{Arg: p.netmask.Key, Value: p.netmask.Value}
	}
	if o.bits < 0 {
		p.problem("network.ips", o.prm, "a static address needs netmask= (or ADDR/PREFIX)")
		e.bad = true
		return
	}
	e.ip.Address = netip.PrefixFrom(o.addr, o.bits)
	if p.gateway != nil {
		gw, err := parseBracketAddr(p.gateway.Value)
		if err != nil {
			p.problem("network.ips.gateway", *p.gateway, "%v", err)
			return
		}
		e.ip.Gateway = gw
		sub["gateway"] = Origin{Arg: p.gateway.Key, Value: p.gateway.Value}
	}
}
