package network

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// bondOpt is how one bonding option is written: an enumeration (the
// kernel's names in the order of its numbers, either form accepted, the
// name kept), a number range, or a special kind.
type bondOpt struct {
	enum     []string
	min, max int
	kind     string // "ifname" (a slave), "ipv4" (repeatable), "mac"
	modes    []string
}

// modesPrimary are the modes with a primary slave (the kernel
// refuses the option in the others).
var modesPrimary = []string{"active-backup", "balance-tlb", "balance-alb"}

// bondOpts are the bonding driver's options (Documentation/networking/
// bonding.rst) that bond= and the answer file take. Apply sets each
// through netlink and the keyfiles carry each under [bond].
var bondOpts = map[string]bondOpt{
	"mode":              {enum: []string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}},
	"miimon":            {max: math.MaxInt32},
	"updelay":           {max: math.MaxInt32},
	"downdelay":         {max: math.MaxInt32},
	"min_links":         {max: math.MaxInt32},
	"arp_interval":      {max: math.MaxInt32},
	"xmit_hash_policy":  {enum: []string{"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"}},
	"lacp_rate":         {enum: []string{"slow", "fast"}},
	"primary":           {kind: "ifname", modes: modesPrimary},
	"primary_reselect":  {enum: []string{"always", "better", "failure"}},
	"arp_ip_target":     {kind: "ipv4"},
	"arp_validate":      {enum: []string{"none", "active", "backup", "all", "filter", "filter_active", "filter_backup"}},
	"arp_all_targets":   {enum: []string{"any", "all"}},
	"fail_over_mac":     {enum: []string{"none", "active", "follow"}},
	"ad_select":         {enum: []string{"stable", "bandwidth", "count"}},
	"all_slaves_active": {max: 1},
	"use_carrier":       {max: 1},
	"tlb_dynamic_lb":    {max: 1},
	"num_grat_arp":      {max: 255},
	"num_unsol_na":      {max: 255},
	"resend_igmp":       {max: 255},
	"packets_per_slave": {max: 65535},
	"lp_interval":       {min: 1, max: math.MaxInt32},
	"ad_actor_sys_prio": {min: 1, max: 65535},
	"ad_user_port_key":  {max: 1023},
	"ad_actor_system":   {kind: "mac"},
}

// maxArpTargets is the bonding driver's BOND_MAX_ARP_TARGETS.
const maxArpTargets = 16

// BondOptionNames lists the option names ParseBondOptions takes.
func BondOptionNames() []string {
	var ks []string
	for k := range bondOpts {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ParseBondOptions reads bond options "mode=active-backup,miimon=100"
// (separated by commas, spaces or semicolons; "" gives the defaults) for
// a bond of slaves: every option is checked against the driver's range,
// enumerations are kept by name, primary must name a
// slave (in a mode that has one), and arp_ip_target may be repeated (up
// to 16 targets, kept as one comma-separated option). It is the one rule
// of the kernel arguments, the answer file, the TUI and the planner.
func ParseBondOptions(s string, slaves []string) ([]BondOption, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultBondOptions
	}
	var out []BondOption
	seen := map[string]int{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("option %q: expected key=value", f)
		}
		opt, known := bondOpts[k]
		if !known {
			return nil, fmt.Errorf("option %q: unknown key %s (supported: %s)", f, k, strings.Join(BondOptionNames(), ", "))
		}
		v, err := opt.value(k, v, slaves)
		if err != nil {
			return nil, err
		}
		if i, dup := seen[k]; dup {
			if k != "arp_ip_target" {
				return nil, fmt.Errorf("option %s given twice", k)
			}
			out[i].Value += "," + v
			if n := strings.Count(out[i].Value, ",") + 1; n > maxArpTargets {
				return nil, fmt.Errorf("arp_ip_target: %d targets, the bonding driver takes at most %d", n, maxArpTargets)
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, BondOption{Key: k, Value: v})
	}
	mode := "balance-rr"
	if i, ok := seen["mode"]; ok {
		mode = out[i].Value
	}
	for _, o := range out {
		if m := bondOpts[o.Key].modes; m != nil && !slices.Contains(m, mode) {
			return nil, fmt.Errorf("option %s: only in modes %s, not %s", o.Key, strings.Join(m, ", "), mode)
		}
	}
	return out, nil
}

// value checks one option's value and returns it as kept.
func (o bondOpt) value(k, v string, slaves []string) (string, error) {
	switch {
	case o.enum != nil:
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(o.enum) {
			return o.enum[n], nil
		}
		if slices.Contains(o.enum, v) {
			return v, nil
		}
		return "", fmt.Errorf("%s=%s: expected %s or 0-%d", k, v, strings.Join(o.enum, ", "), len(o.enum)-1)
	case o.kind == "ifname":
		if err := CheckIfname(v); err != nil {
			return "", fmt.Errorf("%s=%s: %v", k, v, err)
		}
		if !slices.Contains(slaves, v) {
			return "", fmt.Errorf("%s=%s: not a slave of the bond (slaves: %s)", k, v, strings.Join(slaves, ","))
		}
		return v, nil
	case o.kind == "ipv4":
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || a.IsUnspecified() || a.IsMulticast() {
			return "", fmt.Errorf("%s=%s: expected a unicast IPv4 address", k, v)
		}
		return a.String(), nil
	case o.kind == "mac":
		m, err := ParseMAC(v)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %v", k, v, err)
		}
		return m, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < o.min || n > o.max {
		return "", fmt.Errorf("%s=%s: expected a number %d-%d", k, v, o.min, o.max)
	}
	return strconv.Itoa(n), nil
}

// bondEnumIndex is the kernel's number of an enumerated option's name.
func bondEnumIndex(k, name string) int {
	return slices.Index(bondOpts[k].enum, name)
}
