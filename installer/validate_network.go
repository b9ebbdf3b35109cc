package installer

import (
	"fmt"
	"slices"
	"strings"

	"node-installer/network"
)

func (v *validator) network() {
	n := &v.c.Network
	mac, err := BootIfMAC(n.BootIf)
	switch {
	case n.BootIf == "":
	case err != nil:
		v.add("network.bootif", "%v", err)
	case mac == "" && strings.HasPrefix(n.BootIf, "bond") && !slices.ContainsFunc(n.AllBonds(), func(b network.Bond) bool { return b.Name == n.BootIf }):
		v.add("network.bootif", "names %s but no bond= defines it", n.BootIf)
	}
	v.ips(n)
	for i, d := range n.DNS {
		if !d.IsValid() || d.IsUnspecified() || d.IsMulticast() {
			v.add(fmt.Sprintf("network.dns[%d]", i), "%s is not a DNS server address", d)
		}
	}
	for i, d := range n.Search {
		if err := network.CheckDomain(d); err != nil {
			v.add(fmt.Sprintf("network.search[%d]", i), "%q is not a search domain: %v", d, err)
		}
	}
	if n.NTPOff && len(n.NTP) > 0 {
		v.add("network.ntp", "ntp=off together with NTP servers")
	}
	for i, s := range n.NTP {
		if !validHost(s) {
			v.add(fmt.Sprintf("network.ntp[%d]", i), "%q: expects a host name or an IP address", s)
		}
	}
	if n.Hostname != "" && !ValidHostname(n.Hostname) {
		v.add("network.hostname", "not a valid host name (RFC 1123: labels of letters, digits and '-', at most 63 characters each, 253 in all)")
	}
	switch n.IPv6 {
	case "", "dhcp", "auto", "none":
	default:
		v.add("network.ipv6", "expects dhcp, auto or none")
	}
	switch n.Layout {
	case "", "direct", "bridged":
	default:
		v.add("network.layout", "expects direct or bridged")
	}
	if n.VLAN != 0 || n.VLANParent != "" {
		if n.VLAN < 1 || n.VLAN > 4094 {
			v.add("network.vlan", "VLAN ID %d: expects 1-4094", n.VLAN)
		}
		if n.VLANParent != "" {
			if err := network.CheckIfname(n.VLANParent); err != nil {
				v.add("network.vlan_parent", "%v", err)
			}
		}
	}
	v.bond(n)
}

// ipFamilies says which address families an ip= entry configures.
func ipFamilies(ip network.IP) (v4, v6 bool) {
	switch {
	case ip.Address.IsValid():
		return ip.Address.Addr().Is4(), ip.Address.Addr().Is6()
	case ip.Method == "dhcp":
		return true, false
	case ip.Method == "dhcp6" || ip.Method == "auto6":
		return false, true
	}
	return true, true // on, any, off, none
}

func (v *validator) ips(n *network.Config) {
	type famKey struct {
		iface string
		v6    bool
	}
	used := map[famKey]int{}
	for i, ip := range n.IPs {
		f := fmt.Sprintf("network.ips[%d]", i)
		if ip.Iface != "" {
			if err := network.CheckIPIface(ip.Iface); err != nil {
				v.add(f+".iface", "%v", err)
			}
		}
		static := ip.Method == "static"
		switch {
		case static && !ip.Address.IsValid():
			v.add(f+".address", "a static configuration needs an address with a prefix length")
		case !static && !autoconfMethods[ip.Method]:
			v.add(f+".method", "unknown method %q: expects static, none, off, dhcp, dhcp6, auto6, on or any", ip.Method)
		case !static && ip.Address.IsValid():
			v.add(f+".address", "an address goes with method static, not %s", ip.Method)
		}
		if ip.Address.IsValid() {
			v.staticIP(f, ip)
		} else if ip.Gateway.IsValid() {
			v.add(f+".gateway", "a gateway needs a static address")
		}
		if ip.MTU != 0 && (ip.MTU < 68 || ip.MTU > 65535 || (ip.Address.IsValid() && ip.Address.Addr().Is6() && ip.MTU < 1280)) {
			v.add(f+".mtu", "MTU %d: expects 68-65535 (1280 or more for IPv6)", ip.MTU)
		}
		if ip.Hostname != "" && !ValidHostname(ip.Hostname) {
			v.add(f+".hostname", "not a valid host name (RFC 1123)")
		}
		if ip.Hostname != "" && n.Hostname != "" && !strings.EqualFold(ip.Hostname, n.Hostname) {
			v.add(f+".hostname", "host name %q differs from hostname=%s", ip.Hostname, n.Hostname)
		}
		for j, d := range ip.DNS {
			if !d.IsValid() || d.IsUnspecified() || d.IsMulticast() {
				v.add(fmt.Sprintf("%s.dns[%d]", f, j), "%s is not a DNS server address", d)
			}
		}
		v4, v6 := ipFamilies(ip)
		for _, fam := range []struct {
			on bool
			v6 bool
		}{{v4, false}, {v6, true}} {
			if !fam.on {
				continue
			}
			k := famKey{ip.Iface, fam.v6}
			if prev, dup := used[k]; dup {
				what := "the management interface"
				if ip.Iface != "" {
					what = ip.Iface
				}
				v.add(f, "configures %s again (already network.ips[%d]); give one ip= per interface and address family", what, prev)
				break
			}
			used[k] = i
		}
		if n.IPv6 == "none" && v6 && ip.Address.IsValid() {
			v.add(f, "an IPv6 address while ipv6=none")
		}
	}
}

// staticIP checks a static address, its gateway and peer.
func (v *validator) staticIP(f string, ip network.IP) {
	a := ip.Address.Addr()
	if err := network.CheckAddress(ip.Address); err != nil {
		v.add(f+".address", "%v", err)
		return
	}
	if ip.Gateway.IsValid() {
		if err := network.CheckGateway(ip.Address, ip.Gateway); err != nil {
			v.add(f+".gateway", "%v", err)
		}
	}
	if ip.Peer.IsValid() && ip.Peer.Is4() != a.Is4() {
		v.add(f+".peer", "peer %s and address %s are of different IP families", ip.Peer, a)
	}
}

func (v *validator) bond(n *network.Config) {
	if n.Bond != nil {
		v.oneBond(n, *n.Bond, "network.bond")
	}
	for i, b := range n.Bonds {
		v.oneBond(n, b, fmt.Sprintf("network.bonds[%d]", i))
	}
}

func (v *validator) oneBond(n *network.Config, b network.Bond, f string) {
	if err := network.CheckIfname(b.Name); err != nil {
		v.add(f+".name", "%v", err)
	}
	if len(b.Slaves) == 0 {
		v.add(f+".slaves", "a bond needs at least one slave")
	}
	seen := map[string]bool{}
	for _, s := range b.Slaves {
		switch err := network.CheckIfname(s); {
		case err != nil:
			v.add(f+".slaves", "slave: %v", err)
		case s == b.Name:
			v.add(f+".slaves", "%s cannot enslave itself", s)
		case seen[s]:
			v.add(f+".slaves", "slave %s is listed twice", s)
		}
		seen[s] = true
	}
	if seen[n.VLANParent] {
		v.add("network.vlan_parent", "VLAN parent %s is a slave of %s: put the VLAN on %s", n.VLANParent, b.Name, b.Name)
	}
	for i, ip := range n.IPs {
		if seen[ip.Iface] {
			v.add(fmt.Sprintf("network.ips[%d].iface", i), "%s is a slave of %s and takes no address", ip.Iface, b.Name)
		}
	}
	if _, err := network.ParseBondOptions(b.Options, b.Slaves); err != nil {
		v.add(f+".options", "%v", err)
	}
	if b.MTU != 0 && (b.MTU < 68 || b.MTU > 65535) {
		v.add(f+".mtu", "MTU %d: expects 68-65535", b.MTU)
	}
}

// derive fills the fields computed from others after any source set
// them: the normalised BOOTIF MAC and the default bond options.
func (c *Config) derive() {
	n := &c.Network
	if mac, err := BootIfMAC(n.BootIf); err == nil && n.BootIf != "" {
		n.BootIfMAC = mac
	}
	if n.Bond != nil && strings.TrimSpace(n.Bond.Options) == "" {
		n.Bond.Options = network.DefaultBondOptions
	}
}
