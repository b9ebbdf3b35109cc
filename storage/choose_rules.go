package storage

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// ParseSize reads a node.disk size such as 100G, 1.5T, 512M, 200GiB or a
// plain byte count. K/M/G/T (and KB/MB/GB/TB) are decimal, as disk
// vendors label them; KiB/MiB/GiB/TiB are binary.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := float64(1)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = t[:len(t)-len(u.suffix)], u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (K, M, G, T decimal; KiB, MiB, GiB, TiB binary)", s)
	}
	return int64(v * mult), nil
}

// explicitSelector tells whether a selector names one disk on purpose
// (then a removable disk may be taken).
func explicitSelector(s Selector) bool {
	for _, r := range s.Rules {
		switch r.Key {
		case "serial", "wwid", "path":
			return true
		case "bus":
			if r.Value == "usb" || r.Value == "mmc" {
				return true
			}
		}
	}
	return false
}

// globFold matches a glob case-insensitively; a bad pattern compares literally.
func globFold(pattern, s string) bool {
	p, v := strings.ToLower(pattern), strings.ToLower(s)
	ok, err := path.Match(p, v)
	return (err == nil && ok) || p == v
}

func gib(n int64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }

// ruleMatch tests one rule; when it fails, why says what the disk has.
func ruleMatch(r Rule, d Disk) (ok bool, why string) {
	switch r.Key {
	case "serial":
		return globFold(r.Value, d.Serial), "serial is " + quoteOrNone(d.Serial)
	case "wwid":
		return globFold(r.Value, d.WWID), "wwid is " + quoteOrNone(d.WWID)
	case "model":
		return globFold(r.Value, d.Model), "model is " + quoteOrNone(d.Model)
	case "vendor":
		return globFold(r.Value, d.Vendor), "vendor is " + quoteOrNone(d.Vendor)
	case "path":
		ok, _ := refMatches(DiskRef{Path: r.Value}, d)
		return ok, "path is " + d.Path
	case "bus":
		return strings.EqualFold(d.Transport, r.Value), "bus is " + d.Transport
	case "type":
		t := diskType(d)
		return t == r.Value || (r.Value == "ssd" && t == "nvme"), "type is " + t
	case "size":
		want, err := ParseSize(r.Value)
		if err != nil {
			return false, err.Error()
		}
		var ok bool
		switch r.Op {
		case ">=":
			ok = d.Size >= want
		case "<=":
			ok = d.Size <= want
		case ">":
			ok = d.Size > want
		case "<":
			ok = d.Size < want
		case "=", "":
			ok = d.Size == want
		default:
			return false, "unknown operator " + r.Op
		}
		return ok, fmt.Sprintf("size is %s (%d bytes)", gib(d.Size), d.Size)
	case "largest", "smallest":
		return true, "" // decided among the disks that pass the other rules
	}
	return false, "unknown rule " + r.Key
}

func quoteOrNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return strconv.Quote(s)
}

// diskType is the type= class of a disk.
func diskType(d Disk) string {
	switch {
	case d.Transport == "nvme":
		return "nvme"
	case d.Rotational:
		return "hdd"
	}
	return "ssd"
}

// selectors applies the node.disk fallback list: the first selector that
// matches exactly one usable disk wins.
func (c *chooser) selectors() error {
	why := make([][]string, len(c.disks))
	var lines []string
	for _, sel := range c.spec.Selectors {
		label := sel.Label()
		var hits []int
		for i, d := range c.disks {
			failed := ""
			for _, r := range sel.Rules {
				if ok, w := ruleMatch(r, d); !ok {
					failed = w
					break
				}
			}
			if failed == "" {
				failed = c.unusable(d, explicitSelector(sel), "boot")
				if failed != "" {
					failed = "matches, but " + failed
				}
			}
			if failed != "" {
				why[i] = append(why[i], label+": "+failed)
				continue
			}
			hits = append(hits, i)
		}
		hits = c.extremes(sel, hits, label, why)
		if len(hits) == 1 {
			c.take(hits[0], "boot", "matches "+label)
			for i := range c.disks {
				if i != hits[0] {
					c.note(i, "not chosen: "+strings.Join(why[i], "; "))
				}
			}
			return nil
		}
		var names []string
		for _, i := range hits {
			names = append(names, c.disks[i].Name)
			why[i] = append(why[i], fmt.Sprintf("%s: matches, but %d usable disks match in all", label, len(hits)))
		}
		lines = append(lines, fmt.Sprintf("%s matches %d usable disks%s", label, len(hits), listOrEmpty(names)))
	}
	for i := range c.disks {
		c.note(i, "not chosen: "+strings.Join(why[i], "; "))
	}
	arg := "node.disk"
	if ss := c.spec.Selectors; len(ss) == 1 && ss[0].From != "" {
		arg = ss[0].From
	}
	return &ChoiceError{Arg: arg, Msg: "no selector matches exactly one usable disk (" + strings.Join(lines, "; ") + ")"}
}

func listOrEmpty(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// extremes applies largest/smallest to the disks passing the other rules.
func (c *chooser) extremes(sel Selector, hits []int, label string, why [][]string) []int {
	for _, r := range sel.Rules {
		if r.Key != "largest" && r.Key != "smallest" || len(hits) == 0 {
			continue
		}
		best := c.disks[hits[0]].Size
		for _, i := range hits {
			s := c.disks[i].Size
			if (r.Key == "largest" && s > best) || (r.Key == "smallest" && s < best) {
				best = s
			}
		}
		var keep []int
		for _, i := range hits {
			if c.disks[i].Size == best {
				keep = append(keep, i)
				continue
			}
			why[i] = append(why[i], fmt.Sprintf("%s: not the %s (%s, the %s is %s)", label, r.Key, gib(c.disks[i].Size), r.Key, gib(best)))
		}
		hits = keep
	}
	return hits
}
