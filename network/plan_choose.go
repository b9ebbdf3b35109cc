package network

import (
	"fmt"
	"strings"
)

// chooseDevice picks the NIC or bond at the bottom of the management
// stack and, when an argument names a VLAN or bridge above it, that top.
func (b *builder) chooseDevice() {
	cfg := b.cfg
	if b.fixed != "" {
		b.p.Device = b.fixed
		b.p.Source = "BOOTIF=link"
		b.p.Reason = b.fixed + " was the first NIC to get carrier"
		b.settleTop()
		return
	}
	bootif := strings.TrimSpace(cfg.BootIf)
	switch {
	case cfg.BootDev != "":
		b.chooseBootDev()
	case bootif == "" && cfg.BootIfMAC == "":
		b.chooseImplicit()
	case strings.EqualFold(bootif, "link"):
		b.chooseLink("BOOTIF=link")
	case b.virt[bootif] != nil && b.virt[bootif].kind == KindBond:
		b.p.Device = bootif
		b.p.Source = b.bootIfKey() + "=" + bootif
		b.p.Reason = "the bond of " + b.virt[bootif].arg
	case isBondName(bootif) && !b.hasNIC(bootif):
		b.failArg(b.bootIfKey()+"="+bootif, "no bond= defines %s", bootif)
	default:
		b.chooseNamed(bootif)
	}
	b.settleTop()
}

// settleTop lifts a chosen NIC to what is stacked on it: the bond it is
// a slave of (pxelinux appends the PXE NIC's MAC whatever the bond it
// joins; dracut then brings up the bond), the bridge it is a port of, or
// the VLAN or bridge the first ip= naming an interface names on it.
func (b *builder) settleTop() {
	cfg, dev := b.cfg, b.p.Device
	if dev == "" {
		return
	}
	if m := b.master[dev]; m != "" && b.virt[m].kind == KindBond {
		b.p.Reason = fmt.Sprintf("%s (%s) is a port of %s: the bond", dev, b.p.Reason, m)
		b.p.Device, dev = m, m
	}
	for _, name := range b.virtOrder { // bare bridge: the management NIC is its port
		if v := b.virt[name]; v.kind == KindBridge && len(v.lowers) == 0 {
			v.lowers = []string{dev}
			b.checkLower(v, dev)
			b.p.Reason += "; the port of " + name + " (bare bridge: on the management NIC)"
		}
	}
	if b.top == "" {
		for _, ip := range cfg.IPs {
			if v := b.virt[ip.Iface]; v != nil && v.kind != KindBond && b.bottom(ip.Iface) == dev {
				b.top = ip.Iface
				break
			}
		}
	}
	if b.top == "" {
		if m := b.master[dev]; m != "" {
			b.top = m // a bridge port takes no address: the bridge does
			b.p.Reason += "; it is a port of " + m
		}
	}
	if cfg.VLANParent != "" && cfg.VLANParent != dev {
		b.failArg(fmt.Sprintf("vlan=%d:%s", cfg.VLAN, cfg.VLANParent), "the parent differs from the management interface %s chosen by %s", dev, b.p.Source)
	}
	if b.top != "" && cfg.VLAN != 0 {
		b.failArg(fmt.Sprintf("vlan=%d", cfg.VLAN), "the management interface is %s: name the VLAN instead (vlan=<name>:<parent>, ip=<name>:...)", b.top)
	}
}

// chooseBootDev is dracut's bootdev=: it names the management interface.
func (b *builder) chooseBootDev() {
	name := b.cfg.BootDev
	src := "bootdev=" + name
	if v := b.virt[name]; v != nil {
		if v.kind != KindBond {
			b.top = name
		}
		b.p.Source, b.p.Reason = src, "named"
		if dev := b.bottom(name); dev != "" {
			b.p.Device = dev
			if dev != name {
				b.p.Reason = "the bottom of " + name
			}
			return
		}
		b.chooseLink("") // a bare bridge: its port is the NIC chosen so
		b.p.Source = src
		return
	}
	if n, ok := b.nic(name); ok && !n.Loopback {
		b.p.Device, b.p.Source, b.p.Reason = name, src, "named"
		return
	}
	b.failArg(src, "no interface named %s; NICs: %s", name, b.nicList())
}

// bootIfKey is the argument that gave BootIf as it was spelled.
func (b *builder) bootIfKey() string {
	if b.cfg.BootIfKey != "" {
		return b.cfg.BootIfKey
	}
	return "BOOTIF"
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
	src := b.bootIfKey() + "=" + bootif
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
		if cfg.VLANParent != "" {
			break // oVirt's vlan=ID:IFACE names the management NIC
		}
		if ip.Iface != "" {
			src := ipArg(ip)
			name := ip.Iface
			if cfg.VLAN != 0 { // ip= may name the VLAN: its parent is the device
				name = strings.TrimSuffix(name, fmt.Sprintf(".%d", cfg.VLAN))
			}
			if name == BridgeName && cfg.Layout == "bridged" {
				continue
			}
			const why = "the interface of the first ip= naming one"
			if v := b.virt[name]; v != nil {
				if v.kind != KindBond {
					b.top = name
				}
				if dev := b.bottom(name); dev != "" {
					b.p.Device, b.p.Source, b.p.Reason = dev, src, why
					if dev != name {
						b.p.Reason = "the first ip= naming an interface names " + name + ", stacked on it"
					}
					return
				}
				b.chooseLink("") // a bare bridge: its port is the NIC chosen so
				return
			}
			if _, ok := b.nic(name); !ok {
				b.failArg(src, "no NIC named %s; NICs: %s", name, b.nicList())
				return
			}
			b.p.Device, b.p.Source, b.p.Reason = name, src, why
			return
		}
	}
	tops := b.tops()
	switch {
	case cfg.VLANParent != "":
		src := fmt.Sprintf("vlan=%d:%s", cfg.VLAN, cfg.VLANParent)
		if v := b.virt[cfg.VLANParent]; v != nil && v.kind == KindBond {
			b.p.Device, b.p.Source, b.p.Reason = cfg.VLANParent, src, "the VLAN's parent"
			return
		}
		if _, ok := b.nic(cfg.VLANParent); !ok {
			b.failArg(src, "no NIC named %s; NICs: %s", cfg.VLANParent, b.nicList())
			return
		}
		b.p.Device, b.p.Source, b.p.Reason = cfg.VLANParent, src, "the VLAN's parent"
	case len(tops) == 1:
		v := b.virt[tops[0]]
		if v.kind != KindBond {
			b.top = v.name
		}
		if dev := b.bottom(v.name); dev != "" {
			b.p.Device, b.p.Source, b.p.Reason = dev, v.arg, "the only "+string(v.kind)
			return
		}
		b.chooseLink("")
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
