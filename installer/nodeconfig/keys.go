package nodeconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"node-installer/installer"
	"node-installer/network"
)

// Key is one setting of `node-installer config`. Its name and value
// grammar are those of the kernel argument of the same name (so a PXE
// line and a script say the same), read by installer.ApplyCmdline.
type Key struct {
	Name string
	Page Page
	// Get renders the value as the kernel argument takes it; a list key
	// (ip, ssh_key) gives one value per line. "" = unset.
	Get func(c installer.Config) []string
	// Clear unsets it (config set KEY=).
	Clear func(c *installer.Config)
	// Set reads a value itself instead of ApplyCmdline (keys that are
	// no kernel argument).
	Set func(c *installer.Config, vals []string) error
	// Secret keys show *** instead of their value.
	Secret bool
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func hp(p *installer.HostPort) []string {
	if p == nil {
		return nil
	}
	h := p.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if p.Port != 0 {
		h += ":" + strconv.Itoa(p.Port)
	}
	return []string{h}
}

func onOff(b bool) []string {
	if b {
		return []string{"1"}
	}
	return nil
}

func addrs(as []netip.Addr) []string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
		if a.Is6() {
			s[i] = "[" + s[i] + "]"
		}
	}
	return one(strings.Join(s, ","))
}

// Keys lists every key, by page.
var Keys = []Key{
	{Name: "hostname", Page: PageNetwork, Get: func(c installer.Config) []string { return one(c.Network.Hostname) },
		Clear: func(c *installer.Config) { c.Network.Hostname = "" }},
	{Name: "BOOTIF", Page: PageNetwork, Get: func(c installer.Config) []string { return one(c.Network.BootIf) },
		Clear: func(c *installer.Config) { c.Network.BootIf, c.Network.BootIfMAC = "", "" }},
	{Name: "ip", Page: PageNetwork, Get: func(c installer.Config) []string { return ipArgs(c.Network.IPs) },
		Clear: func(c *installer.Config) { c.Network.IPs = nil }},
	{Name: "ipv6", Page: PageNetwork, Get: func(c installer.Config) []string { return one(c.Network.IPv6) },
		Clear: func(c *installer.Config) { c.Network.IPv6 = "" }},
	{Name: "dns", Page: PageNetwork, Get: func(c installer.Config) []string { return addrs(c.Network.DNS) },
		Clear: func(c *installer.Config) { c.Network.DNS = nil }},
	{Name: "ntp", Page: PageNetwork, Get: func(c installer.Config) []string {
		if c.Network.NTPOff {
			return []string{"off"}
		}
		return one(strings.Join(c.Network.NTP, ","))
	}, Clear: func(c *installer.Config) { c.Network.NTP, c.Network.NTPOff = nil, false }},
	{Name: "vlan", Page: PageNetwork, Get: func(c installer.Config) []string {
		if c.Network.VLAN == 0 {
			return nil
		}
		s := strconv.Itoa(c.Network.VLAN)
		if c.Network.VLANParent != "" {
			s += ":" + c.Network.VLANParent
		}
		return []string{s}
	}, Clear: func(c *installer.Config) { c.Network.VLAN, c.Network.VLANParent = 0, "" }},
	{Name: "bond", Page: PageNetwork, Get: func(c installer.Config) []string {
		b := c.Network.Bond
		if b == nil {
			return nil
		}
		s := b.Name + ":" + strings.Join(b.Slaves, ",") + ":" + strings.Join(strings.Fields(b.Options), ",")
		if b.MTU != 0 {
			s += ":" + strconv.Itoa(b.MTU)
		}
		return []string{s}
	}, Clear: func(c *installer.Config) { c.Network.Bond = nil }},
	{Name: "network_layout", Page: PageNetwork, Get: func(c installer.Config) []string { return one(c.Network.Layout) },
		Clear: func(c *installer.Config) { c.Network.Layout = "" }},

	{Name: "adminpw", Page: PageSecurity, Secret: true, Get: func(c installer.Config) []string { return one(c.Host.AdminPW) },
		Clear: func(c *installer.Config) { c.Host.AdminPW = "" }},
	{Name: "ssh_pwauth", Page: PageSecurity, Get: func(c installer.Config) []string {
		if c.Host.SSHPwAuth == nil {
			return nil
		}
		if *c.Host.SSHPwAuth {
			return []string{"1"}
		}
		return []string{"0"}
	}, Clear: func(c *installer.Config) { c.Host.SSHPwAuth = nil }},
	{Name: "ssh_key", Page: PageSecurity, Get: func(c installer.Config) []string { return c.Host.SSHKeys },
		Clear: func(c *installer.Config) { c.Host.SSHKeys = nil },
		Set:   func(c *installer.Config, vals []string) error { c.Host.SSHKeys = vals; return nil }},

	{Name: "keyboard", Page: PageKeyboard, Get: func(c installer.Config) []string { return one(c.Host.Keyboard) },
		Clear: func(c *installer.Config) { c.Host.Keyboard = "" }},

	{Name: "syslog", Page: PageLogging, Get: func(c installer.Config) []string { return hp(c.Services.Syslog) },
		Clear: func(c *installer.Config) { c.Services.Syslog = nil }},
	{Name: "netconsole", Page: PageLogging, Get: func(c installer.Config) []string { return hp(c.Services.Netconsole) },
		Clear: func(c *installer.Config) { c.Services.Netconsole = nil }},
	{Name: "logrotate_max_size", Page: PageLogging, Get: func(c installer.Config) []string { return one(c.Services.LogrotateMaxSize) },
		Clear: func(c *installer.Config) { c.Services.LogrotateMaxSize = "" }},
	{Name: "logrotate_interval", Page: PageLogging, Get: func(c installer.Config) []string { return one(c.Services.LogrotateInterval) },
		Clear: func(c *installer.Config) { c.Services.LogrotateInterval = "" }},

	{Name: "kdump_nfs", Page: PageKdump, Get: func(c installer.Config) []string { return one(c.Services.KdumpNFS) },
		Clear: func(c *installer.Config) { c.Services.KdumpNFS = "" }},
	{Name: "kdump_ssh", Page: PageKdump, Get: func(c installer.Config) []string { return one(c.Services.KdumpSSH) },
		Clear: func(c *installer.Config) { c.Services.KdumpSSH = "" }},
	{Name: "disable_kdump", Page: PageKdump, Get: func(c installer.Config) []string { return onOff(c.Services.DisableKdump) },
		Clear: func(c *installer.Config) { c.Services.DisableKdump = false }},

	{Name: "iscsi_name", Page: PageStorage, Get: func(c installer.Config) []string { return one(c.Services.ISCSIName) },
		Clear: func(c *installer.Config) { c.Services.ISCSIName = "" }},
	{Name: "nfsv4_domain", Page: PageStorage, Get: func(c installer.Config) []string { return one(c.Services.NFSv4Domain) },
		Clear: func(c *installer.Config) { c.Services.NFSv4Domain = "" }},

	{Name: "collectd", Page: PageMonitoring, Get: func(c installer.Config) []string { return hp(c.Services.Collectd) },
		Clear: func(c *installer.Config) { c.Services.Collectd = nil }},

	{Name: "management_server", Page: PageManagement, Get: func(c installer.Config) []string { return hp(c.Services.ManagementServer) },
		Clear: func(c *installer.Config) { c.Services.ManagementServer = nil }},
	{Name: "management_server_fingerprint", Page: PageManagement, Get: func(c installer.Config) []string { return one(c.Services.ManagementFprint) },
		Clear: func(c *installer.Config) { c.Services.ManagementFprint = "" }},
}

// LookupKey finds a key by name (BOOTIF in any case, as on the kernel
// command line).
func LookupKey(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name || strings.EqualFold(name, "bootif") && k.Name == "BOOTIF" {
			return k, true
		}
	}
	return Key{}, false
}

// KeyNames lists the key names, for a problem about an unknown one.
func KeyNames() string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return strings.Join(names, " ")
}

// Value returns a key's value as shown: secrets masked.
func (k Key) Value(c installer.Config) []string {
	v := k.Get(c)
	if k.Secret && len(v) > 0 {
		return []string{"***"}
	}
	return v
}

// Assignment is one KEY=VALUE of `config set`.
type Assignment struct{ Key, Value string }

// ParseAssignment splits KEY=VALUE; the problem names the argument.
func ParseAssignment(s string) (Assignment, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return Assignment{}, fmt.Errorf("%q: expects KEY=VALUE (KEY= unsets it)", s)
	}
	return Assignment{k, v}, nil
}

// SetKeys applies the assignments to cfg with the kernel arguments'
// grammar and returns the pages they touch. A key given twice takes
// every value of a list key (ip, ssh_key); "KEY=" unsets. Every problem
// names its key; with any, cfg is unchanged.
func SetKeys(cfg *installer.Config, as []Assignment) ([]Page, error) {
	next := *cfg
	next.Origins = map[string]installer.Origin{}
	var ps installer.Problems
	var line []string
	custom := map[string][]string{}
	pages := map[Page]bool{}
	var keys []Key
	for _, a := range as {
		k, ok := LookupKey(a.Key)
		if !ok {
			ps = append(ps, installer.Problem{Field: a.Key, Msg: "unknown key; the keys are: " + KeyNames()})
			continue
		}
		pages[k.Page] = true
		keys = append(keys, k)
		switch {
		case a.Value == "":
			k.Clear(&next)
		case k.Set != nil:
			custom[k.Name] = append(custom[k.Name], a.Value)
		default:
			line = append(line, k.Name+"="+quote(a.Value))
		}
	}
	for name, vals := range custom {
		k, _ := LookupKey(name)
		if err := k.Set(&next, vals); err != nil {
			ps = append(ps, installer.Problem{Field: name, Msg: err.Error()})
		}
	}
	// deep-copy what ApplyCmdline may change in place
	next.Network.IPs = append([]network.IP(nil), next.Network.IPs...)
	if len(line) > 0 {
		ps = append(ps, installer.ApplyCmdline(&next, strings.Join(line, " "))...)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	next.BootParams = cfg.BootParams // set keys are never pass-through
	next.Dropped, next.Origins = cfg.Dropped, cfg.Origins
	*cfg = next
	var out []Page
	for _, pg := range Pages {
		if pages[pg] {
			out = append(out, pg)
		}
	}
	return out, nil
}

// quote puts a value with blanks or quotes in double quotes for the
// kernel command line tokenizer.
func quote(v string) string {
	if strings.ContainsAny(v, " \t\"") {
		return `"` + strings.ReplaceAll(v, `"`, ``) + `"`
	}
	return v
}

// Show renders every set key as KEY=VALUE lines, by page, secrets masked.
func Show(cfg installer.Config) string {
	var b strings.Builder
	for _, pg := range Pages {
		var lines []string
		for _, k := range Keys {
			if k.Page != pg {
				continue
			}
			for _, v := range k.Value(cfg) {
				lines = append(lines, k.Name+"="+v)
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# %s\n%s\n", pg, strings.Join(lines, "\n"))
	}
	return b.String()
}

// ipArgs renders ip= settings in dracut's form, which reads back the same.
func ipArgs(ips []network.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ipArg(ip))
	}
	return out
}

func ipArg(ip network.IP) string {
	bracket := func(a netip.Addr) string {
		if !a.IsValid() {
			return ""
		}
		if a.Is6() {
			return "[" + a.String() + "]"
		}
		return a.String()
	}
	method := ip.Method
	if method == "static" || method == "" {
		method = "none"
	}
	var f []string
	if ip.Address.IsValid() {
		f = []string{bracket(ip.Address.Addr()), bracket(ip.Peer), bracket(ip.Gateway), strconv.Itoa(ip.Address.Bits()), ip.Hostname, ip.Iface, method}
	} else if ip.Iface != "" || ip.MTU != 0 || ip.MAC != "" {
		f = []string{ip.Iface, method}
	} else {
		return method
	}
	if ip.MTU != 0 || ip.MAC != "" {
		mtu := ""
		if ip.MTU != 0 {
			mtu = strconv.Itoa(ip.MTU)
		}
		f = append(f, mtu)
		if ip.MAC != "" {
			f = append(f, ip.MAC)
		}
	}
	return strings.Join(f, ":")
}
