package installer

import (
	"fmt"
	"net/netip"
	"net/url"
	"node-installer/network"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"node-installer/internal/crypthash"
	"node-installer/internal/event"
	"node-installer/storage"
)

// Validate checks the whole Config (from any source: defaults, answer
// file, kernel command line, TUI) and returns every problem at once.
// Each problem names the field and, through Origins, the kernel argument
// or answer-file line and the value it came from. Secrets are masked.
//
// Validate reports errors only. An unattended install without adminpw
// is valid (as in oVirt: the admin sets a password later in the setup
// TUI); the plan shows that no password is set.
func (c *Config) Validate() Problems {
	v := &validator{c: c}
	v.action()
	v.storage()
	v.network()
	v.host()
	v.services()
	v.unattended()
	v.bootParams()
	return v.ps.redacted()
}

type validator struct {
	c  *Config
	ps Problems
}

// add records a problem of field, naming its origin when it has one: the
// field itself or the closest parent field that has one.
func (v *validator) add(field, format string, args ...any) {
	pr := Problem{Field: field, Msg: fmt.Sprintf(format, args...)}
	for f := field; f != ""; f = parentField(f) {
		if o, ok := v.c.Origins[f]; ok {
			pr.Arg, pr.Value = o.Arg, o.Value
			break
		}
	}
	if field == "host.adminpw" || field == "host.rootpw" {
		pr.Value = masked
		if pr.Arg == "" {
			pr.Value = ""
		}
	}
	v.ps = append(v.ps, pr)
}

// parentField strips the last component: a.b[2].c -> a.b[2] -> a.b -> a.
func parentField(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i <= 0 {
		return ""
	}
	return f[:i]
}

func (v *validator) action() {
	c := v.c
	switch c.Action {
	case ActionInteractive, ActionInstall, ActionReinstall, ActionUpgrade, ActionUninstall:
	default:
		v.add("action", "unknown action %q: expects interactive, install, reinstall, upgrade or uninstall", c.Action)
	}
	if c.Action == ActionInstall && !c.Storage.Init {
		v.add("action", "an unattended install needs storage_init (storage.init: true)")
	}
}

// volMin is the smallest size in MiB a volume may have when not 0 or -1,
// the same floors the layout planner uses (storage/choose.go). The ESP
// minimum is for 512-byte sectors; the planner raises it to 260 MiB on
// 4Kn disks. Config matches oVirt's 5 MiB, which PXE lines still use.
var volMin = map[storage.Vol]int64{
	storage.VolEFI: 128, storage.VolSwap: 1, storage.VolRoot: 1024, storage.VolConfig: 5,
	storage.VolLogging: 64, storage.VolData: 256, storage.VolSwap2: 1, storage.VolData2: 256,
}

// maxVolMiB bounds sizes far beyond any disk (64 PiB) so byte arithmetic
// cannot overflow.
const maxVolMiB = 1 << 36

func (v *validator) storage() {
	s := &v.c.Storage
	for i, d := range s.Disks {
		v.diskRef(fmt.Sprintf("storage.disks[%d]", i), d)
	}
	for i, d := range s.AppDisks {
		v.diskRef(fmt.Sprintf("storage.app_disks[%d]", i), d)
	}
	if !s.Init && (len(s.Disks) > 0 || len(s.AppDisks) > 0) {
		v.add("storage.init", "disks are named but storage.init is false")
	}
	for i, sel := range s.Selectors {
		v.selector(fmt.Sprintf("storage.selectors[%d]", i), sel)
	}
	v.rootDevice(*s)
	v.volumes()
	if !(s.MemOvercommit >= 0 && s.MemOvercommit <= 16) {
		v.add("storage.mem_overcommit", "expects a factor from 0 to 16 (swap = base + RAM x factor)")
	}
	if s.SwapEncrypt {
		v.add("storage.swap_encrypt", "encrypted swap is not implemented yet: remove swap_encrypt (or use storage_vol to set Swap to 0)")
	}
	if s.Wipe != "" && s.Wipe != "force" {
		v.add("storage.wipe", "expects force (node.wipe=force erases disks that hold other data)")
	}
}

func (v *validator) diskRef(field string, d storage.DiskRef) {
	switch {
	case d.Path != "" && d.Bus != "":
		v.add(field, "names both a path and a bus")
	case d.Path != "":
		if !strings.HasPrefix(d.Path, "/") {
			v.add(field, "path %q is not absolute", d.Path)
		} else if _, err := path.Match(d.Path, ""); err != nil {
			v.add(field, "path %q is a malformed glob pattern", d.Path)
		}
		if d.Serial != "" || d.All {
			v.add(field, "serial and all go with a bus, not a path")
		}
	case d.Bus != "":
		if !diskBuses[d.Bus] {
			v.add(field, "unknown bus %q: expects ata, scsi, usb, virtio or nvme", d.Bus)
		}
		if d.Serial != "" && d.All {
			v.add(field, "names both a serial and ALL")
		}
	default:
		v.add(field, "names neither a path nor a bus")
	}
}

// ruleValues are the allowed values of node.disk rules with a fixed set.
var ruleValues = map[string]map[string]bool{
	"type": {"ssd": true, "hdd": true, "nvme": true},
	"bus":  {"ata": true, "scsi": true, "usb": true, "virtio": true, "nvme": true, "mmc": true},
}

func (v *validator) selector(field string, sel storage.Selector) {
	if len(sel.Rules) == 0 {
		v.add(field, "has no rules")
	}
	extreme := ""
	for _, r := range sel.Rules {
		switch r.Key {
		case "largest", "smallest":
			if r.Op != "" || r.Value != "" {
				v.add(field, "%s takes no value", r.Key)
			}
			if extreme != "" && extreme != r.Key {
				v.add(field, "asks for both largest and smallest")
			}
			extreme = r.Key
		case "size":
			if r.Op == "" {
				v.add(field, "size needs an operator: size>=, size<=, size>, size< or size=")
			}
			if n, err := storage.ParseSize(r.Value); err != nil || n <= 0 {
				v.add(field, "size %q: expects a positive size such as 100G, 1.5T, 512GiB", r.Value)
			}
		case "serial", "model", "type", "bus", "path", "wwid", "vendor":
			if r.Op != "=" {
				v.add(field, "%s takes '=', not %q", r.Key, r.Op)
			}
			if r.Value == "" {
				v.add(field, "%s= has an empty value", r.Key)
			} else if _, err := path.Match(r.Value, ""); err != nil {
				v.add(field, "%s=%s: malformed glob pattern", r.Key, r.Value)
			}
			if allowed := ruleValues[r.Key]; allowed != nil && !allowed[r.Value] {
				v.add(field, "%s=%s: expects one of %s", r.Key, r.Value, setList(allowed))
			}
		default:
			v.add(field, "unknown rule key %q", r.Key)
		}
	}
}

// setList renders a set's keys sorted, for messages.
func setList(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// volumes checks storage_vol: -1 fills the rest of its disk, so at most
// one volume per disk may fill (Data fills the boot disk and Data2 the
// data disks unless set); the EFI, Root and Config volumes can be
// neither omitted nor filled.
func (v *validator) volumes() {
	vols := v.c.Storage.Volumes
	known := map[storage.Vol]bool{}
	for _, vol := range storage.VolOrder {
		known[vol] = true
	}
	for vol := range vols {
		if !known[vol] {
			v.add("storage.volumes."+string(vol), "unknown volume %q: expects EFI, Swap, Root, Config, Logging, Data, Swap2 or Data2", vol)
		}
	}
	for _, vol := range storage.VolOrder {
		n, ok := vols[vol]
		if !ok {
			continue
		}
		f := "storage.volumes." + string(vol)
		fixed := vol == storage.VolEFI || vol == storage.VolRoot || vol == storage.VolConfig
		switch {
		case n < -1:
			v.add(f, "%s size %d: expects MiB > 0, -1 (fill the rest) or 0 (none)", vol, n)
		case n == 0 && fixed:
			v.add(f, "%s cannot be omitted (size 0)", vol)
		case n == -1 && fixed:
			v.add(f, "%s cannot fill the rest of the disk (-1): give a size in MiB", vol)
		case n > 0 && n < volMin[vol]:
			v.add(f, "%s size %d MiB is below the minimum of %d MiB", vol, n, volMin[vol])
		case n > maxVolMiB:
			v.add(f, "%s size %d MiB is larger than any disk", vol, n)
		}
	}
	v.fills([]storage.Vol{storage.VolSwap, storage.VolLogging, storage.VolData}, storage.VolData, "the boot disk")
	v.fills([]storage.Vol{storage.VolSwap2, storage.VolData2}, storage.VolData2, "the data disks")
}

// fills reports two volumes of one disk that both fill the rest.
func (v *validator) fills(on []storage.Vol, dflt storage.Vol, disk string) {
	var names []string
	field := ""
	for _, vol := range on {
		n, set := v.c.Storage.Volumes[vol]
		switch {
		case set && n == -1:
			names = append(names, string(vol))
			if field == "" {
				field = "storage.volumes." + string(vol)
			}
		case !set && vol == dflt:
			names = append(names, string(vol)+" (by default)")
		}
	}
	if len(names) > 1 {
		v.add(field, "%s fill the rest of %s (-1): at most one volume per disk may; give the others a size in MiB", strings.Join(names, " and "), disk)
	}
}

func (v *validator) host() {
	h := &v.c.Host
	for _, pw := range []struct{ field, hash string }{{"host.adminpw", h.AdminPW}, {"host.rootpw", h.RootPW}} {
		if _, ok := crypthash.Identify(pw.hash); pw.hash != "" && !ok {
			v.add(pw.field, "%s", crypthash.Hint)
		}
	}
	if h.Keyboard != "" && !keyboardRe.MatchString(h.Keyboard) {
		v.add("host.keyboard", "expects a keymap name such as us, de, de-latin1, fr-bepo")
	}
	for i, k := range h.SSHKeys {
		if err := CheckSSHKey(k); err != nil {
			v.add(fmt.Sprintf("host.ssh_authorized_keys[%d]", i), "%v", err)
		}
	}
}

var (
	keyboardRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$`)
	profileRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	logSizeRe   = regexp.MustCompile(`^[1-9][0-9]{0,12}[kKMG]?$`)
	iqnRe       = regexp.MustCompile(`^iqn\.[0-9]{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[^\s]+)?$`)
	euiRe       = regexp.MustCompile(`^eui\.[0-9A-Fa-f]{16}$`)
	naaRe       = regexp.MustCompile(`^naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$`)
	fprintHexRe = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){19}$|^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$|^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$`)
	fprintB64Re = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}=?$`)
	userRe      = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

func (v *validator) services() {
	s := &v.c.Services
	v.hostPort("services.syslog", s.Syslog)
	v.hostPort("services.netconsole", s.Netconsole)
	v.hostPort("services.collectd", s.Collectd)
	v.hostPort("services.management_server", s.ManagementServer)
	if s.LogrotateMaxSize != "" && !logSizeRe.MatchString(s.LogrotateMaxSize) {
		v.add("services.logrotate_max_size", "expects a size such as 1024 (KiB), 1024k, 10M or 1G")
	}
	switch s.LogrotateInterval {
	case "", "daily", "weekly", "monthly":
	default:
		v.add("services.logrotate_interval", "expects daily, weekly or monthly")
	}
	if s.KdumpNFS != "" {
		h, dir, ok := cutHostPath(s.KdumpNFS)
		if !ok || !strings.HasPrefix(dir, "/") || !validHost(h) {
			v.add("services.kdump_nfs", "expects HOST:/PATH (an absolute export path)")
		}
	}
	if s.KdumpSSH != "" {
		u, h, ok := strings.Cut(s.KdumpSSH, "@")
		if !ok || !userRe.MatchString(u) || !validHost(h) {
			v.add("services.kdump_ssh", "expects USER@HOST")
		}
	}
	if s.KdumpNFS != "" && s.KdumpSSH != "" {
		v.add("services.kdump_ssh", "kdump_nfs and kdump_ssh both set: kdump writes to one target")
	}
	if s.DisableKdump && (s.KdumpNFS != "" || s.KdumpSSH != "") {
		v.add("services.disable_kdump", "disable_kdump conflicts with a kdump target (kdump_nfs/kdump_ssh)")
	}
	if s.NFSv4Domain != "" && !ValidHostname(s.NFSv4Domain) {
		v.add("services.nfsv4_domain", "expects a DNS domain name such as example.org")
	}
	if s.ISCSIName != "" && !iqnRe.MatchString(s.ISCSIName) && !euiRe.MatchString(s.ISCSIName) && !naaRe.MatchString(s.ISCSIName) {
		v.add("services.iscsi_name", "expects an iSCSI name: iqn.YYYY-MM.reversed.domain[:identifier], eui.<16 hex> or naa.<16 or 32 hex>")
	}
	if s.ManagementFprint != "" && !fprintHexRe.MatchString(s.ManagementFprint) && !fprintB64Re.MatchString(s.ManagementFprint) {
		v.add("services.management_server_fingerprint", "expects hex bytes separated by ':' (MD5, SHA-1 or SHA-256) or SHA256:BASE64")
	}
	if s.ManagementFprint != "" && s.ManagementServer == nil {
		v.add("services.management_server_fingerprint", "needs management_server")
	}
	if s.UseStrongRNG != "" {
		if n, err := strconv.Atoi(s.UseStrongRNG); err != nil || n <= 0 {
			v.add("services.use_strong_rng", "expects a positive number of bytes")
		}
	}
	if s.Tuned != "" && !profileRe.MatchString(s.Tuned) {
		v.add("services.tuned", "expects a tuned profile name such as virtual-host")
	}
}

// cutHostPath splits HOST:/PATH, the host possibly a bracketed IPv6 address.
func cutHostPath(s string) (host, dir string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	return strings.Cut(s, ":")
}

func (v *validator) hostPort(field string, hp *HostPort) {
	if hp == nil {
		return
	}
	if !validHost(hp.Host) {
		v.add(field, "host %q: expects a host name or an IP address", hp.Host)
	}
	if hp.Port < 0 || hp.Port > 65535 {
		v.add(field+".port", "port %d: expects 1-65535", hp.Port)
	}
}

// validHost accepts a host name (RFC 1123) or an IP address.
func validHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Zone() == "" && !a.IsUnspecified()
	}
	return ValidHostname(h)
}

// ValidHostname tells whether s is a valid host name: network.CheckHostname
// is the one rule (kernel arguments, answer file, planner and TUI).
func ValidHostname(s string) bool { return network.CheckHostname(s) == nil }

// configPlaceholders are the ${...} a node.config URL may hold.
var configPlaceholders = regexp.MustCompile(`\$\{[^}]*\}`)

func (v *validator) unattended() {
	u := &v.c.Unattended
	if u.ConfigURL != "" {
		bad := ""
		for _, ph := range configPlaceholders.FindAllString(u.ConfigURL, -1) {
			switch ph {
			case "${mac}", "${serial}", "${uuid}", "${hostname}":
			default:
				bad = ph
			}
		}
		if bad != "" {
			v.add("unattended.config", "unknown placeholder %s: expects ${mac}, ${serial}, ${uuid} or ${hostname}", bad)
		} else if !urlOrPath(configPlaceholders.ReplaceAllString(u.ConfigURL, "x")) {
			v.add("unattended.config", "expects an http(s) URL or an absolute path")
		}
	}
	if u.Media != "" && !urlOrPath(u.Media) {
		v.add("unattended.media", "expects an absolute path or an http(s) URL")
	}
	if u.Webhook != "" && !httpURL(u.Webhook) {
		v.add("unattended.webhook", "expects an http:// or https:// URL")
	}
	switch u.WebhookFormat {
	case "", event.FormatJSON:
	case event.FormatIronic:
		if u.Webhook == "" {
			v.add("unattended.webhook_format", "ironic needs node.webhook=URL (Ironic's heartbeat URL)")
		}
	default:
		v.add("unattended.webhook_format", "expects json or ironic")
	}
	if u.WebhookToken != "" && u.WebhookFormat != event.FormatIronic {
		v.add("unattended.webhook_token", "is Ironic's agent_token: only sent with node.webhook_format=ironic")
	}
	for i, d := range u.DoneURLs {
		if !httpURL(d) {
			v.add(fmt.Sprintf("unattended.done_url[%d]", i), "expects an http:// or https:// URL")
		}
	}
	if u.LocalBootTrigger != "" && !httpURL(u.LocalBootTrigger) {
		v.add("unattended.local_boot_trigger", "expects an http:// or https:// URL")
	}
	switch u.After {
	case "", "reboot", "poweroff", "halt", "shell":
	default:
		v.add("unattended.after", "expects reboot, poweroff, halt or shell")
	}
	if u.RebootDelay < 0 || u.RebootDelay > 86400 {
		v.add("unattended.reboot_delay", "expects seconds from 0 to 86400")
	}
	switch u.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		v.add("unattended.log_level", "expects debug, info, warn or error")
	}
	switch u.Break {
	case "", "pre-installer", "post-installer", "pre-reboot":
	default:
		v.add("unattended.break", "expects pre-installer, post-installer or pre-reboot")
	}
	if u.HaltIfInstalled && (v.c.Action == ActionUpgrade || v.c.Action == ActionUninstall) {
		v.add("unattended.halt_if_installed", "node.halt_if_installed conflicts with %s, which needs an installation", v.c.Action)
	}
	if v.c.Action == ActionUpgrade && v.c.Storage.Wipe == "force" {
		v.add("storage.wipe", "node.wipe=force conflicts with upgrade, which keeps the data")
	}
}

// httpURL accepts an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

func urlOrPath(s string) bool {
	if strings.HasPrefix(s, "/") {
		return !strings.ContainsAny(s, "\x00\n")
	}
	return httpURL(s)
}
