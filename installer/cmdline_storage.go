package installer

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/storage"
)

// storageHandlers read the storage arguments.
var storageHandlers = map[string]argHandler{
	"node.disk":      (*argParser).nodeDisk,
	"storage_vol":    (*argParser).storageVol,
	"mem_overcommit": (*argParser).memOvercommit,
	"wipe_fakeraid":  flagArg("storage.wipe_fakeraid", func(c *Config) *bool { return &c.Storage.WipeFakeRAID }),
	"swap_encrypt":   (*argParser).swapEncrypt,
	"node.wipe":      str("storage.wipe", "force", func(c *Config) *string { return &c.Storage.Wipe }),
}

// diskBuses are the bus names of storage_init and node.disk bus=.
var diskBuses = map[string]bool{"ata": true, "scsi": true, "usb": true, "virtio": true, "nvme": true, "cciss": true}

// kernelDiskName matches a bare kernel disk name, taken as /dev/NAME.
var kernelDiskName = regexp.MustCompile(`^(sd[a-z]+|vd[a-z]+|hd[a-z]+|xvd[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+)$`)

// storageInit reads storage_init[=DISK[,DISK...][;APPDISK[,...]]].
func (p *argParser) storageInit(prm cmdline.Param) {
	if !p.once("storage.disks", prm) {
		return
	}
	p.actions = append(p.actions, prm)
	p.cfg.Storage.Init = true
	p.origin("storage.init", prm)
	if prm.Value == "" {
		// Bare storage_init: the first eligible disk (or node.disk's choice).
		p.cfg.Storage.Disks, p.cfg.Storage.AppDisks = nil, nil
		return
	}
	boot, app, hasApp := strings.Cut(prm.Value, ";")
	if strings.Contains(app, ";") {
		p.problem("storage.app_disks", prm, "expects at most one ';' (boot disks;data disks)")
		return
	}
	disks, ok := p.diskRefs("storage.disks", prm, boot)
	if !ok {
		return
	}
	var apps []storage.DiskRef
	if hasApp {
		if apps, ok = p.diskRefs("storage.app_disks", prm, app); !ok {
			return
		}
	}
	if len(disks) == 0 && len(apps) > 0 {
		p.problem("storage.disks", prm, "names data disks after ';' but no boot disk before it")
		return
	}
	p.cfg.Storage.Disks, p.cfg.Storage.AppDisks = disks, apps
	for i := range disks {
		p.origin(fmt.Sprintf("storage.disks[%d]", i), prm)
	}
	for i := range apps {
		p.origin(fmt.Sprintf("storage.app_disks[%d]", i), prm)
	}
}

// diskRefs reads a ','-separated list of disks.
func (p *argParser) diskRefs(field string, prm cmdline.Param, list string) ([]storage.DiskRef, bool) {
	if list == "" {
		return nil, true
	}
	var out []storage.DiskRef
	ok := true
	for _, item := range strings.Split(list, ",") {
		ref, err := ParseDiskRef(item)
		if err != nil {
			p.problem(field, prm, "%v", err)
			ok = false
			continue
		}
		out = append(out, ref)
	}
	return out, ok
}

// ParseDiskRef reads one storage_init item: a path (globs and
// /dev/disk/by-id/... allowed), a bare kernel disk name (sda, vda,
// nvme0n1, taken as /dev/NAME) or a bus with an optional
// serial or ALL: ata|scsi|usb|virtio|nvme[:SERIAL|:ALL].
func ParseDiskRef(s string) (storage.DiskRef, error) {
	ref := storage.DiskRef{Raw: s}
	switch {
	case s == "":
		return ref, fmt.Errorf("empty disk in the list (a stray ','?)")
	case strings.HasPrefix(s, "/"):
		if _, err := path.Match(s, ""); err != nil {
			return ref, fmt.Errorf("disk %q: malformed glob pattern", s)
		}
		ref.Path = s
		return ref, nil
	case kernelDiskName.MatchString(s):
		ref.Path = "/dev/" + s
		return ref, nil
	}
	bus, rest, hasRest := strings.Cut(s, ":")
	if !diskBuses[strings.ToLower(bus)] {
		return ref, fmt.Errorf("disk %q: expects a /dev path, a disk name such as sda, or a bus ata|scsi|usb|virtio|nvme|cciss[:SERIAL|:ALL]", s)
	}
	ref.Bus = strings.ToLower(bus)
	switch {
	case !hasRest:
	case rest == "":
		return ref, fmt.Errorf("disk %q: empty serial after ':'", s)
	case strings.EqualFold(rest, "ALL"):
		ref.All = true
	default:
		ref.Serial = rest
	}
	return ref, nil
}

// nodeDisk reads one node.disk selector; several form a fallback list.
func (p *argParser) nodeDisk(prm cmdline.Param) {
	p.resetList("node.disk", func() { p.cfg.Storage.Selectors, p.cfg.Storage.RootDevice = nil, nil })
	field := fmt.Sprintf("storage.selectors[%d]", len(p.cfg.Storage.Selectors))
	if !p.needValue(field, prm, "RULE[,RULE...]") {
		return
	}
	sel, err := ParseSelector(prm.Value)
	if err != nil {
		p.problem(field, prm, "%v", err)
		return
	}
	p.cfg.Storage.Selectors = append(p.cfg.Storage.Selectors, sel)
	p.origin(field, prm)
}

// selectorKeys are the node.disk rule keys; largest and smallest take no value.
var selectorKeys = map[string]bool{
	"serial": true, "model": true, "size": true, "type": true, "bus": true,
	"largest": true, "smallest": true, "path": true, "wwid": true, "vendor": true,
}

// ruleOps in the order they are looked for (two-character ones first).
var ruleOps = []string{">=", "<=", "=", ">", "<"}

// ParseSelector reads a node.disk value: rules separated by ',' that
// must all hold, e.g. "type=ssd,size>=100G".
func ParseSelector(s string) (storage.Selector, error) {
	sel := storage.Selector{Raw: s}
	for _, item := range strings.Split(s, ",") {
		r, err := parseRule(item)
		if err != nil {
			return sel, err
		}
		sel.Rules = append(sel.Rules, r)
	}
	return sel, nil
}

func parseRule(s string) (storage.Rule, error) {
	if s == "largest" || s == "smallest" {
		return storage.Rule{Key: s}, nil
	}
	at, op := -1, ""
	for _, o := range ruleOps {
		if i := strings.Index(s, o); i >= 0 && (at < 0 || i < at) {
			at, op = i, o
		}
	}
	if at <= 0 {
		if s == "" {
			return storage.Rule{}, fmt.Errorf("empty rule (a stray ','?)")
		}
		return storage.Rule{}, fmt.Errorf("rule %q: expects KEY=VALUE, size>=SIZE, size<=SIZE, largest or smallest", s)
	}
	key := s[:at]
	if !selectorKeys[key] {
		return storage.Rule{}, fmt.Errorf("rule %q: unknown key %q (known: serial, model, size, type, bus, path, wwid, vendor, largest, smallest)", s, key)
	}
	return storage.Rule{Key: key, Op: op, Value: s[at+len(op):]}, nil
}

// volNames maps storage_vol names (case-insensitive) to volumes; oVirt's
// "Boot" is the EFI system partition here.
var volNames = map[string]storage.Vol{
	"efi": storage.VolEFI, "boot": storage.VolEFI, "swap": storage.VolSwap, "root": storage.VolRoot,
	"config": storage.VolConfig, "logging": storage.VolLogging, "data": storage.VolData,
	"swap2": storage.VolSwap2, "data2": storage.VolData2,
}

// storageVol reads storage_vol in both oVirt forms. Like oVirt's
// ovirt-early, each ':'-separated field is either SIZE (the volume of that
// position in BOOT:SWAP:ROOT:CONFIG:LOGGING:DATA:SWAP2:DATA2) or
// SIZE,NAME (the named volume); an empty field keeps the default.
func (p *argParser) storageVol(prm cmdline.Param) {
	if !p.once("storage.volumes", prm) || !p.needValue("storage.volumes", prm, "BOOT:SWAP:ROOT:CONFIG:LOGGING:DATA:SWAP2:DATA2 or SIZE,NAME:...") {
		return
	}
	vols, err := ParseStorageVol(prm.Value)
	if err != nil {
		p.problem("storage.volumes", prm, "%v", err)
		return
	}
	if p.cfg.Storage.Volumes == nil {
		p.cfg.Storage.Volumes = map[storage.Vol]int64{}
	}
	for v, n := range vols {
		p.cfg.Storage.Volumes[v] = n
		p.origin("storage.volumes."+string(v), prm)
	}
}

// ParseStorageVol reads a storage_vol value into sizes in MiB (-1 fills
// the rest, 0 omits the volume). It checks the syntax only; Validate
// checks the combination.
func ParseStorageVol(s string) (map[storage.Vol]int64, error) {
	fields := strings.Split(s, ":")
	if len(fields) > len(storage.VolOrder) {
		return nil, fmt.Errorf("has %d fields, at most %d (BOOT:SWAP:ROOT:CONFIG:LOGGING:DATA:SWAP2:DATA2)", len(fields), len(storage.VolOrder))
	}
	out := map[storage.Vol]int64{}
	for i, f := range fields {
		if f == "" {
			continue
		}
		sizeText, name, named := strings.Cut(f, ",")
		vol := storage.VolOrder[i]
		if named {
			v, ok := volNames[strings.ToLower(name)]
			if !ok {
				return nil, fmt.Errorf("field %q: unknown volume %q (known: EFI, Boot, Swap, Root, Config, Logging, Data, Swap2, Data2)", f, name)
			}
			vol = v
		}
		n, err := strconv.ParseInt(sizeText, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field %q: size %q is not a whole number of MiB (-1 = fill the rest, 0 = none)", f, sizeText)
		}
		if _, dup := out[vol]; dup {
			return nil, fmt.Errorf("field %q: volume %s is given twice", f, vol)
		}
		out[vol] = n
	}
	return out, nil
}

// memOvercommit reads mem_overcommit=FACTOR.
func (p *argParser) memOvercommit(prm cmdline.Param) {
	const field = "storage.mem_overcommit"
	if !p.once(field, prm) || !p.needValue(field, prm, "FACTOR") {
		return
	}
	f, err := finiteFloat(prm.Value)
	if err != nil {
		p.problem(field, prm, "expects a number such as 0.5 (swap = base + RAM x FACTOR)")
		return
	}
	p.cfg.Storage.MemOvercommit = f
	p.origin(field, prm)
}

// swapEncrypt reads swap_encrypt: any value but an "off" one asks for
// encrypted swap (oVirt took a cipher spec here), which Validate refuses
// until it is implemented.
func (p *argParser) swapEncrypt(prm cmdline.Param) {
	const field = "storage.swap_encrypt"
	if !p.once(field, prm) {
		return
	}
	switch strings.ToLower(prm.Value) {
	case "0", "n", "no", "false", "off":
		p.cfg.Storage.SwapEncrypt = false
	default:
		p.cfg.Storage.SwapEncrypt = true
	}
	p.origin(field, prm)
}
