package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// mgmtKey groups the ip= settings of the management interface.
const mgmtKey = ""

// ipGroup is every ip= for one interface, with their position for errors.
type ipGroup struct {
	name string
	ips  []IP
	mtu  int    // from ip=...:mtu
	mac  string // from ip=...:macaddr
}

// groupIPs assigns each ip= to the management interface or to another
// NIC, bond, VLAN or bridge.
func (b *builder) groupIPs() []*ipGroup {
	cfg := b.cfg
	mgmt := map[string]bool{"": true}
	if b.top != "" {
		mgmt[b.top] = true
	} else if d := b.p.Device; d != "" {
		mgmt[d] = true
		if cfg.VLAN != 0 {
			mgmt[vlanName(d, cfg.VLAN)] = true
		}
	}
	if cfg.Layout == "bridged" {
		mgmt[BridgeName] = true
	}
	groups := []*ipGroup{{name: mgmtKey}}
	byName := map[string]*ipGroup{mgmtKey: groups[0]}
	for _, ip := range cfg.IPs {
		key := ip.Iface
		if mgmt[key] {
			key = mgmtKey
		} else if b.p.Pending() && cfg.VLAN != 0 && strings.HasSuffix(key, fmt.Sprintf(".%d", cfg.VLAN)) {
			key = mgmtKey
		} else if m := b.master[key]; m != "" {
			what := "port"
			if b.virt[m].kind == KindBond {
				what = "slave"
			}
			b.failArg(ipArg(ip), "%s is a %s of %s and takes no address", key, what, b.virt[m].arg)
			continue
		} else if b.virt[key] != nil {
			// a bond, VLAN or bridge besides the management one: configured on its own
		} else if n, ok := b.nic(key); !ok || n.Loopback {
			b.failArg(ipArg(ip), "no NIC named %s; NICs: %s", key, b.nicList())
			continue
		}
		g := byName[key]
		if g == nil {
			g = &ipGroup{name: key}
			byName[key] = g
			groups = append(groups, g)
		}
		g.ips = append(g.ips, ip)
	}
	for _, g := range groups {
		g.mtu, g.mac = b.linkSettings(g)
	}
	return groups
}

// VLANName is the name of VLAN id on parent: parent.ID, or vlanID when
// that is longer than the kernel allows.
func VLANName(parent string, id int) string { return vlanName(parent, id) }

func vlanName(parent string, id int) string {
	n := fmt.Sprintf("%s.%d", parent, id)
	if len(n) > 15 { // IFNAMSIZ-1: the kernel refuses longer names
		n = fmt.Sprintf("vlan%d", id)
	}
	return n
}

// mtuArg is the ip= that set the group's MTU.
func mtuArg(g *ipGroup) string {
	for _, ip := range g.ips {
		if ip.MTU != 0 {
			return ipArg(ip)
		}
	}
	return "ip="
}

// linkSettings are the MTU and MAC given by the ip= of one interface.
func (b *builder) linkSettings(g *ipGroup) (mtu int, mac string) {
	for _, ip := range g.ips {
		arg := ipArg(ip)
		if ip.MTU != 0 {
			if ip.MTU < 68 || ip.MTU > 65535 {
				b.failArg(arg, "MTU %d outside 68-65535", ip.MTU)
			} else if mtu != 0 && mtu != ip.MTU {
				b.failArg(arg, "MTU %d conflicts with MTU %d of another ip=", ip.MTU, mtu)
			} else {
				mtu = ip.MTU
			}
		}
		if ip.MAC != "" {
			m := NormalizeMAC(ip.MAC)
			if m == "" {
				b.failArg(arg, "MAC %q: expected aa:bb:cc:dd:ee:ff", ip.MAC)
			} else {
				mac = m
			}
		}
	}
	return mtu, mac
}

// stack plans the links: the management stack first (NIC or bond with
// its slaves, or the VLAN or bridge named, with what is below it; the
// oVirt vlan= and network_layout=bridged on top), then the interfaces
// other ip= name, then every other bond, VLAN and bridge defined (dracut
// creates them all), each after the links it is stacked on.
func (b *builder) stack(groups []*ipGroup) {
	cfg := b.cfg
	dev := b.p.Device
	byName := map[string]*ipGroup{}
	for _, g := range groups[1:] {
		byName[g.name] = g
	}
	st := &stacker{b: b, groups: byName, done: map[string]bool{}}
	mtu, mac := groups[0].mtu, groups[0].mac
	top := b.top
	if top == "" {
		top = dev
	}
	st.emit(top, mtu, mac)
	devMAC := mac
	if devMAC == "" {
		bottom := dev
		if v := b.virt[dev]; v != nil && len(v.lowers) > 0 {
			bottom = v.lowers[0] // a bond takes its first slave's MAC
		}
		n, _ := b.nic(bottom)
		devMAC = n.MAC
	}
	if cfg.VLAN != 0 && b.top == "" {
		name := vlanName(dev, cfg.VLAN)
		st.add(Link{Name: name, Kind: KindVLAN, Parent: dev, VLANID: cfg.VLAN, MTU: mtu})
		top = name
	}
	if cfg.Layout == "bridged" {
		if v := b.virt[top]; v != nil && v.kind == KindBridge {
			b.failArg("network_layout=bridged", "the management interface %s is a bridge already", top)
		} else {
			st.master[top] = BridgeName
			st.add(Link{Name: BridgeName, Kind: KindBridge, SetMAC: devMAC, MTU: mtu})
			top = BridgeName
		}
	}
	b.p.Mgmt = top
	for _, g := range groups[1:] {
		st.emit(g.name, g.mtu, g.mac)
	}
	for _, name := range b.virtOrder {
		st.emit(name, 0, "")
	}
	for i, l := range st.links {
		if m := st.master[l.Name]; m != "" {
			st.links[i].Master = m
		}
	}
	b.p.Links = st.links
}

// stacker emits links, each once, the lower ones first.
type stacker struct {
	b      *builder
	groups map[string]*ipGroup // the ip= settings of non-management interfaces
	done   map[string]bool
	links  []Link
	master map[string]string // extra masters (the network_layout bridge)
}

func (st *stacker) add(l Link) {
	st.done[l.Name] = true
	st.links = append(st.links, l)
}

// emit adds name and what it is stacked on; mtu and mac are the settings
// its ip= gave (a stack's MTU is every link's in it, as before).
func (st *stacker) emit(name string, mtu int, mac string) {
	if st.master == nil {
		st.master = map[string]string{}
		for k, v := range st.b.master {
			st.master[k] = v
		}
	}
	if st.done[name] {
		return
	}
	if g := st.groups[name]; g != nil {
		if g.mtu != 0 {
			mtu = g.mtu
		}
		if g.mac != "" && mac == "" {
			mac = g.mac
		}
	}
	b := st.b
	v := b.virt[name]
	if v == nil {
		n, _ := b.nic(name)
		st.add(Link{Name: name, Kind: KindNIC, MAC: n.MAC, SetMAC: mac, MTU: mtu, RenamedFrom: b.renamed[name]})
		return
	}
	st.done[name] = true // a cycle, already reported, stops here
	switch v.kind {
	case KindBond:
		if mtu == 0 {
			mtu = v.bond.MTU // bond=...:MTU, unless ip= gives the stack's MTU
		}
		for _, s := range v.lowers {
			st.emit(s, mtu, "")
		}
		opts, _ := ParseBondOptions(v.bond.Options, v.bond.Slaves)
		st.links = append(st.links, Link{Name: name, Kind: KindBond, SetMAC: mac, MTU: mtu,
			Slaves: slices.Clone(v.lowers), BondOptions: opts})
	case KindVLAN:
		st.emit(v.lowers[0], mtu, "")
		st.links = append(st.links, Link{Name: name, Kind: KindVLAN, Parent: v.lowers[0], VLANID: v.vlanID, MTU: mtu})
	case KindBridge:
		for _, p := range v.lowers {
			st.emit(p, mtu, "")
		}
		st.links = append(st.links, Link{Name: name, Kind: KindBridge, SetMAC: mac, MTU: mtu})
	}
}

// addrs plans the address configuration of every interface.
func (b *builder) addrs(groups []*ipGroup) {
	cfg := b.cfg
	for gi, g := range groups {
		mgmt := gi == 0
		if mgmt && b.p.Device == "" && !b.p.Pending() {
			// still check every ip= so all problems show at once
			var scratch IPConfig
			for _, ip := range g.ips {
				b.addIP(&scratch, ip)
			}
			if (len(g.ips) > 0 || cfg.IPv6 != "") && !b.deviceFailed {
				arg := "ipv6=" + cfg.IPv6
				if len(g.ips) > 0 {
					arg = ipArg(g.ips[0])
				}
				b.failArg(arg, "no management interface (give BOOTIF=)")
			}
			continue
		}
		c := IPConfig{Iface: g.name}
		if mgmt {
			c.Iface = b.p.Mgmt
		}
		c.RouteMetric = metric(gi)
		for _, ip := range g.ips {
			b.addIP(&c, ip)
		}
		if mgmt {
			if len(g.ips) == 0 {
				c.DHCP4 = true // BOOTIF alone: DHCP, as oVirt did
			}
			switch cfg.IPv6 {
			case "":
			case "dhcp":
				c.DHCP6 = true
			case "auto":
				c.SLAAC = true
			case "none":
				if c.DHCP6 || c.SLAAC || hasV6(c.Addrs) {
					b.failArg("ipv6=none", "conflicts with an IPv6 setting of ip=")
				}
			default:
				b.failArg("ipv6="+cfg.IPv6, "expected dhcp, auto or none")
			}
		}
		if c.Gateway4.IsValid() {
			b.p.Routes = append(b.p.Routes, Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: c.Gateway4, Dev: c.Iface, Metric: c.RouteMetric})
		}
		if c.Gateway6.IsValid() {
			b.p.Routes = append(b.p.Routes, Route{Dst: netip.MustParsePrefix("::/0"), Gateway: c.Gateway6, Dev: c.Iface, Metric: c.RouteMetric})
		}
		if mtu := g.mtu; mtu != 0 && mtu < 1280 && (c.DHCP6 || c.SLAAC || hasV6(c.Addrs)) {
			b.failArg(mtuArg(g), "MTU %d: IPv6 needs at least 1280", mtu)
		}
		b.p.IPs = append(b.p.IPs, c)
	}
}

// metric is the default route's metric of the gi-th interface: the
// management one's is the kernel's 0, so it carries the default traffic;
// the gateways of other interfaces stand behind it instead of replacing it.
func metric(gi int) int {
	if gi == 0 {
		return 0
	}
	return 100 + gi
}

func hasV6(as []Address) bool {
	for _, a := range as {
		if a.Prefix.Addr().Is6() {
			return true
		}
	}
	return false
}

// addIP adds one ip= to the interface's configuration.
func (b *builder) addIP(c *IPConfig, ip IP) {
	arg := ipArg(ip)
	m := strings.ToLower(ip.Method)
	switch {
	case ip.Address.IsValid():
		switch m {
		case "", "none", "off", "static":
		default:
			b.failArg(arg, "method %s conflicts with the static address %s", ip.Method, ip.Address)
			return
		}
		a := ip.Address
		if a.Addr().IsUnspecified() || a.Addr().IsMulticast() || a.Addr().IsLoopback() {
			b.failArg(arg, "%s is not a host address", a.Addr())
			return
		}
		c.Addrs = append(c.Addrs, Address{Prefix: a, Peer: ip.Peer})
		if ip.Gateway.IsValid() {
			b.gateway(c, ip, arg)
		}
	case ip.Gateway.IsValid():
		b.failArg(arg, "a gateway without a static address")
	case m == "dhcp" || m == "on" || m == "any":
		c.DHCP4 = true
	case m == "dhcp6":
		c.DHCP6 = true
	case m == "auto6":
		c.SLAAC = true
	case m == "off" || m == "none" || m == "":
		// no address configuration: the link is only brought up
	default:
		b.failArg(arg, "unknown method %q: expected none, off, dhcp, dhcp6, auto6, on, any or static", ip.Method)
	}
	if ip.Hostname != "" {
		if err := CheckHostname(ip.Hostname); err != nil {
			b.failArg(arg, "hostname %s: %v", ip.Hostname, err)
		} else if b.p.Hostname == "" {
			b.p.Hostname, b.hostSrc = ip.Hostname, arg
		} else if b.p.Hostname != ip.Hostname && b.hostSrc != "hostname=" {
			b.failArg(arg, "hostname %s conflicts with %s from %s", ip.Hostname, b.p.Hostname, b.hostSrc)
		}
	}
	for _, d := range ip.DNS {
		if !containsAddr(b.p.DNS, d) {
			b.p.DNS = append(b.p.DNS, d)
		}
	}
}

func (b *builder) gateway(c *IPConfig, ip IP, arg string) {
	gw, a := ip.Gateway, ip.Address
	if gw.Is4() != a.Addr().Is4() {
		b.failArg(arg, "gateway %s and address %s are of different IP versions", gw, a)
		return
	}
	if !(gw.Is6() && gw.IsLinkLocalUnicast()) && !a.Masked().Contains(gw) {
		b.failArg(arg, "gateway %s is outside the subnet %s", gw, a.Masked())
		return
	}
	cur := &c.Gateway4
	if gw.Is6() {
		cur = &c.Gateway6
	}
	if cur.IsValid() && *cur != gw {
		b.failArg(arg, "a second gateway %s for %s (already %s)", gw, orMgmt(c.Iface), *cur)
		return
	}
	*cur = gw
}

func orMgmt(s string) string {
	if s == "" {
		return "the management interface"
	}
	return s
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// ipArg is the ip= as given, or written back in dracut's form (an ip=
// that came from an answer file or the TUI), for error messages.
func ipArg(ip IP) string {
	if ip.Arg != "" {
		return ip.Arg
	}
	addr, mask := "", ""
	if ip.Address.IsValid() {
		addr = bracket(ip.Address.Addr())
		if ip.Address.Addr().Is4() {
			mask = maskString(ip.Address.Bits())
		} else {
			mask = strconv.Itoa(ip.Address.Bits())
		}
	}
	method := ip.Method
	if method == "static" {
		method = "none" // dracut's keyword for a static address
	}
	f := []string{addr, bracket(ip.Peer), bracket(ip.Gateway), mask, ip.Hostname, ip.Iface, method}
	if ip.MTU != 0 || ip.MAC != "" {
		f = append(f, "")
		if ip.MTU != 0 {
			f[len(f)-1] = strconv.Itoa(ip.MTU)
		}
	}
	if ip.MAC != "" {
		f = append(f, ip.MAC)
	}
	if addr == "" && len(f) == 7 && ip.Peer == (netip.Addr{}) && !ip.Gateway.IsValid() && ip.Hostname == "" && ip.Iface == "" {
		return "ip=" + ip.Method // the short forms: ip=dhcp, ip=off
	}
	s := "ip=" + strings.Join(f, ":")
	for _, d := range ip.DNS {
		s += ":" + bracket(d)
	}
	return s
}

func bracket(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

func maskString(bits int) string {
	var m uint32
	if bits > 0 {
		m = ^uint32(0) << (32 - bits)
	}
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&255, m>>8&255, m&255)
}
