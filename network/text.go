package network

import (
	"fmt"
	"net/netip"
	"strings"
)

// Text is the plan for people: `node-installer plan` and `net` print it.
func (p Plan) Text() string {
	var w strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&w, format, a...) }
	if p.Device == "" && !p.Pending() {
		f("network: not configured (no BOOTIF=, ip=, bond=, vlan= given)\n")
	} else {
		if p.Pending() {
			f("management NIC: first of %s to get carrier (%s)\n", strings.Join(p.Candidates, ", "), p.Source)
		} else {
			f("management interface: %s\n", p.Mgmt)
			f("  chosen by %s: %s\n", p.Source, p.Reason)
		}
		if len(p.Links) > 0 {
			f("links:\n")
		}
		for _, l := range p.Links {
			f("  %-15s %-6s", l.Name, l.Kind)
			if l.MAC != "" {
				f(" mac %s", l.MAC)
			}
			if l.SetMAC != "" {
				f(" set-mac %s", l.SetMAC)
			}
			if l.Kind == KindVLAN {
				f(" id %d on %s", l.VLANID, l.Parent)
			}
			if l.Kind == KindBond {
				f(" slaves %s options %s", strings.Join(l.Slaves, ","), bondOptionsText(l.BondOptions, " "))
			}
			if l.MTU != 0 {
				f(" mtu %d", l.MTU)
			}
			if l.Master != "" {
				f(" port of %s", l.Master)
			}
			if l.RenamedFrom != "" {
				f(" renamed from %s", l.RenamedFrom)
			}
			f("\n")
		}
		for _, c := range p.IPs {
			name := c.Iface
			if name == "" {
				name = "(management)"
			}
			f("addresses of %s:\n", name)
			f("  IPv4: %s\n", v4Text(c))
			f("  IPv6: %s\n", v6Text(c))
		}
		for _, r := range p.Routes {
			f("route: %s via %s dev %s\n", r.Dst, r.Gateway, r.Dev)
		}
	}
	for _, r := range p.Renames {
		live := "probed as " + r.From + ": renamed live"
		if r.From == r.Name {
			live = "named so already"
		}
		f("ifname: %s (%s), %s, and named by %s/10-%s.link on the installed system\n", r.Name, r.MAC, live, LinkDir, r.Name)
	}
	f("DNS: %s\n", orNone(addrsText(p.DNS)))
	if len(p.Search) > 0 {
		f("DNS search: %s\n", strings.Join(p.Search, " "))
	}
	switch {
	case p.NTPOff:
		f("NTP: off\n")
	case len(p.NTP) > 0:
		f("NTP: %s\n", strings.Join(p.NTP, ", "))
	default:
		f("NTP: the image's default\n")
	}
	f("hostname: %s\n", orNone(p.Hostname))
	return w.String()
}

func v4Text(c IPConfig) string {
	var s []string
	if c.DHCP4 {
		s = append(s, "DHCP")
	}
	for _, a := range c.Addrs {
		if a.Prefix.Addr().Is4() {
			s = append(s, addrText(a))
		}
	}
	if c.Gateway4.IsValid() {
		s = append(s, "gateway "+c.Gateway4.String())
	}
	return orNone(strings.Join(s, ", "))
}

func v6Text(c IPConfig) string {
	var s []string
	if c.DHCP6 {
		s = append(s, "DHCPv6")
	}
	if c.SLAAC {
		s = append(s, "SLAAC")
	}
	for _, a := range c.Addrs {
		if a.Prefix.Addr().Is6() {
			s = append(s, addrText(a))
		}
	}
	if c.Gateway6.IsValid() {
		s = append(s, "gateway "+c.Gateway6.String())
	}
	return orNone(strings.Join(s, ", "))
}

func addrText(a Address) string {
	if a.Peer.IsValid() {
		return a.Prefix.String() + " peer " + a.Peer.String()
	}
	return a.Prefix.String()
}

func addrsText(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func bondOptionsText(opts []BondOption, sep string) string {
	s := make([]string, len(opts))
	for i, o := range opts {
		s[i] = o.Key + "=" + o.Value
	}
	return strings.Join(s, sep)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
