package installer

import (
	"fmt"
	"strconv"
	"strings"

	"node-installer/storage"
)

// The answer file's storage.root_device: OpenStack Ironic's root device
// hints (docs/fleet.md), mapped onto node.disk rules so that the one disk
// choice decides (exactly one usable disk, the reasons shown):
//
//	name, by_path          path=VALUE (a /dev path or a /dev/disk/by-path link)
//	size                   GiB as Ironic counts them (whole GiB, rounded down):
//	                       "100" or "== 100", ">= 100", "> 100", "<= 100", "< 100"
//	model, vendor, serial  model=, vendor=, serial= (case-insensitive)
//	wwn, wwn_with_extension, wwn_vendor_extension
//	                       wwid= ending in the hex digits (0x dropped): the
//	                       kernel's WWID is naa.<hex>, Ironic's wwn 0x<hex>
//	rotational             true: type=hdd; false: type=ssd (NVMe included)
//
// String hints take Ironic's "s== VALUE" too; its other operators (s!=,
// <in>, <or>...) and hctl (the probe records no SCSI address) are
// problems naming the hint.

// rootDeviceFrom names the selector's origin in messages.
const rootDeviceFrom = "storage.root_device"

type hintProblem struct{ key, msg string }

// rootDeviceSelector is the selector of h, or the problems of its hints.
func rootDeviceSelector(h storage.RootDeviceHints) (storage.Selector, []hintProblem) {
	sel := storage.Selector{From: rootDeviceFrom}
	var ps []hintProblem
	add := func(key, op, value string) {
		sel.Rules = append(sel.Rules, storage.Rule{Key: key, Op: op, Value: value})
	}
	str := func(hint, v, key string, wwn bool) {
		if v == "" {
			return
		}
		s, err := hintString(v)
		if err == nil && wwn {
			s, err = hintWWN(s)
		}
		if err != nil {
			ps = append(ps, hintProblem{hint, err.Error()})
			return
		}
		add(key, "=", s)
	}
	str("name", h.Name, "path", false)
	str("by_path", h.ByPath, "path", false)
	str("model", h.Model, "model", false)
	str("vendor", h.Vendor, "vendor", false)
	str("serial", h.Serial, "serial", false)
	str("wwn", h.WWN, "wwid", true)
	str("wwn_with_extension", h.WWNWithExtension, "wwid", true)
	str("wwn_vendor_extension", h.WWNVendorExtension, "wwid", true)
	if h.Size != "" {
		rules, err := hintSize(h.Size)
		if err != nil {
			ps = append(ps, hintProblem{"size", err.Error()})
		}
		sel.Rules = append(sel.Rules, rules...)
	}
	if h.Rotational != "" {
		switch strings.ToLower(strings.TrimSpace(h.Rotational)) {
		case "1", "t", "true", "on", "y", "yes":
			add("type", "=", "hdd")
		case "0", "f", "false", "off", "n", "no":
			add("type", "=", "ssd")
		default:
			ps = append(ps, hintProblem{"rotational", "expects true or false"})
		}
	}
	if h.HCTL != "" {
		ps = append(ps, hintProblem{"hctl", "is not supported (the disk probe records no SCSI address): use by_path, serial or wwn"})
	}
	if len(sel.Rules) == 0 && len(ps) == 0 {
		ps = append(ps, hintProblem{"", "has no hints (name, size, model, vendor, serial, wwn, wwn_with_extension, wwn_vendor_extension, rotational, by_path)"})
	}
	var raw []string
	for _, r := range sel.Rules {
		raw = append(raw, r.Key+r.Op+r.Value)
	}
	sel.Raw = strings.Join(raw, ",")
	return sel, ps
}

// hintString reads a string hint: VALUE or "s== VALUE".
func hintString(v string) (string, error) {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "s=="); ok {
		v = strings.TrimSpace(rest)
	} else if strings.HasPrefix(v, "<") || strings.HasPrefix(v, "s!=") || strings.HasPrefix(v, "s<") || strings.HasPrefix(v, "s>") {
		return "", fmt.Errorf("%q: only a plain value or s== VALUE is supported", v)
	}
	if v == "" {
		return "", fmt.Errorf("is empty")
	}
	return v, nil
}

// hintWWN turns 0x<hex>[0x<hex>] into a glob on the end of the WWID.
func hintWWN(v string) (string, error) {
	hex := strings.ReplaceAll(strings.ToLower(v), "0x", "")
	if hex == "" || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q: expects hex digits (0x5000c500a0b1c2d3)", v)
	}
	return "*" + hex, nil
}

// hintSize maps Ironic's size (whole GiB, rounded down, with an optional
// operator) onto size rules in bytes.
func hintSize(v string) ([]storage.Rule, error) {
	t := strings.TrimSpace(v)
	op := "=="
	for _, o := range []string{"==", ">=", "<=", "!=", ">", "<"} {
		if rest, ok := strings.CutPrefix(t, o); ok {
			op, t = o, strings.TrimSpace(rest)
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > 1<<30 {
		return nil, fmt.Errorf("%q: expects whole GiB with an optional ==, >=, >, <= or <", v)
	}
	gib := func(k int64) string { return strconv.FormatInt(k, 10) + "GiB" }
	switch op {
	case "==":
		return []storage.Rule{{Key: "size", Op: ">=", Value: gib(n)}, {Key: "size", Op: "<", Value: gib(n + 1)}}, nil
	case ">=":
		return []storage.Rule{{Key: "size", Op: ">=", Value: gib(n)}}, nil
	case ">":
		return []storage.Rule{{Key: "size", Op: ">=", Value: gib(n + 1)}}, nil
	case "<=":
		return []storage.Rule{{Key: "size", Op: "<", Value: gib(n + 1)}}, nil
	case "<":
		return []storage.Rule{{Key: "size", Op: "<", Value: gib(n)}}, nil
	}
	return nil, fmt.Errorf("%q: operator %s is not supported", v, op)
}

// diskSpec is cfg's storage as the disk choice takes it: the root device
// hints as the one selector when no node.disk replaced them (a hint with
// a problem adds none: Validate reports it).
func diskSpec(cfg Config) storage.Spec {
	spec := cfg.Storage
	if h := spec.RootDevice; h != nil && len(spec.Selectors) == 0 {
		if sel, ps := rootDeviceSelector(*h); len(ps) == 0 {
			spec.Selectors = []storage.Selector{sel}
		}
	}
	return spec
}

// rootDevice reports the problems of storage.root_device.
func (v *validator) rootDevice(s storage.Spec) {
	if s.RootDevice == nil {
		return
	}
	if len(s.Selectors) > 0 {
		v.add(rootDeviceFrom, "and storage.selectors are both given: use one (a node.disk= kernel argument replaces both)")
	}
	_, ps := rootDeviceSelector(*s.RootDevice)
	for _, p := range ps {
		field := rootDeviceFrom
		if p.key != "" {
			field += "." + p.key
		}
		v.add(field, "%s", p.msg)
	}
}
