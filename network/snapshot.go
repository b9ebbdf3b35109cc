package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Snapshot is the live state a network change may alter: the links
// (their master and up state), their global addresses and the main
// table's routes through a gateway. Restore puts it back; the setup
// console's revert rule rests on it.
type Snapshot struct {
	Links  []LinkState `json:"links"`
	Routes []Route     `json:"routes"`
}

// LinkState is one link's part of a Snapshot.
type LinkState struct {
	Name   string         `json:"name"`
	Kind   string         `json:"kind"` // netlink's type: device, veth, bond, vlan, bridge...
	Master string         `json:"master,omitempty"`
	Up     bool           `json:"up"`
	Addrs  []netip.Prefix `json:"addrs,omitempty"`
}

// TakeSnapshot reads the live state through h.
func TakeSnapshot(h *netlink.Handle) (Snapshot, error) {
	var s Snapshot
	links, err := h.LinkList()
	if err != nil {
		return s, fmt.Errorf("snapshot: links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range links {
		at := l.Attrs()
		if at.Flags&net.FlagLoopback != 0 {
			continue
		}
		st := LinkState{Name: at.Name, Kind: l.Type(), Master: names[at.MasterIndex], Up: at.Flags&net.FlagUp != 0}
		if st.Addrs, err = globalAddrs(h, l); err != nil {
			return s, err
		}
		s.Links = append(s.Links, st)
	}
	if s.Routes, err = gatewayRoutes(h, names); err != nil {
		return s, err
	}
	return s, nil
}

func globalAddrs(h *netlink.Handle, l netlink.Link) ([]netip.Prefix, error) {
	as, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("snapshot: addresses of %s: %w", l.Attrs().Name, err)
	}
	var out []netip.Prefix
	for _, a := range as {
		if a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue // link-local and host addresses come and go with the link
		}
		if p, ok := netipPrefix(a.IPNet); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func gatewayRoutes(h *netlink.Handle, names map[int]string) ([]Route, error) {
	rs, err := h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("snapshot: routes: %w", err)
	}
	var out []Route
	for _, r := range rs {
		gw, ok := netip.AddrFromSlice(r.Gw)
		if !ok || r.Gw == nil || names[r.LinkIndex] == "" {
			continue
		}
		gw = gw.Unmap()
		dst := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		if r.Dst != nil {
			dst, _ = netipPrefix(r.Dst)
		}
		out = append(out, Route{Dst: dst, Gateway: gw, Dev: names[r.LinkIndex]})
	}
	return out, nil
}

// Prune removes from the plan's configured interfaces the global
// addresses and gateway routes the plan does not have, so applying a
// plan replaces the old configuration instead of adding to it. DHCP and
// SLAAC families keep their addresses (the lease brings them again).
func Prune(h *netlink.Handle, p Plan) ([]string, error) {
	var changes []string
	for _, c := range p.IPs {
		l, err := h.LinkByName(c.Iface)
		if err != nil {
			continue // Apply creates it
		}
		have, err := globalAddrs(h, l)
		if err != nil {
			return changes, err
		}
		for _, a := range have {
			if a.Addr().Is4() && c.DHCP4 || a.Addr().Is6() && (c.DHCP6 || c.SLAAC) {
				continue
			}
			if slices.ContainsFunc(c.Addrs, func(x Address) bool { return x.Prefix == a }) {
				continue
			}
			if err := h.AddrDel(l, &netlink.Addr{IPNet: ipNet(a)}); err != nil {
				return changes, fmt.Errorf("%s: remove %s: %w", c.Iface, a, err)
			}
			changes = append(changes, fmt.Sprintf("%s: remove %s", c.Iface, a))
		}
	}
	return changes, nil
}

// Restore puts the snapshot back through h: links made since are
// deleted (bonds, VLANs, bridges), masters and up states reset,
// addresses and gateway routes as they were.
func (s Snapshot) Restore(h *netlink.Handle) ([]string, error) {
	var changes []string
	var errs []error
	note := func(format string, a ...any) { changes = append(changes, fmt.Sprintf(format, a...)) }
	was := map[string]LinkState{}
	for _, l := range s.Links {
		was[l.Name] = l
	}
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("restore: links: %w", err)
	}
	for _, l := range links {
		at := l.Attrs()
		if _, ok := was[at.Name]; ok || at.Flags&net.FlagLoopback != 0 {
			continue
		}
		switch l.Type() {
		case "bond", "vlan", "bridge":
			if err := h.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("delete %s: %w", at.Name, err))
				continue
			}
			note("delete %s", at.Name)
		}
	}
	for _, st := range s.Links {
		l, err := h.LinkByName(st.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", st.Name, err))
			continue
		}
		at := l.Attrs()
		cur := ""
		if at.MasterIndex != 0 {
			if m, err := h.LinkByIndex(at.MasterIndex); err == nil {
				cur = m.Attrs().Name
			}
		}
		if cur != st.Master {
			if st.Master == "" {
				err = h.LinkSetNoMaster(l)
			} else if m, merr := h.LinkByName(st.Master); merr == nil {
				err = h.LinkSetMaster(l, m)
			} else {
				err = merr
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: master %q: %w", st.Name, st.Master, err))
			} else {
				note("%s: master %q", st.Name, st.Master)
			}
		}
		if up := at.Flags&net.FlagUp != 0; up != st.Up {
			if st.Up {
				err = h.LinkSetUp(l)
			} else {
				err = h.LinkSetDown(l)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: up=%v: %w", st.Name, st.Up, err))
			}
		}
		have, err := globalAddrs(h, l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range have {
			if !slices.Contains(st.Addrs, a) {
				if err := h.AddrDel(l, &netlink.Addr{IPNet: ipNet(a)}); err != nil {
					errs = append(errs, fmt.Errorf("%s: remove %s: %w", st.Name, a, err))
				} else {
					note("%s: remove %s", st.Name, a)
				}
			}
		}
		for _, a := range st.Addrs {
			if !slices.Contains(have, a) {
				if err := h.AddrReplace(l, &netlink.Addr{IPNet: ipNet(a)}); err != nil {
					errs = append(errs, fmt.Errorf("%s: add %s: %w", st.Name, a, err))
				} else {
					note("%s: add %s", st.Name, a)
				}
			}
		}
	}
	names := map[int]string{}
	index := map[string]int{}
	if links, err = h.LinkList(); err == nil {
		for _, l := range links {
			names[l.Attrs().Index] = l.Attrs().Name
			index[l.Attrs().Name] = l.Attrs().Index
		}
	}
	now, err := gatewayRoutes(h, names)
	if err != nil {
		errs = append(errs, err)
	}
	for _, r := range now {
		if !slices.Contains(s.Routes, r) {
			if err := h.RouteDel(routeOf(r, index)); err != nil {
				errs = append(errs, fmt.Errorf("remove route %s via %s: %w", r.Dst, r.Gateway, err))
			} else {
				note("remove route %s via %s dev %s", r.Dst, r.Gateway, r.Dev)
			}
		}
	}
	for _, r := range s.Routes {
		if !slices.Contains(now, r) {
			if err := h.RouteReplace(routeOf(r, index)); err != nil {
				errs = append(errs, fmt.Errorf("route %s via %s dev %s: %w", r.Dst, r.Gateway, r.Dev, err))
			} else {
				note("route %s via %s dev %s", r.Dst, r.Gateway, r.Dev)
			}
		}
	}
	return changes, errors.Join(errs...)
}

func routeOf(r Route, index map[string]int) *netlink.Route {
	fam := netlink.FAMILY_V4
	if r.Gateway.Is6() {
		fam = netlink.FAMILY_V6
	}
	return &netlink.Route{LinkIndex: index[r.Dev], Dst: ipNet(r.Dst), Gw: net.IP(r.Gateway.AsSlice()), Family: fam, Table: unix.RT_TABLE_MAIN}
}
