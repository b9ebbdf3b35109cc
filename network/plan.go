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
	// RenamedFrom is a NIC's name before ifname= renamed it.
	RenamedFrom string `json:"renamed_from,omitempty"`
}

// Rename is one NIC renamed by ifname=, live and on the installed system.
type Rename struct {
	Name string `json:"name"`
	MAC  string `json:"mac"`
	From string `json:"from"`
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
	// RouteMetric is the metric of its default routes (static or from
	// DHCP): 0 for the management interface, higher for the others.
	RouteMetric int `json:"route_metric,omitempty"`
}

// Route is a route the plan adds (default routes of static gateways).
type Route struct {
	Dst     netip.Prefix `json:"dst"`
	Gateway netip.Addr   `json:"gateway"`
	Dev     string       `json:"dev"`
	// Metric is 0 for the management interface, higher for others.
	Metric int `json:"metric,omitempty"`
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
	Search     []string     `json:"search,omitempty"`
	NTP        []string     `json:"ntp,omitempty"`
	NTPOff     bool         `json:"ntp_off,omitempty"`
	Hostname   string       `json:"hostname,omitempty"`
	Renames    []Rename     `json:"renames,omitempty"`

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
	// virt are the bonds, VLANs and bridges defined, by name, in
	// virtOrder; master maps a bond slave or bridge port to its master.
	virt      map[string]*virt
	virtOrder []string
	master    map[string]string
	// top is the management interface when an argument named a VLAN
	// or bridge of virt (ip=br0:dhcp, bootdev=vlan2); "" = Device, with
	// the oVirt vlan= and network_layout= stacked on it.
	top string
	// renamed maps a name given by ifname= to the NIC's probed name.
	renamed map[string]string
}

func newBuilder(cfg Config, nics []NIC) *builder {
	return &builder{cfg: cfg, nics: nics, ips: map[string]*IPConfig{}, renamed: map[string]string{}}
}

func (b *builder) fail(format string, a ...any) {
	b.add(fmt.Errorf(format, a...))
}

// failArg reports a problem of one argument, arg being key=value as
// given ("ip=:::::br0:dhcp"); an arg that is no key=value (a summary such
// as "no BOOTIF=") prefixes the message; "no BOOTIF= ..." is BOOTIF's.
func (b *builder) failArg(arg, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if rest, ok := strings.CutPrefix(arg, "no BOOTIF= "); ok {
		// BOOTIF not given: the problem is BOOTIF's, as chosen without it
		b.add(&ArgError{Arg: "BOOTIF", Msg: "not given " + rest + ": " + msg})
		return
	}
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

func (e *ArgError) Error() string {
	if e.Value == "" {
		return e.Arg + ": " + e.Msg
	}
	return e.Arg + "=" + e.Value + ": " + e.Msg
}

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
	b.p.Search = append(b.p.Search, cfg.Search...)
	b.checkNTP()
	b.renameNICs()
	b.ifacesByMAC()
	b.defineVirt()
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

// checkBond checks what a bond= says by itself (its slaves are checked
// against the NICs with the other lowers); false drops it.
func (b *builder) checkBond(bd Bond) bool {
	arg, n := bondArg(bd), len(b.errs)
	if len(bd.Slaves) == 0 {
		b.failArg(arg, "no slave NICs")
	}
	seen := map[string]bool{}
	for _, s := range bd.Slaves {
		if seen[s] {
			b.failArg(arg, "slave %s named twice", s)
		}
		seen[s] = true
	}
	if bd.MTU != 0 && (bd.MTU < 68 || bd.MTU > 65535) {
		b.failArg(arg, "MTU %d outside 68-65535", bd.MTU)
	}
	if _, err := ParseBondOptions(bd.Options, bd.Slaves); err != nil {
		b.failArg(arg, "%v", err)
	}
	return len(b.errs) == n
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

// wantsNetwork reports whether any argument asks for network configuration.
func (b *builder) wantsNetwork() bool {
	c := b.cfg
	return c.BootIf != "" || c.BootIfMAC != "" || len(c.IPs) > 0 || c.IPv6 != "" ||
		c.VLAN != 0 || c.Bond != nil || c.Layout == "bridged" || len(b.virt) > 0 || c.BootDev != ""
}
