package network

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// LinkKind is the kind of a planned link.
type LinkKind string

// Link kinds, in the order a stack is built: NICs and bonds at the bottom,
// a VLAN above, a bridge on top.
const (
	KindNIC    LinkKind = "nic"
	KindBond   LinkKind = "bond"
	KindVLAN   LinkKind = "vlan"
	KindBridge LinkKind = "bridge"
)

// BridgeName is the management bridge of network_layout=bridged; oVirt's
// engine expects this very name.
const BridgeName = "ovirtmgmt"

// DefaultBondOptions are the options of a bond= without options.
const DefaultBondOptions = "mode=active-backup miimon=100"

// Link is one link the plan configures. Plan.Links lists lower links
// before the links stacked on them.
type Link struct {
	Name string   `json:"name"`
	Kind LinkKind `json:"kind"`
	// MAC is a NIC's own address, used to match it in the target's files.
	MAC string `json:"mac,omitempty"`
	// SetMAC is the address to give the link (ip=...:macaddr, or the
	// bridge taking its port's address so DHCP reservations keep working).
	SetMAC string `json:"set_mac,omitempty"`
	MTU    int    `json:"mtu,omitempty"`
	// Master is the bond or bridge this link is a port of.
	Master string `json:"master,omitempty"`
	// Parent and VLANID describe a VLAN link.
	Parent string `json:"parent,omitempty"`
	VLANID int    `json:"vlan_id,omitempty"`
	// Slaves and BondOptions describe a bond.
	Slaves      []string     `json:"slaves,omitempty"`
	BondOptions []BondOption `json:"bond_options,omitempty"`
}

// BondOption is one key=value of bond= options, in the order given.
type BondOption struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Address is a static address with its optional point-to-point peer.
type Address struct {
	Prefix netip.Prefix `json:"prefix"`
	Peer   netip.Addr   `json:"peer,omitzero"`
}

// IPConfig is the address configuration of one interface.
type IPConfig struct {
	Iface    string     `json:"iface"`
	DHCP4    bool       `json:"dhcp4,omitempty"`
	DHCP6    bool       `json:"dhcp6,omitempty"`
	SLAAC    bool       `json:"slaac,omitempty"`
	Addrs    []Address  `json:"addrs,omitempty"`
	Gateway4 netip.Addr `json:"gateway4,omitzero"`
	Gateway6 netip.Addr `json:"gateway6,omitzero"`
}

// Route is a route the plan adds (default routes of static gateways).
type Route struct {
	Dst     netip.Prefix `json:"dst"`
	Gateway netip.Addr   `json:"gateway"`
	Dev     string       `json:"dev"`
}

// Plan is the whole network configuration, live and on the target.
type Plan struct {
	// Mgmt is the interface carrying the management addresses: the
	// bridge, VLAN, bond or NIC at the top of the management stack; ""
	// when no network is configured.
	Mgmt string `json:"mgmt,omitempty"`
	// Device is the NIC or bond at the bottom of the management stack;
	// "" while BOOTIF=link waits for carrier (see Candidates).
	Device string `json:"device,omitempty"`
	// Source is the argument that chose Device, Reason says how.
	Source string `json:"source,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Candidates are the NICs BOOTIF=link chooses from when none had
	// carrier at probe time: Apply takes the first to get carrier.
	Candidates []string     `json:"candidates,omitempty"`
	Links      []Link       `json:"links,omitempty"`
	IPs        []IPConfig   `json:"ips,omitempty"` // the management interface first
	Routes     []Route      `json:"routes,omitempty"`
	DNS        []netip.Addr `json:"dns,omitempty"`
	NTP        []string     `json:"ntp,omitempty"`
	NTPOff     bool         `json:"ntp_off,omitempty"`
	Hostname   string       `json:"hostname,omitempty"`

	// in keeps what the plan was made from, so a pending BOOTIF=link
	// plan can be resolved once Apply has seen carrier.
	in *planInput
}

type planInput struct {
	cfg  Config
	nics []NIC
}

// Pending reports whether the management NIC is still to be chosen by
// carrier (BOOTIF=link with no carrier at probe time).
func (p Plan) Pending() bool { return p.Device == "" && len(p.Candidates) > 0 }

// Resolve returns the plan made with dev as the management NIC; Apply
// calls it with the first candidate that got carrier.
func (p Plan) Resolve(dev string) (Plan, error) {
	if !slices.Contains(p.Candidates, dev) {
		return Plan{}, fmt.Errorf("resolve BOOTIF=link: %s is not a candidate (%s)", dev, strings.Join(p.Candidates, ", "))
	}
	if p.in == nil {
		return Plan{}, errors.New("resolve BOOTIF=link: the plan does not carry its input (decoded from JSON?)")
	}
	b := newBuilder(p.in.cfg, p.in.nics)
	b.fixed = dev
	return b.build()
}

// Link returns the planned link named name.
func (p Plan) Link(name string) (Link, bool) {
	for _, l := range p.Links {
		if l.Name == name {
			return l, true
		}
	}
	return Link{}, false
}

// MakePlan turns the network Config and the probed NICs into a Plan.
// It does no I/O. Every problem found is returned, joined, each naming the
// kernel argument it comes from.
func MakePlan(cfg Config, nics []NIC) (Plan, error) {
	return newBuilder(cfg, nics).build()
}

type builder struct {
	cfg   Config
	nics  []NIC
	fixed string // the management NIC when resolving BOOTIF=link
	errs  []error
	p     Plan
	// mgmtNames are the names an ip= may use for the management interface.
	mgmtNames []string
	ips       map[string]*IPConfig
	ipOrder   []string
	hostSrc   string
	// deviceFailed: choosing the management device already reported a problem
	deviceFailed bool
}

func newBuilder(cfg Config, nics []NIC) *builder {
	return &builder{cfg: cfg, nics: nics, ips: map[string]*IPConfig{}}
}

func (b *builder) fail(format string, a ...any) {
	b.add(fmt.Errorf(format, a...))
}

// failArg reports a problem of one argument, arg being key=value as
// given ("ip=:::::br0:dhcp"); an arg that is no key=value (a summary such
// as "no BOOTIF=") prefixes the message.
func (b *builder) failArg(arg, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	k, v, ok := strings.Cut(arg, "=")
	if !ok || k == "" || strings.ContainsAny(k, " (") {
		b.fail("%s: %s", arg, msg)
		return
	}
	b.add(&ArgError{Arg: k, Value: v, Msg: msg})
}

// add records a problem once: several steps may find the same one.
func (b *builder) add(err error) {
	for _, e := range b.errs {
		if e.Error() == err.Error() {
			return
		}
	}
	b.errs = append(b.errs, err)
}

// ArgError is a problem of one argument: its key and value as given.
type ArgError struct {
	Arg   string // the key: ip, bond, BOOTIF...
	Value string // the value as given
	Msg   string
}

func (e *ArgError) Error() string { return e.Arg + "=" + e.Value + ": " + e.Msg }

func (b *builder) nic(name string) (NIC, bool) {
	for _, n := range b.nics {
		if n.Name == name {
			return n, true
		}
	}
	return NIC{}, false
}

// nicList names the NICs for error messages: "eth0 (52:54:00:..), eth1 (...)".
func (b *builder) nicList() string {
	var s []string
	for _, n := range b.nics {
		if n.Loopback {
			continue
		}
		if n.MAC != "" {
			s = append(s, n.Name+" ("+n.MAC+")")
		} else {
			s = append(s, n.Name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (b *builder) build() (Plan, error) {
	cfg := b.cfg
	in := &planInput{cfg: cfg, nics: b.nics}
	b.p.in = in
	b.p.DNS = append(b.p.DNS, cfg.DNS...)
	b.checkNTP()
	b.checkBond()
	if cfg.Layout != "" && cfg.Layout != "direct" && cfg.Layout != "bridged" {
		b.failArg("network_layout="+cfg.Layout, "expected direct or bridged")
	}
	if cfg.VLAN != 0 && (cfg.VLAN < 1 || cfg.VLAN > 4094) {
		b.failArg(fmt.Sprintf("vlan=%d", cfg.VLAN), "VLAN id outside 1-4094")
	}
	if cfg.Hostname != "" {
		if err := CheckHostname(cfg.Hostname); err != nil {
			b.failArg("hostname="+cfg.Hostname, "%v", err)
		}
		b.p.Hostname = cfg.Hostname
		b.hostSrc = "hostname="
	}
	n := len(b.errs)
	b.chooseDevice()
	b.deviceFailed = len(b.errs) > n
	groups := b.groupIPs()
	if b.p.Device != "" {
		b.stack(groups)
	} else if b.p.Pending() {
		for _, g := range groups[1:] {
			b.failArg(ipArg(g.ips[0]), "other interfaces (%s) need a fixed BOOTIF= (not link)", g.name)
		}
	}
	b.addrs(groups)
	if len(b.errs) > 0 {
		return Plan{}, errors.Join(b.errs...)
	}
	return b.p, nil
}

func (b *builder) checkNTP() {
	cfg := b.cfg
	if cfg.NTPOff && len(cfg.NTP) > 0 {
		b.failArg("ntp=off", "cannot also name servers (%s)", strings.Join(cfg.NTP, ","))
	}
	for _, s := range cfg.NTP {
		if s == "" || strings.ContainsAny(s, " \t\n#;") {
			b.failArg("ntp="+strings.Join(cfg.NTP, ","), "expected a host name or address, got %q", s)
		}
	}
	b.p.NTP = append(b.p.NTP, cfg.NTP...)
	b.p.NTPOff = cfg.NTPOff
}

func (b *builder) checkBond() {
	bd := b.cfg.Bond
	if bd == nil {
		return
	}
	arg := bondArg(*bd)
	if err := CheckIfname(bd.Name); err != nil {
		b.failArg(arg, "bond name: %v", err)
	}
	if _, ok := b.nic(bd.Name); ok {
		b.failArg(arg, "%s is already a NIC", bd.Name)
	}
	if len(bd.Slaves) == 0 {
		b.failArg(arg, "no slave NICs")
	}
	seen := map[string]bool{}
	for _, s := range bd.Slaves {
		if seen[s] {
			b.failArg(arg, "slave %s named twice", s)
		}
		seen[s] = true
		if n, ok := b.nic(s); !ok {
			b.failArg(arg, "no NIC named %s; NICs: %s", s, b.nicList())
		} else if n.Loopback {
			b.failArg(arg, "%s is the loopback interface", s)
		}
	}
	if bd.MTU != 0 && (bd.MTU < 68 || bd.MTU > 65535) {
		b.failArg(arg, "MTU %d outside 68-65535", bd.MTU)
	}
	if _, err := ParseBondOptions(bd.Options, bd.Slaves); err != nil {
		b.failArg(arg, "%v", err)
	}
}

func bondArg(bd Bond) string {
	if bd.Arg != "" {
		return bd.Arg
	}
	s := "bond=" + bd.Name + ":" + strings.Join(bd.Slaves, ",")
	if bd.Options != "" {
		s += ":" + bd.Options
	}
	return s
}

func (b *builder) isSlave(name string) bool {
	return b.cfg.Bond != nil && slices.Contains(b.cfg.Bond.Slaves, name)
}

// wantsNetwork reports whether any argument asks for network configuration.
func (b *builder) wantsNetwork() bool {
	c := b.cfg
	return c.BootIf != "" || c.BootIfMAC != "" || len(c.IPs) > 0 || c.IPv6 != "" ||
		c.VLAN != 0 || c.Bond != nil || c.Layout == "bridged"
}

// chooseDevice picks the NIC or bond at the bottom of the management stack.
func (b *builder) chooseDevice() {
	cfg := b.cfg
	if b.fixed != "" {
		b.p.Device = b.fixed
		b.p.Source = "BOOTIF=link"
		b.p.Reason = b.fixed + " was the first NIC to get carrier"
		return
	}
	bootif := strings.TrimSpace(cfg.BootIf)
	switch {
	case bootif == "" && cfg.BootIfMAC == "":
		b.chooseImplicit()
	case strings.EqualFold(bootif, "link"):
		b.chooseLink("BOOTIF=link")
	case cfg.Bond != nil && bootif == cfg.Bond.Name:
		b.p.Device = bootif
		b.p.Source = "BOOTIF=" + bootif
		b.p.Reason = "the bond of " + bondArg(*cfg.Bond)
	case isBondName(bootif) && !b.hasNIC(bootif):
		b.failArg("BOOTIF="+bootif, "no bond= defines %s", bootif)
	default:
		b.chooseNamed(bootif)
	}
	if b.p.Device != "" && b.isSlave(b.p.Device) {
		// pxelinux appends the PXE NIC's MAC whatever the bond it joins
		// (dracut then brings up the bond): the bond is the management
		// interface.
		b.p.Reason = fmt.Sprintf("%s (%s) is a port of %s: the bond", b.p.Device, b.p.Reason, cfg.Bond.Name)
		b.p.Device = cfg.Bond.Name
	}
	if cfg.VLANParent != "" && b.p.Device != "" && cfg.VLANParent != b.p.Device {
		b.failArg(fmt.Sprintf("vlan=%d:%s", cfg.VLAN, cfg.VLANParent), "the parent differs from the management interface %s chosen by %s", b.p.Device, b.p.Source)
	}
}

func (b *builder) hasNIC(name string) bool { _, ok := b.nic(name); return ok }

func isBondName(s string) bool {
	rest, ok := strings.CutPrefix(s, "bond")
	if !ok || rest == "" {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}

// chooseNamed resolves BOOTIF as a MAC (any of its forms) or an ifname.
func (b *builder) chooseNamed(bootif string) {
	src := "BOOTIF=" + bootif
	mac := b.cfg.BootIfMAC
	if mac == "" {
		mac = NormalizeMAC(bootif)
	}
	if mac != "" {
		for _, n := range b.nics {
			if strings.EqualFold(n.MAC, mac) && !n.Loopback {
				b.p.Device, b.p.Source = n.Name, src
				b.p.Reason = "MAC " + mac + " is " + n.Name
				return
			}
		}
		b.failArg(src, "no NIC with MAC %s; NICs: %s", mac, b.nicList())
		return
	}
	n, ok := b.nic(bootif)
	if !ok || n.Loopback {
		b.failArg(src, "no NIC named %s; NICs: %s", bootif, b.nicList())
		return
	}
	b.p.Device, b.p.Source, b.p.Reason = n.Name, src, "named"
}

// chooseImplicit picks the management device when BOOTIF is not given.
func (b *builder) chooseImplicit() {
	cfg := b.cfg
	for _, ip := range cfg.IPs {
		if ip.Iface != "" {
			src := ipArg(ip)
			name := ip.Iface
			if cfg.VLAN != 0 { // ip= may name the VLAN: its parent is the device
				name = strings.TrimSuffix(name, fmt.Sprintf(".%d", cfg.VLAN))
			}
			if name == BridgeName && cfg.Layout == "bridged" {
				continue
			}
			if cfg.Bond != nil && name == cfg.Bond.Name {
				b.p.Device, b.p.Source, b.p.Reason = name, src, "the interface of the first ip= naming one"
				return
			}
			if _, ok := b.nic(name); !ok {
				b.failArg(src, "no NIC named %s; NICs: %s", name, b.nicList())
				return
			}
			b.p.Device, b.p.Source, b.p.Reason = name, src, "the interface of the first ip= naming one"
			return
		}
	}
	switch {
	case cfg.VLANParent != "":
		src := fmt.Sprintf("vlan=%d:%s", cfg.VLAN, cfg.VLANParent)
		if cfg.Bond != nil && cfg.VLANParent == cfg.Bond.Name {
			b.p.Device, b.p.Source, b.p.Reason = cfg.VLANParent, src, "the VLAN's parent"
			return
		}
		if _, ok := b.nic(cfg.VLANParent); !ok {
			b.failArg(src, "no NIC named %s; NICs: %s", cfg.VLANParent, b.nicList())
			return
		}
		b.p.Device, b.p.Source, b.p.Reason = cfg.VLANParent, src, "the VLAN's parent"
	case cfg.Bond != nil:
		b.p.Device, b.p.Source, b.p.Reason = cfg.Bond.Name, bondArg(*cfg.Bond), "the only bond"
	case b.wantsNetwork():
		b.chooseLink("")
	}
}

// chooseLink is BOOTIF=link: the first NIC with carrier, or, when none has
// carrier yet, the candidates Apply waits on.
func (b *builder) chooseLink(src string) {
	var cands []string
	for _, virt := range []bool{false, true} {
		for _, n := range b.nics {
			if n.Loopback || n.Virtual != virt || b.isSlave(n.Name) {
				continue
			}
			cands = append(cands, n.Name)
		}
		if len(cands) > 0 {
			break // physical NICs first; virtual ones only when there is none
		}
	}
	if src == "" {
		if len(cands) == 1 {
			b.p.Device, b.p.Source, b.p.Reason = cands[0], "no BOOTIF=", "the only NIC"
			return
		}
		src = "no BOOTIF= (as BOOTIF=link)"
	}
	if len(cands) == 0 {
		b.failArg(src, "no NIC to choose from; NICs: %s", b.nicList())
		return
	}
	for _, c := range cands {
		if n, _ := b.nic(c); n.Carrier {
			b.p.Device, b.p.Source, b.p.Reason = c, src, "the first NIC with carrier"
			return
		}
	}
	b.p.Source = src
	b.p.Reason = "the first of these to get carrier"
	b.p.Candidates = cands
}
