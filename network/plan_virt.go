package network

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// virt is one bond, VLAN or bridge the arguments define (bond=, vlan=
// NAME:PARENT, bridge=), stacked on its lowers: a bond's slaves, a
// bridge's ports, a VLAN's parent.
type virt struct {
	kind   LinkKind
	name   string
	lowers []string
	vlanID int
	bond   Bond
	arg    string
}

// VLANIDOf is the VLAN ID a dracut VLAN name carries, read as dracut
// does: vlan<ID> (vlan0001, vlan2) or <parent>.<ID> (eth0.3, eth0.0004).
func VLANIDOf(name string) (int, error) {
	digits := ""
	switch {
	case strings.HasPrefix(name, "vlan"):
		digits = name[4:]
	case strings.Contains(name, "."):
		digits = name[strings.LastIndexByte(name, '.')+1:]
	default:
		return 0, fmt.Errorf("VLAN name %q carries no ID: name it vlan<ID> or <parent>.<ID>", name)
	}
	id, err := strconv.Atoi(digits)
	if err != nil || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("VLAN name %q: the ID after %q is not a number", name, strings.TrimSuffix(name, digits))
	}
	if id < 1 || id > 4094 {
		return 0, fmt.Errorf("VLAN name %q: ID %d outside 1-4094", name, id)
	}
	return id, nil
}

// renameNICs applies ifname=: the NIC with each MAC takes the name given.
// An ifname= whose MAC no NIC has renames nothing, as with dracut's udev
// rule; a name taken by another NIC is a problem.
func (b *builder) renameNICs() {
	byMAC := map[string]string{}
	names, args := map[string]string{}, map[string]string{}
	for _, r := range b.cfg.Ifnames {
		arg := r.Arg
		if arg == "" {
			arg = "ifname=" + r.Name + ":" + r.MAC
		}
		mac := NormalizeMAC(r.MAC)
		switch {
		case CheckIfname(r.Name) != nil:
			b.failArg(arg, "%v", CheckIfname(r.Name))
			continue
		case mac == "":
			b.failArg(arg, "MAC %q: expected aa:bb:cc:dd:ee:ff", r.MAC)
			continue
		case byMAC[mac] != "" && byMAC[mac] != r.Name:
			b.failArg(arg, "MAC %s is already named %s", mac, byMAC[mac])
			continue
		case names[r.Name] != "" && names[r.Name] != mac:
			b.failArg(arg, "%s already names MAC %s", r.Name, names[r.Name])
			continue
		}
		byMAC[mac], names[r.Name], args[r.Name] = r.Name, mac, arg
	}
	nics := slices.Clone(b.nics)
	for i, n := range nics {
		to := byMAC[NormalizeMAC(n.MAC)]
		if to == "" || n.Loopback {
			continue
		}
		// Listed even when the NIC has the name already (the installed
		// system, renamed by its .link file): the file must stay.
		b.p.Renames = append(b.p.Renames, Rename{Name: to, MAC: NormalizeMAC(n.MAC), From: n.Name})
		if to != n.Name {
			b.renamed[to] = n.Name
			nics[i].Name = to
		}
	}
	seen := map[string]string{}
	for _, n := range nics {
		if prev, dup := seen[n.Name]; dup {
			b.failArg(args[n.Name], "%s and %s would both be named %s", prev, n.MAC, n.Name)
		}
		seen[n.Name] = n.MAC
	}
	b.nics = nics
}

// ifacesByMAC resolves an ip= whose interface field is a MAC (dracut and
// NetworkManager's initrd generator take ip=...::52-54-00-12-34-62:none):
// the NIC with that MAC.
func (b *builder) ifacesByMAC() {
	var ips []IP
	for _, ip := range b.cfg.IPs {
		mac := ""
		if ip.Iface != "" && !b.hasNIC(ip.Iface) {
			mac = NormalizeMAC(ip.Iface)
		}
		if mac == "" {
			ips = append(ips, ip)
			continue
		}
		found := false
		for _, n := range b.nics {
			if NormalizeMAC(n.MAC) == mac && !n.Loopback {
				ip.Iface, found = n.Name, true
				ips = append(ips, ip)
				break
			}
		}
		if !found { // reported here, and not again as an unknown name
			b.failArg(ipArg(ip), "no NIC with MAC %s; NICs: %s", mac, b.nicList())
		}
	}
	b.cfg.IPs = ips
}

// defineVirt reads every bond=, vlan=NAME:PARENT and bridge= into the
// table of virtual links and checks each names what exists.
func (b *builder) defineVirt() {
	b.virt, b.master = map[string]*virt{}, map[string]string{}
	add := func(v *virt) {
		if err := CheckIfname(v.name); err != nil {
			b.failArg(v.arg, "%s name: %v", v.kind, err)
			return
		}
		if prev, dup := b.virt[v.name]; dup {
			b.failArg(v.arg, "%s is already defined by %s", v.name, prev.arg)
			return
		}
		if b.hasNIC(v.name) {
			b.failArg(v.arg, "%s is already a NIC", v.name)
			return
		}
		b.virt[v.name] = v
		b.virtOrder = append(b.virtOrder, v.name)
	}
	for _, bd := range b.cfg.AllBonds() {
		if b.checkBond(bd) {
			add(&virt{kind: KindBond, name: bd.Name, lowers: bd.Slaves, bond: bd, arg: bondArg(bd)})
		}
	}
	for _, v := range b.cfg.VLANs {
		arg := v.Arg
		if arg == "" {
			arg = "vlan=" + v.Name + ":" + v.Parent
		}
		if v.ID < 1 || v.ID > 4094 {
			b.failArg(arg, "VLAN ID %d outside 1-4094", v.ID)
			continue
		}
		add(&virt{kind: KindVLAN, name: v.Name, lowers: []string{v.Parent}, vlanID: v.ID, arg: arg})
	}
	for _, br := range b.cfg.Bridges {
		arg := br.Arg
		if arg == "" {
			arg = "bridge=" + br.Name + ":" + strings.Join(br.Ports, ",")
		}
		if br.Name == BridgeName && b.cfg.Layout == "bridged" {
			b.failArg(arg, "%s is the bridge of network_layout=bridged", br.Name)
			continue
		}
		add(&virt{kind: KindBridge, name: br.Name, lowers: slices.Clone(br.Ports), arg: arg})
	}
	for _, name := range b.virtOrder {
		v := b.virt[name]
		for _, l := range v.lowers {
			b.checkLower(v, l)
		}
	}
	for _, name := range b.virtOrder {
		if b.cycle(name, nil) {
			b.failArg(b.virt[name].arg, "%s is stacked on itself", name)
		}
	}
}

// checkLower checks one lower of v: a NIC or another virtual link, the
// port of one bond or bridge at most.
func (b *builder) checkLower(v *virt, l string) {
	if _, isVirt := b.virt[l]; !isVirt {
		n, ok := b.nic(l)
		switch {
		case !ok:
			b.failArg(v.arg, "no NIC named %s; NICs: %s", l, b.nicList())
			return
		case n.Loopback:
			b.failArg(v.arg, "%s is the loopback interface", l)
			return
		}
	} else if v.kind == KindBond {
		b.failArg(v.arg, "slave %s is a %s: a bond's slaves are NICs", l, b.virt[l].kind)
		return
	}
	if v.kind == KindVLAN {
		if m := b.master[l]; m != "" && b.virt[m].kind == KindBond {
			b.failArg(v.arg, "parent %s is a slave of %s: put the VLAN on %s", l, m, m)
		}
		return
	}
	if m := b.master[l]; m != "" {
		b.failArg(v.arg, "%s is already a port of %s", l, m)
		return
	}
	b.master[l] = v.name
}

func (b *builder) cycle(name string, path []string) bool {
	if slices.Contains(path, name) {
		return true
	}
	v := b.virt[name]
	if v == nil {
		return false
	}
	for _, l := range v.lowers {
		if b.cycle(l, append(path, name)) {
			return true
		}
	}
	return false
}

// bottom is the NIC or bond at the bottom of name's stack (a bridge's
// first port, a VLAN's parent); "" for a bare bridge with no port yet.
func (b *builder) bottom(name string) string {
	for range 8 { // stacks are shallow; cycles were reported
		v := b.virt[name]
		if v == nil || v.kind == KindBond {
			return name
		}
		if len(v.lowers) == 0 {
			return ""
		}
		name = v.lowers[0]
	}
	return ""
}

// isSlave tells whether name is a bond's slave.
func (b *builder) isSlave(name string) bool {
	m := b.master[name]
	return m != "" && b.virt[m].kind == KindBond
}

// tops are the virtual links no other is stacked on.
func (b *builder) tops() []string {
	below := map[string]bool{}
	for _, v := range b.virt {
		for _, l := range v.lowers {
			below[l] = true
		}
	}
	var out []string
	for _, n := range b.virtOrder {
		if !below[n] {
			out = append(out, n)
		}
	}
	return out
}
