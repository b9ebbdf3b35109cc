package network

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/google/uuid"
)

// File is one file of the installed system, its path relative to the
// target root (e.g. etc/NetworkManager/system-connections/eth0.nmconnection).
type File struct {
	Path string      `json:"path"`
	Mode os.FileMode `json:"mode"`
	Data []byte      `json:"data"`
}

// KeyfileDir is where NetworkManager reads its keyfiles, relative to the root.
const KeyfileDir = "etc/NetworkManager/system-connections"

// uuidSpace makes the keyfiles' connection UUIDs stable: the same plan
// always renders the same bytes.
var uuidSpace = uuid.MustParse("0b6f0e8a-5d2c-4c43-9a58-6e0c3e0b7d11")

// Render returns the installed system's network files for the plan: one
// NetworkManager keyfile per planned link (mode 0600: NetworkManager
// ignores keyfiles others can read), /etc/hostname, /etc/hosts and
// chrony's configuration when ntp= names servers. Pure.
func Render(p Plan) []File {
	var files []File
	if !p.Pending() {
		for _, l := range p.Links {
			files = append(files, File{
				Path: path.Join(KeyfileDir, l.Name+".nmconnection"),
				Mode: 0o600,
				Data: []byte(keyfile(p, l)),
			})
		}
	}
	for _, r := range p.Renames {
		files = append(files, File{Path: path.Join(LinkDir, "10-"+r.Name+".link"), Mode: 0o644, Data: []byte(linkFile(r))})
	}
	if p.Hostname != "" {
		files = append(files, File{Path: "etc/hostname", Mode: 0o644, Data: []byte(p.Hostname + "\n")})
	}
	files = append(files, File{Path: "etc/hosts", Mode: 0o644, Data: []byte(hosts(p))})
	if len(p.NTP) > 0 && !p.NTPOff {
		files = append(files, File{Path: "etc/chrony.conf", Mode: 0o644, Data: []byte(chrony(p.NTP))})
	}
	return files
}

// LinkDir is where systemd-udevd reads .link files, relative to the root.
const LinkDir = "etc/systemd/network"

// linkFile names the NIC with r's MAC as ifname= asked, on every boot of
// the installed system (dracut wrote an udev rule in the initramfs).
func linkFile(r Rename) string {
	return "# Written by node-installer from ifname=" + r.Name + ":" + r.MAC + " (probed as " + r.From + ").\n" +
		"[Match]\nMACAddress=" + r.MAC + "\n\n[Link]\nName=" + r.Name + "\n"
}

// ipFor returns the address configuration of the interface, if any.
func (p Plan) ipFor(name string) (IPConfig, bool) {
	for _, c := range p.IPs {
		if c.Iface == name {
			return c, true
		}
	}
	return IPConfig{}, false
}

func keyfile(p Plan, l Link) string {
	var w strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&w, "%s=%s\n", k, v) }
	typ := map[LinkKind]string{KindNIC: "ethernet", KindBond: "bond", KindVLAN: "vlan", KindBridge: "bridge"}[l.Kind]
	w.WriteString("[connection]\n")
	kv("id", l.Name)
	kv("uuid", uuid.NewSHA1(uuidSpace, []byte(l.Name)).String())
	kv("type", typ)
	kv("interface-name", l.Name)
	kv("autoconnect", "true")
	if l.Master != "" {
		master, _ := p.Link(l.Master)
		kv("master", l.Master)
		kv("slave-type", string(master.Kind))
	}
	if l.Kind == KindBond || l.Kind == KindBridge {
		// bring the ports up with the bond/bridge, as the installer did live
		kv("autoconnect-slaves", "1")
	}
	if l.MAC != "" || l.SetMAC != "" || l.MTU != 0 {
		w.WriteString("\n[ethernet]\n")
		if l.MAC != "" && l.Kind == KindNIC {
			kv("mac-address", strings.ToUpper(l.MAC))
		}
		if l.SetMAC != "" {
			kv("cloned-mac-address", strings.ToUpper(l.SetMAC))
		}
		if l.MTU != 0 {
			kv("mtu", fmt.Sprint(l.MTU))
		}
	}
	switch l.Kind {
	case KindBond:
		w.WriteString("\n[bond]\n")
		for _, o := range l.BondOptions {
			kv(o.Key, o.Value)
		}
	case KindVLAN:
		w.WriteString("\n[vlan]\n")
		kv("id", fmt.Sprint(l.VLANID))
		kv("parent", l.Parent)
	case KindBridge:
		w.WriteString("\n[bridge]\n")
		kv("stp", "false")
		kv("forward-delay", "0")
	}
	if l.Master != "" {
		return w.String() // a port carries no addresses
	}
	c, ok := p.ipFor(l.Name)
	w.WriteString("\n[ipv4]\n")
	v4, v6 := 0, 0
	for _, a := range c.Addrs {
		if a.Prefix.Addr().Is4() {
			v4++
			kv(fmt.Sprintf("address%d", v4), a.Prefix.String())
		} else {
			v6++
		}
	}
	switch {
	case c.DHCP4:
		kv("method", "auto")
	case v4 > 0:
		kv("method", "manual")
	default:
		kv("method", "disabled")
	}
	if c.Gateway4.IsValid() {
		kv("gateway", c.Gateway4.String())
	}
	if c.RouteMetric != 0 && (c.DHCP4 || v4 > 0) {
		kv("route-metric", fmt.Sprint(c.RouteMetric))
	}
	mgmt := ok && l.Name == p.Mgmt
	if mgmt {
		dnsKeys(&w, p, true, c.DHCP4)
	}
	w.WriteString("\n[ipv6]\n")
	n := 0
	for _, a := range c.Addrs {
		if a.Prefix.Addr().Is6() {
			n++
			kv(fmt.Sprintf("address%d", n), a.Prefix.String())
		}
	}
	switch {
	case c.SLAAC:
		kv("method", "auto") // also runs DHCPv6 when the router says so
	case c.DHCP6:
		kv("method", "dhcp")
	case v6 > 0:
		kv("method", "manual")
	default:
		kv("method", "disabled")
	}
	if c.Gateway6.IsValid() {
		kv("gateway", c.Gateway6.String())
	}
	if c.RouteMetric != 0 && (c.DHCP6 || c.SLAAC || v6 > 0) {
		kv("route-metric", fmt.Sprint(c.RouteMetric))
	}
	if mgmt {
		dnsKeys(&w, p, false, c.DHCP6 || c.SLAAC)
	}
	for _, a := range c.Addrs {
		if a.Peer.IsValid() {
			fmt.Fprintf(&w, "# peer %s of %s: not expressible in a keyfile\n", a.Peer, a.Prefix)
		}
	}
	return w.String()
}

// dnsKeys writes the family's dns= servers; given servers override the
// ones DHCP brings, as the installer did live.
func dnsKeys(w *strings.Builder, p Plan, v4, auto bool) {
	var s []string
	for _, d := range p.DNS {
		if d.Is4() == v4 {
			s = append(s, d.String())
		}
	}
	if len(p.Search) > 0 && (v4 || len(s) > 0) {
		fmt.Fprintf(w, "dns-search=%s;\n", strings.Join(p.Search, ";"))
	}
	if len(s) == 0 {
		return
	}
	fmt.Fprintf(w, "dns=%s;\n", strings.Join(s, ";"))
	if auto {
		w.WriteString("ignore-auto-dns=true\n")
	}
}

func hosts(p Plan) string {
	var w strings.Builder
	w.WriteString("127.0.0.1   localhost localhost.localdomain localhost4\n")
	w.WriteString("::1         localhost localhost.localdomain localhost6\n")
	if p.Hostname == "" {
		return w.String()
	}
	names := p.Hostname
	if short, _, ok := strings.Cut(p.Hostname, "."); ok {
		names += " " + short
	}
	if c, ok := p.ipFor(p.Mgmt); ok && p.Mgmt != "" {
		for _, a := range c.Addrs {
			fmt.Fprintf(&w, "%-11s %s\n", a.Prefix.Addr(), names)
		}
	}
	return w.String()
}

func chrony(servers []string) string {
	var w strings.Builder
	w.WriteString("# Written by node-installer from ntp=.\n")
	for _, s := range servers {
		fmt.Fprintf(&w, "server %s iburst\n", s)
	}
	w.WriteString("driftfile /var/lib/chrony/drift\nmakestep 1.0 3\nrtcsync\nlogdir /var/log/chrony\n")
	return w.String()
}
