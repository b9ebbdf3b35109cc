// Package network probes NICs, plans the management network from the
// Config, applies it live through netlink (static, DHCP, VLAN, bond,
// bridge) and renders the installed system's network files.
package network

import "net/netip"

// NIC is a probed network interface: plain data, recorded in machine profiles.
type NIC struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Driver    string   `json:"driver,omitempty"`
	Vendor    string   `json:"vendor,omitempty"`    // PCI vendor name when known
	Device    string   `json:"device,omitempty"`    // PCI device name when known
	VendorID  string   `json:"vendor_id,omitempty"` // PCI vendor id, 4 hex digits ("8086")
	DeviceID  string   `json:"device_id,omitempty"` // PCI device id, 4 hex digits
	Carrier   bool     `json:"carrier"`
	OperState string   `json:"oper_state,omitempty"`
	SpeedMbps int      `json:"speed_mbps,omitempty"`
	Duplex    string   `json:"duplex,omitempty"`
	MTU       int      `json:"mtu,omitempty"`
	Addrs     []string `json:"addrs,omitempty"` // CIDR
	Virtual   bool     `json:"virtual,omitempty"`
	Loopback  bool     `json:"loopback,omitempty"`
}

// IP is one ip= setting (oVirt/anaconda or dracut form).
type IP struct {
	Iface    string       `json:"iface,omitempty"`  // "" = the management NIC
	Method   string       `json:"method"`           // none|off|dhcp|dhcp6|auto6|on|any|static
	Address  netip.Prefix `json:"address,omitzero"` // static client address
	Peer     netip.Addr   `json:"peer,omitzero"`
	Gateway  netip.Addr   `json:"gateway,omitzero"`
	Hostname string       `json:"hostname,omitempty"`
	MTU      int          `json:"mtu,omitempty"`
	MAC      string       `json:"mac,omitempty"`
	DNS      []netip.Addr `json:"dns,omitempty"` // dracut's trailing DNS servers
	// Arg is the kernel argument as given ("ip=:::::br0:dhcp"), shown in
	// problems instead of the form written back; "" from other sources.
	Arg string `json:"-"`
}

// Bond is bond=NAME:SLAVE,SLAVE[:OPTS].
type Bond struct {
	Name    string   `json:"name"`
	Slaves  []string `json:"slaves"`
	Options string   `json:"options"`       // default "mode=active-backup miimon=100"
	MTU     int      `json:"mtu,omitempty"` // dracut's 4th field, 0 = default
	Arg     string   `json:"-"`             // the kernel argument as given
}

// VLAN is dracut's vlan=<name>:<parent>: a VLAN with the name given
// (vlan0001, vlan2, eth0.3, eth0.0004), the ID taken from it.
type VLAN struct {
	Name   string `json:"name"`
	ID     int    `json:"id"`
	Parent string `json:"parent"`
	Arg    string `json:"-"` // the kernel argument as given
}

// Bridge is dracut's bridge=<name>:<port>[,<port>...]; bare bridge is
// br0 with no ports named: the management NIC is its port.
type Bridge struct {
	Name  string   `json:"name"`
	Ports []string `json:"ports,omitempty"`
	Arg   string   `json:"-"` // the kernel argument as given
}

// Ifname is dracut's ifname=<name>:<MAC>: the NIC with that MAC is
// named so, live and on the installed system.
type Ifname struct {
	Name string `json:"name"`
	MAC  string `json:"mac"` // aa:bb:cc:dd:ee:ff
	Arg  string `json:"-"`   // the kernel argument as given
}

// Config is the network part of the installer Config.
type Config struct {
	// BootIf is BOOTIF as given: ifname, 01-aa-bb-.., aa-bb-.., aa:bb:.., link, bondN.
	BootIf string `json:"bootif,omitempty"`
	// BootIfKey is the argument BootIf came from as spelled (ksdevice
	// for anaconda's); "" = BOOTIF.
	BootIfKey string `json:"-"`
	// BootIfMAC is the normalised MAC (aa:bb:cc:dd:ee:ff) when BootIf names one.
	BootIfMAC string `json:"bootif_mac,omitempty"`
	IPs       []IP   `json:"ips,omitempty"`
	// IPv6 is ipv6=dhcp|auto|none ("" = not given).
	IPv6 string       `json:"ipv6,omitempty"`
	DNS  []netip.Addr `json:"dns,omitempty"`
	// Search are the DNS search domains (resolv.conf's search).
	Search   []string `json:"search,omitempty"`
	NTP      []string `json:"ntp,omitempty"`
	NTPOff   bool     `json:"ntp_off,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
	VLAN     int      `json:"vlan,omitempty"` // 0 = none
	// VLANParent is the IFACE of vlan=ID:IFACE ("" = the management NIC).
	VLANParent string `json:"vlan_parent,omitempty"`
	Bond       *Bond  `json:"bond,omitempty"`
	// Layout is network_layout: "direct" (default) or "bridged".
	Layout string `json:"layout,omitempty"`
	// Bonds are the bond= after the first (which is Bond).
	Bonds []Bond `json:"bonds,omitempty"`
	// VLANs are dracut's named VLANs, vlan=<name>:<parent> (several,
	// on any NIC or bond); the oVirt vlan=ID[:IFACE] is VLAN.
	VLANs   []VLAN   `json:"vlans,omitempty"`
	Bridges []Bridge `json:"bridges,omitempty"`
	Ifnames []Ifname `json:"ifnames,omitempty"`
	// BootDev is dracut's bootdev=: the management interface when
	// several are configured.
	BootDev string `json:"bootdev,omitempty"`
}

// AllBonds returns Bond and Bonds, in the order given.
func (c Config) AllBonds() []Bond {
	var bs []Bond
	if c.Bond != nil {
		bs = append(bs, *c.Bond)
	}
	return append(bs, c.Bonds...)
}
