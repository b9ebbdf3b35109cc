package network

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The network value rules: one copy each, used by the kernel-argument
// reader, the answer-file validation (installer.Config.Validate), this
// package's planner and the TUI's form, so all give the same verdict.

// CheckHostname accepts an RFC 1123 host name (or FQDN): at most 253
// characters, labels of 1-63 letters, digits and '-' that neither start
// nor end with '-', and a last label that is not all digits (that is an
// IPv4 address, not a name); not localhost.
func CheckHostname(h string) error {
	if h == "" {
		return fmt.Errorf("empty host name")
	}
	if len(h) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("expected labels of 1-63 characters separated by dots")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with '-'", l)
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("label %q: only letters, digits and '-' allowed", l)
			}
		}
	}
	if l := strings.ToLower(h); l == "localhost" || strings.HasPrefix(l, "localhost.") {
		return fmt.Errorf("%s names every machine's loopback, not this node", h)
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return fmt.Errorf("the last label %q is all digits (an address, not a name)", labels[len(labels)-1])
	}
	return nil
}

// CheckIPIface checks the interface field of an ip=: an interface name
// or, as dracut and NetworkManager's initrd generator take it, the NIC's
// MAC in the dash form (52-54-00-12-34-62: ':' separates the fields).
func CheckIPIface(n string) error {
	if strings.Count(n, "-") == 5 && NormalizeMAC(n) != "" {
		return nil
	}
	return CheckIfname(n)
}

// CheckIfname accepts what the kernel accepts as an interface name
// (dev_valid_name: 1-15 bytes, not "." or "..", no '/', ':' or
// whitespace), less the characters that cannot survive the kernel
// command line's and the keyfiles' syntax (quotes, '=', ',').
func CheckIfname(n string) error {
	if n == "" || len(n) > 15 || n == "." || n == ".." || strings.ContainsAny(n, "/: \t\n\"'=,") {
		return fmt.Errorf("%q is not a valid interface name (1-15 characters, no '/', ':', ',', '=' or spaces)", n)
	}
	return nil
}

// ParseMAC returns the MAC (aa:bb:cc:dd:ee:ff) written in one of the
// forms kernel command lines carry it: aa:bb:cc:dd:ee:ff,
// aa-bb-cc-dd-ee-ff (any case), or pxelinux's BOOTIF form with the ARP
// hardware type first, TT-aa-bb-cc-dd-ee-ff. dracut strips any type
// byte (Foreman writes 00-, pxelinux 01-); so does this.
func ParseMAC(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ':' })
	seps := strings.Count(s, "-") + strings.Count(s, ":")
	if len(groups) == 7 && strings.Count(s, "-") == 6 {
		groups = groups[1:] // the hardware type byte
		seps--
	}
	if len(groups) != 6 || seps != 5 {
		return "", fmt.Errorf("%q: a MAC address has six bytes (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or pxelinux 01-aa-bb-cc-dd-ee-ff)", s)
	}
	for _, g := range groups {
		if len(g) != 2 || strings.Trim(g, "0123456789abcdef") != "" {
			return "", fmt.Errorf("%q: a MAC address has six bytes of two hex digits each", s)
		}
	}
	return strings.Join(groups, ":"), nil
}

// NormalizeMAC returns ParseMAC's MAC, or "" when s is not a MAC.
func NormalizeMAC(s string) string {
	m, err := ParseMAC(s)
	if err != nil {
		return ""
	}
	return m
}

// CheckAddress checks a static host address with its prefix length: not
// unspecified, multicast or loopback, and in IPv4 subnets of 4 or more
// addresses neither the network nor the broadcast address.
func CheckAddress(p netip.Prefix) error {
	a := p.Addr()
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return fmt.Errorf("%s is not a host address", a)
	}
	if a.Is4() && p.Bits() < 31 {
		m := p.Masked()
		if a == m.Addr() {
			return fmt.Errorf("%s is the network address of %s", a, m)
		}
		if a == lastAddr(m) {
			return fmt.Errorf("%s is the broadcast address of %s", a, m)
		}
	}
	return nil
}

// lastAddr is the last address of the IPv4 prefix m.
func lastAddr(m netip.Prefix) netip.Addr {
	b := m.Addr().As4()
	host := uint32(1)<<(32-m.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// CheckGateway checks the gateway gw of the static address p: same
// family, not the address itself, inside p's subnet (an IPv6 link-local
// gateway is on every link).
func CheckGateway(p netip.Prefix, gw netip.Addr) error {
	a := p.Addr()
	switch {
	case gw.Is4() != a.Is4():
		return fmt.Errorf("gateway %s and address %s are of different IP families", gw, a)
	case gw == a:
		return fmt.Errorf("gateway %s is the node's own address", gw)
	case !p.Masked().Contains(gw) && !(gw.Is6() && gw.IsLinkLocalUnicast()):
		return fmt.Errorf("gateway %s is outside the subnet %s of the static address", gw, p.Masked())
	}
	return nil
}

// CheckDomain accepts a DNS search domain: a host name's syntax, whose
// last label may be anything but all digits.
func CheckDomain(d string) error {
	if err := CheckHostname(d); err != nil && !strings.Contains(err.Error(), "loopback") {
		return err
	}
	return nil
}
