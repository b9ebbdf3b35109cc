package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
)

// kernelType is the netlink link type of each kind ("" for NICs: any).
var kernelType = map[LinkKind]string{KindBond: "bond", KindVLAN: "vlan", KindBridge: "bridge"}

// preflight checks, without changing anything, that the plan fits the
// system: every NIC exists, every existing bond/VLAN/bridge is of the
// planned kind and shape, every MAC parses.
func (a *applier) preflight(p Plan) error {
	var errs []error
	for _, l := range p.Links {
		for _, m := range []string{l.SetMAC} {
			if m == "" {
				continue
			}
			if _, err := net.ParseMAC(m); err != nil {
				errs = append(errs, fmt.Errorf("%s: MAC %q: %w", l.Name, m, err))
			}
		}
		cur, err := a.h.LinkByName(l.Name)
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) && l.RenamedFrom != "" {
			cur, err = a.h.LinkByName(l.RenamedFrom) // renamed by links()
		}
		switch {
		case errors.As(err, &nf) && l.Kind == KindNIC:
			errs = append(errs, fmt.Errorf("NIC %s: not present (unplugged or renamed since the probe?)", l.Name))
		case errors.As(err, &nf):
			// created by links()
		case err != nil:
			errs = append(errs, fmt.Errorf("link %s: %w", l.Name, err))
		case l.Kind != KindNIC && cur.Type() != kernelType[l.Kind]:
			errs = append(errs, fmt.Errorf("link %s exists as a %s, the plan needs a %s", l.Name, cur.Type(), kernelType[l.Kind]))
		case l.Kind == KindVLAN:
			v := cur.(*netlink.Vlan)
			parent, perr := a.h.LinkByName(l.Parent)
			if v.VlanId != l.VLANID || perr != nil || parent.Attrs().Index != v.ParentIndex {
				errs = append(errs, fmt.Errorf("VLAN %s exists with id %d on another parent, the plan needs id %d on %s", l.Name, v.VlanId, l.VLANID, l.Parent))
			}
		}
	}
	for _, c := range p.IPs {
		if _, ok := p.Link(c.Iface); !ok && c.Iface != "" {
			errs = append(errs, fmt.Errorf("addresses for %s, which the plan does not configure", c.Iface))
		}
	}
	return errors.Join(errs...)
}

// links creates the missing bond/VLAN/bridge links (removing them again
// when one cannot be created, e.g. the kernel lacks the driver), then sets
// MACs, masters and MTUs and brings every planned link up, lower first.
func (a *applier) links(p Plan) error {
	if err := a.rename(p); err != nil {
		return err
	}
	var created []netlink.Link
	before := len(a.res.Changes)
	for _, l := range p.Links {
		if l.Kind == KindNIC {
			continue
		}
		if _, err := a.h.LinkByName(l.Name); err == nil {
			continue
		}
		nl, err := a.newLink(l)
		if err == nil {
			err = a.h.LinkAdd(nl)
		}
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				_ = a.h.LinkDel(created[i])
			}
			a.res.Changes = a.res.Changes[:before] // the links made here are gone again
			return fmt.Errorf("create %s %s: %w", l.Kind, l.Name, err)
		}
		created = append(created, nl)
		a.change("create %s %s", l.Kind, l.Name)
	}
	for _, l := range p.Links {
		if err := a.configure(l); err != nil {
			return err
		}
	}
	return nil
}

// rename gives the NICs ifname= renames their names (a link is renamed
// while down; configure brings it up again).
func (a *applier) rename(p Plan) error {
	for _, r := range p.Renames {
		if _, err := a.h.LinkByName(r.Name); err == nil {
			continue // already renamed
		}
		cur, err := a.h.LinkByName(r.From)
		if err != nil {
			return fmt.Errorf("ifname=%s: rename %s: %w", r.Name, r.From, err)
		}
		if err := a.h.LinkSetDown(cur); err != nil {
			return fmt.Errorf("ifname=%s: set %s down to rename it: %w", r.Name, r.From, err)
		}
		if err := a.h.LinkSetName(cur, r.Name); err != nil {
			return fmt.Errorf("ifname=%s: rename %s: %w", r.Name, r.From, err)
		}
		a.change("rename %s (%s) to %s", r.From, r.MAC, r.Name)
	}
	return nil
}

func (a *applier) newLink(l Link) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = l.Name
	if l.SetMAC != "" {
		attrs.HardwareAddr, _ = net.ParseMAC(l.SetMAC)
	}
	switch l.Kind {
	case KindBridge:
		return &netlink.Bridge{LinkAttrs: attrs}, nil
	case KindVLAN:
		parent, err := a.h.LinkByName(l.Parent)
		if err != nil {
			return nil, fmt.Errorf("parent %s: %w", l.Parent, err)
		}
		attrs.ParentIndex = parent.Attrs().Index
		return &netlink.Vlan{LinkAttrs: attrs, VlanId: l.VLANID}, nil
	case KindBond:
		b := netlink.NewLinkBond(attrs)
		if err := a.setBondOptions(b, l.BondOptions); err != nil {
			return nil, fmt.Errorf("bond %s: %w", l.Name, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown link kind %q", l.Kind)
}

// configure brings one existing link to the planned MAC, master, MTU and up.
func (a *applier) configure(l Link) error {
	cur, err := a.h.LinkByName(l.Name)
	if err != nil {
		return fmt.Errorf("link %s: %w", l.Name, err)
	}
	at := cur.Attrs()
	up := at.Flags&net.FlagUp != 0
	if l.SetMAC != "" && !strings.EqualFold(at.HardwareAddr.String(), l.SetMAC) {
		mac, _ := net.ParseMAC(l.SetMAC)
		if err := a.h.LinkSetHardwareAddr(cur, mac); err != nil && up {
			// many drivers refuse a new MAC while up
			if err := a.h.LinkSetDown(cur); err != nil {
				return fmt.Errorf("%s: set down for MAC: %w", l.Name, err)
			}
			up = false
			err = a.h.LinkSetHardwareAddr(cur, mac)
		}
		if err != nil {
			return fmt.Errorf("%s: set MAC %s: %w", l.Name, l.SetMAC, err)
		}
		a.change("%s: MAC %s", l.Name, l.SetMAC)
	}
	if l.Master != "" {
		master, err := a.h.LinkByName(l.Master)
		if err != nil {
			return fmt.Errorf("%s: master %s: %w", l.Name, l.Master, err)
		}
		if at.MasterIndex != master.Attrs().Index {
			if master.Type() == "bond" && up {
				// the bonding driver enslaves only links that are down
				if err := a.h.LinkSetDown(cur); err != nil {
					return fmt.Errorf("%s: set down to enslave: %w", l.Name, err)
				}
				up = false
			}
			if err := a.h.LinkSetMaster(cur, master); err != nil {
				return fmt.Errorf("%s: make it a port of %s: %w", l.Name, l.Master, err)
			}
			a.change("%s: port of %s", l.Name, l.Master)
		}
	}
	if l.Master == "" && at.MasterIndex != 0 {
		// a port of something the plan does not have (left from an
		// earlier configuration) cannot carry the plan's addresses
		if err := a.h.LinkSetNoMaster(cur); err != nil {
			return fmt.Errorf("%s: release from its master: %w", l.Name, err)
		}
		a.change("%s: no longer a port", l.Name)
	}
	if l.MTU != 0 && at.MTU != l.MTU {
		if err := a.h.LinkSetMTU(cur, l.MTU); err != nil {
			return fmt.Errorf("%s: set MTU %d: %w", l.Name, l.MTU, err)
		}
		a.change("%s: MTU %d", l.Name, l.MTU)
	}
	if !up {
		if err := a.h.LinkSetUp(cur); err != nil {
			return fmt.Errorf("%s: set up: %w", l.Name, err)
		}
		a.change("%s: up", l.Name)
	}
	return nil
}

// setBondOptions sets each planned bond option on b (the names and
// ranges were checked by ParseBondOptions when planning).
func (a *applier) setBondOptions(b *netlink.Bond, opts []BondOption) error {
	for _, o := range opts {
		n, _ := strconv.Atoi(o.Value)
		enum := bondEnumIndex(o.Key, o.Value)
		switch o.Key {
		case "mode":
			b.Mode = netlink.StringToBondMode(o.Value)
		case "miimon":
			b.Miimon = n
		case "updelay":
			b.UpDelay = n
		case "downdelay":
			b.DownDelay = n
		case "min_links":
			b.MinLinks = n
		case "arp_interval":
			b.ArpInterval = n
		case "xmit_hash_policy":
			b.XmitHashPolicy = netlink.StringToBondXmitHashPolicy(o.Value)
		case "lacp_rate":
			b.LacpRate = netlink.BondLacpRate(enum)
		case "primary":
			// By index; the kernel keeps the name and applies it when
			// the slave joins.
			slave, err := a.h.LinkByName(o.Value)
			if err != nil {
				return fmt.Errorf("primary %s: %w", o.Value, err)
			}
			b.Primary = slave.Attrs().Index
		case "primary_reselect":
			b.PrimaryReselect = netlink.BondPrimaryReselect(enum)
		case "arp_ip_target":
			for _, t := range strings.Split(o.Value, ",") {
				b.ArpIpTargets = append(b.ArpIpTargets, net.ParseIP(t))
			}
		case "arp_validate":
			b.ArpValidate = netlink.BondArpValidate(enum)
		case "arp_all_targets":
			b.ArpAllTargets = netlink.BondArpAllTargets(enum)
		case "fail_over_mac":
			b.FailOverMac = netlink.BondFailOverMac(enum)
		case "ad_select":
			b.AdSelect = netlink.BondAdSelect(enum)
		case "all_slaves_active":
			b.AllSlavesActive = n
		case "use_carrier":
			b.UseCarrier = n
		case "tlb_dynamic_lb":
			b.TlbDynamicLb = n
		case "num_grat_arp", "num_unsol_na":
			b.NumPeerNotif = n // one kernel setting, two names
		case "resend_igmp":
			b.ResendIgmp = n
		case "packets_per_slave":
			b.PacketsPerSlave = n
		case "lp_interval":
			b.LpInterval = n
		case "ad_actor_sys_prio":
			b.AdActorSysPrio = n
		case "ad_user_port_key":
			b.AdUserPortKey = n
		case "ad_actor_system":
			b.AdActorSystem, _ = net.ParseMAC(o.Value)
		}
	}
	return nil
}
