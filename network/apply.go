package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ApplyOptions are the knobs of a live Apply; the zero value is usable.
type ApplyOptions struct {
	// NetNS is the namespace h works in: DHCP sockets and per-interface
	// sysctls are opened there. A value <= 0 means the caller's namespace.
	NetNS netns.NsHandle
	// ResolvConf is the live resolv.conf to write ("" leaves it alone).
	ResolvConf string
	// SetHostname sets the live hostname (nil: not set; e.g. unix.Sethostname).
	SetHostname func(name string) error
	// CarrierTimeout bounds the wait for carrier (default 10s).
	CarrierTimeout time.Duration
	// DHCPTimeout is one DHCP attempt's wait for an answer (default 2s),
	// DHCPRetries the attempts (default 4).
	DHCPTimeout time.Duration
	DHCPRetries int
	// SLAACTimeout bounds the wait for a router-advertised address (default 10s).
	SLAACTimeout time.Duration
	// Log receives one line per step (optional).
	Log func(msg string)
}

// Lease is what a DHCP server gave one interface.
type Lease struct {
	Iface    string       `json:"iface"`
	Family   int          `json:"family"` // 4 or 6
	Address  netip.Prefix `json:"address"`
	Router   netip.Addr   `json:"router,omitzero"`
	Server   netip.Addr   `json:"server,omitzero"`
	DNS      []netip.Addr `json:"dns,omitempty"`
	Domain   string       `json:"domain,omitempty"`
	Hostname string       `json:"hostname,omitempty"`
	// AnswerURL is DHCPv4 option 250: where the answer file is, for a
	// node without node.config (docs/fleet.md).
	AnswerURL string        `json:"answer_url,omitempty"`
	LeaseTime time.Duration `json:"lease_time"`
	Took      time.Duration `json:"took"` // from the first packet sent to the lease
}

// Result is what Apply did.
type Result struct {
	// Plan is the plan applied: with BOOTIF=link resolved to the NIC that
	// got carrier. Render this one for the target.
	Plan Plan `json:"plan"`
	// Changes lists every change made, in order: empty when the system
	// already matched the plan.
	Changes  []string     `json:"changes,omitempty"`
	Leases   []Lease      `json:"leases,omitempty"`
	DNS      []netip.Addr `json:"dns,omitempty"`
	Search   []string     `json:"search,omitempty"`
	Hostname string       `json:"hostname,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	Took     time.Duration
}

type applier struct {
	h    *netlink.Handle
	opts ApplyOptions
	res  *Result
}

func (a *applier) change(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	a.res.Changes = append(a.res.Changes, s)
	a.log(s)
}

func (a *applier) log(s string) {
	if a.opts.Log != nil {
		a.opts.Log(s)
	}
}

func (a *applier) warn(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	a.res.Warnings = append(a.res.Warnings, s)
	a.log("warning: " + s)
}

// Apply configures the live network through h as the plan says: it
// creates the bond, VLAN and bridge, sets MACs, MTUs and masters, brings
// the links up, waits for carrier, adds static addresses and routes, runs
// DHCPv4/DHCPv6, waits for SLAAC, writes resolv.conf and sets the
// hostname. It takes no decisions and is idempotent: a second run changes
// nothing. A plan that does not fit the system (a NIC gone, a link of
// another kind in the way) fails before any change.
func Apply(ctx context.Context, h *netlink.Handle, plan Plan, opts ApplyOptions) (Result, error) {
	start := time.Now()
	if opts.CarrierTimeout <= 0 {
		opts.CarrierTimeout = 10 * time.Second
	}
	if opts.DHCPTimeout <= 0 {
		opts.DHCPTimeout = 2 * time.Second
	}
	if opts.DHCPRetries <= 0 {
		opts.DHCPRetries = 4
	}
	if opts.SLAACTimeout <= 0 {
		opts.SLAACTimeout = 10 * time.Second
	}
	res := Result{Plan: plan}
	a := &applier{h: h, opts: opts, res: &res}
	done := func(err error) (Result, error) {
		res.Took = time.Since(start)
		return res, err
	}
	if plan.Device == "" && !plan.Pending() {
		return done(a.finish(plan))
	}
	if plan.Pending() {
		dev, err := a.firstCarrier(ctx, plan.Candidates)
		if err != nil {
			return done(fmt.Errorf("%s: %w", plan.Source, err))
		}
		if plan, err = plan.Resolve(dev); err != nil {
			return done(err)
		}
		res.Plan = plan
	}
	if err := a.preflight(plan); err != nil {
		return done(fmt.Errorf("apply network plan: %w", err))
	}
	if err := a.links(plan); err != nil {
		return done(fmt.Errorf("apply network plan: %w", err))
	}
	needCarrier := false
	for _, c := range plan.IPs {
		needCarrier = needCarrier || c.DHCP4 || c.DHCP6 || c.SLAAC
	}
	if err := a.waitCarrier(ctx, plan.Mgmt); err != nil {
		if needCarrier {
			return done(err)
		}
		a.warn("%v (static configuration applied anyway)", err)
	}
	for _, c := range plan.IPs {
		if err := a.static(c); err != nil {
			return done(err)
		}
	}
	for _, r := range plan.Routes {
		if err := a.route(r.Dev, r.Dst, r.Gateway, r.Metric); err != nil {
			return done(err)
		}
	}
	for _, c := range plan.IPs {
		if err := a.dynamic(ctx, c); err != nil {
			return done(err)
		}
	}
	return done(a.finish(plan))
}

// finish writes resolv.conf and sets the hostname.
func (a *applier) finish(plan Plan) error {
	res := a.res
	res.DNS = append([]netip.Addr(nil), plan.DNS...)
	res.Search = append([]string(nil), plan.Search...) // given domains first
	res.Hostname = plan.Hostname
	for _, l := range res.Leases {
		if len(plan.DNS) == 0 { // given servers override what DHCP brings
			for _, d := range l.DNS {
				if !slices.Contains(res.DNS, d) {
					res.DNS = append(res.DNS, d)
				}
			}
		}
		if l.Domain != "" && !slices.Contains(res.Search, l.Domain) {
			res.Search = append(res.Search, l.Domain)
		}
		if res.Hostname == "" {
			res.Hostname = l.Hostname
		}
	}
	if a.opts.ResolvConf != "" && (len(res.DNS) > 0 || len(res.Search) > 0) {
		if err := a.writeResolvConf(); err != nil {
			return err
		}
	}
	if a.opts.SetHostname != nil && res.Hostname != "" {
		var u unix.Utsname
		if unix.Uname(&u) == nil && unix.ByteSliceToString(u.Nodename[:]) == res.Hostname {
			return nil
		}
		if err := a.opts.SetHostname(res.Hostname); err != nil {
			return fmt.Errorf("set hostname %s: %w", res.Hostname, err)
		}
		a.change("hostname %s", res.Hostname)
	}
	return nil
}

func (a *applier) writeResolvConf() error {
	var w strings.Builder
	w.WriteString("# Written by node-installer.\n")
	if len(a.res.Search) > 0 {
		fmt.Fprintf(&w, "search %s\n", strings.Join(a.res.Search, " "))
	}
	for _, d := range a.res.DNS {
		fmt.Fprintf(&w, "nameserver %s\n", d)
	}
	p := a.opts.ResolvConf
	if old, err := os.ReadFile(p); err == nil && string(old) == w.String() {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".resolv.conf.*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(w.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	a.change("write %s", p)
	return nil
}

// hasCarrier reads the kernel's lower-up flag (the driver sees a link
// partner) and waits for the operational state too: the kernel activates
// the link's queueing discipline together with the operstate change (up
// to a second after carrier, batched), and drops what is sent before.
func hasCarrier(l netlink.Link) bool {
	at := l.Attrs()
	return at.RawFlags&unix.IFF_LOWER_UP != 0 &&
		(at.OperState == netlink.OperUp || at.OperState == netlink.OperUnknown)
}

// firstCarrier brings the candidates up and returns the first, in the
// candidates' order, to get carrier; the others it brought up go down again.
func (a *applier) firstCarrier(ctx context.Context, cands []string) (string, error) {
	var raised []netlink.Link
	restore := func(keep string) {
		for _, l := range raised {
			if l.Attrs().Name != keep {
				_ = a.h.LinkSetDown(l)
			}
		}
	}
	for _, c := range cands {
		l, err := a.h.LinkByName(c)
		if err != nil {
			restore("")
			return "", fmt.Errorf("candidate %s: %w", c, err)
		}
		if l.Attrs().Flags&net.FlagUp == 0 {
			if err := a.h.LinkSetUp(l); err != nil {
				restore("")
				return "", fmt.Errorf("bring %s up: %w", c, err)
			}
			raised = append(raised, l)
		}
	}
	deadline := time.Now().Add(a.opts.CarrierTimeout)
	for {
		for _, c := range cands {
			if l, err := a.h.LinkByName(c); err == nil && hasCarrier(l) {
				restore(c)
				for _, r := range raised {
					if r.Attrs().Name == c {
						a.change("%s: up", c)
					}
				}
				a.log(fmt.Sprintf("%s has carrier", c))
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			restore("")
			return "", fmt.Errorf("no carrier on %s within %s", strings.Join(cands, ", "), a.opts.CarrierTimeout)
		}
		select {
		case <-ctx.Done():
			restore("")
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitCarrier waits, bounded, until name reports carrier.
func (a *applier) waitCarrier(ctx context.Context, name string) error {
	deadline := time.Now().Add(a.opts.CarrierTimeout)
	for {
		l, err := a.h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("wait for carrier on %s: %w", name, err)
		}
		if hasCarrier(l) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no carrier on %s within %s", name, a.opts.CarrierTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// static adds the planned static addresses that are missing.
func (a *applier) static(c IPConfig) error {
	if len(c.Addrs) == 0 {
		return nil
	}
	l, err := a.h.LinkByName(c.Iface)
	if err != nil {
		return fmt.Errorf("addresses of %s: %w", c.Iface, err)
	}
	for _, ad := range c.Addrs {
		if err := a.addAddr(l, ad.Prefix, ad.Peer); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) addAddr(l netlink.Link, p netip.Prefix, peer netip.Addr) error {
	have, err := a.h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("addresses of %s: %w", l.Attrs().Name, err)
	}
	for _, h := range have {
		if hp, ok := netipPrefix(h.IPNet); ok && hp == p {
			return nil
		}
	}
	ad := &netlink.Addr{IPNet: ipNet(p)}
	if peer.IsValid() {
		ad.Peer = ipNet(netip.PrefixFrom(peer, peer.BitLen()))
	}
	if err := a.h.AddrReplace(l, ad); err != nil {
		return fmt.Errorf("add %s to %s: %w", p, l.Attrs().Name, err)
	}
	a.change("%s: add %s", l.Attrs().Name, p)
	return nil
}

// route makes the route dst via gw on dev exist.
// route adds dst via gw on dev with that metric (0: the kernel's default,
// 1024 for IPv6), unless it is there already.
func (a *applier) route(dev string, dst netip.Prefix, gw netip.Addr, metric int) error {
	l, err := a.h.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("route %s via %s: %w", dst, gw, err)
	}
	fam := netlink.FAMILY_V4
	if gw.Is6() {
		fam = netlink.FAMILY_V6
	}
	rs, err := a.h.RouteListFiltered(fam, &netlink.Route{LinkIndex: l.Attrs().Index, Table: unix.RT_TABLE_MAIN},
		netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("routes of %s: %w", dev, err)
	}
	for _, r := range rs {
		rd := netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		if gw.Is4() {
			rd = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
		if r.Dst != nil {
			rd, _ = netipPrefix(r.Dst)
		}
		rg, _ := netip.AddrFromSlice(r.Gw)
		if rd == dst && rg.Unmap() == gw && (r.Priority == metric || gw.Is6() && metric == 0 && r.Priority == 1024) {
			return nil
		}
	}
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(dst), Gw: net.IP(gw.AsSlice()), Family: fam, Priority: metric}
	if err := a.h.RouteReplace(r); err != nil {
		return fmt.Errorf("route %s via %s dev %s: %w", dst, gw, dev, err)
	}
	a.change("route %s via %s dev %s", dst, gw, dev)
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func netipPrefix(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ad, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ad.Unmap(), ones), true
}

var errNoIface = errors.New("no such interface")
