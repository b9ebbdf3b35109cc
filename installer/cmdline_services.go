package installer

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/internal/crypthash"
)

// serviceHandlers read credentials, services and the node.* run options.
var serviceHandlers = map[string]argHandler{
	"adminpw":    (*argParser).password,
	"rootpw":     (*argParser).password,
	"ssh_pwauth": (*argParser).sshPwAuth,
	"keyboard":   str("host.keyboard", "LAYOUT", func(c *Config) *string { return &c.Host.Keyboard }),

	"syslog":             hostPortArg("services.syslog", func(c *Config) **HostPort { return &c.Services.Syslog }),
	"netconsole":         hostPortArg("services.netconsole", func(c *Config) **HostPort { return &c.Services.Netconsole }),
	"collectd":           hostPortArg("services.collectd", func(c *Config) **HostPort { return &c.Services.Collectd }),
	"management_server":  hostPortArg("services.management_server", func(c *Config) **HostPort { return &c.Services.ManagementServer }),
	"management_port":    (*argParser).managementPort,
	"logrotate_max_size": str("services.logrotate_max_size", "SIZE", func(c *Config) *string { return &c.Services.LogrotateMaxSize }),
	"logrotate_interval": str("services.logrotate_interval", "daily|weekly|monthly", func(c *Config) *string { return &c.Services.LogrotateInterval }),
	"kdump_nfs":          str("services.kdump_nfs", "HOST:/PATH", func(c *Config) *string { return &c.Services.KdumpNFS }),
	"kdump_ssh":          str("services.kdump_ssh", "USER@HOST", func(c *Config) *string { return &c.Services.KdumpSSH }),
	"disable_kdump":      flagArg("services.disable_kdump", func(c *Config) *bool { return &c.Services.DisableKdump }),
	"nfsv4_domain":       str("services.nfsv4_domain", "DOMAIN", func(c *Config) *string { return &c.Services.NFSv4Domain }),
	"iscsi_name":         str("services.iscsi_name", "iqn.YYYY-MM.DOMAIN[:ID]", func(c *Config) *string { return &c.Services.ISCSIName }),
	"management_server_fingerprint": str("services.management_server_fingerprint", "FINGERPRINT",
		func(c *Config) *string { return &c.Services.ManagementFprint }),
	"disable_aes_ni": flagArg("services.disable_aes_ni", func(c *Config) *bool { return &c.Services.DisableAESNI }),
	"use_strong_rng": str("services.use_strong_rng", "BYTES", func(c *Config) *string { return &c.Services.UseStrongRNG }),
	"tuned":          str("services.tuned", "PROFILE", func(c *Config) *string { return &c.Services.Tuned }),

	"node.config":            str("unattended.config", "URL|PATH", func(c *Config) *string { return &c.Unattended.ConfigURL }),
	"node.media":             str("unattended.media", "PATH|URL", func(c *Config) *string { return &c.Unattended.Media }),
	"node.webhook":           str("unattended.webhook", "URL", func(c *Config) *string { return &c.Unattended.Webhook }),
	"node.webhook_format":    str("unattended.webhook_format", "json|ironic", func(c *Config) *string { return &c.Unattended.WebhookFormat }),
	"node.webhook_token":     str("unattended.webhook_token", "TOKEN", func(c *Config) *string { return &c.Unattended.WebhookToken }),
	"node.done_url":          (*argParser).doneURL,
	"local_boot_trigger":     str("unattended.local_boot_trigger", "URL", func(c *Config) *string { return &c.Unattended.LocalBootTrigger }),
	"node.after":             str("unattended.after", "reboot|poweroff|halt|shell", func(c *Config) *string { return &c.Unattended.After }),
	"node.reboot_delay":      intArg("unattended.reboot_delay", "SECONDS", func(c *Config) *int { return &c.Unattended.RebootDelay }),
	"reboot_delay":           intArg("unattended.reboot_delay", "SECONDS", func(c *Config) *int { return &c.Unattended.RebootDelay }),
	"node.log_level":         str("unattended.log_level", "debug|info|warn|error", func(c *Config) *string { return &c.Unattended.LogLevel }),
	"node.break":             str("unattended.break", "pre-installer|post-installer|pre-reboot", func(c *Config) *string { return &c.Unattended.Break }),
	"node.halt_if_installed": flagArg("unattended.halt_if_installed", func(c *Config) *bool { return &c.Unattended.HaltIfInstalled }),
	"node.allow_downgrade":   flagArg("unattended.allow_downgrade", func(c *Config) *bool { return &c.Unattended.AllowDowngrade }),
}

// doneURL reads node.done_url=URL (repeatable: each URL is called).
func (p *argParser) doneURL(prm cmdline.Param) {
	const field = "unattended.done_url"
	p.resetList("node.done_url", func() {
		p.cfg.Unattended.DoneURLs = nil
		p.origin(field, prm) // the answer file's list is replaced, its lines no longer apply
	})
	if !p.needValue(field, prm, "URL") {
		return
	}
	p.cfg.Unattended.DoneURLs = append(p.cfg.Unattended.DoneURLs, prm.Value)
	p.origin(fmt.Sprintf("%s[%d]", field, len(p.cfg.Unattended.DoneURLs)-1), prm)
}

// password reads adminpw= or rootpw=. The value never appears in a problem.
func (p *argParser) password(prm cmdline.Param) {
	field := "host." + prm.Key
	if !p.once(field, prm) {
		return
	}
	if !prm.HasValue || prm.Value == "" {
		p.problem(field, prm, "needs a value: %s=HASH", prm.Key)
		return
	}
	if _, ok := crypthash.Identify(prm.Value); !ok {
		p.problem(field, prm, "%s", crypthash.Hint)
		return
	}
	if prm.Key == "adminpw" {
		p.cfg.Host.AdminPW = prm.Value
	} else {
		p.cfg.Host.RootPW = prm.Value
	}
	p.origin(field, prm)
}

// sshPwAuth reads ssh_pwauth=0|1.
func (p *argParser) sshPwAuth(prm cmdline.Param) {
	const field = "host.ssh_pwauth"
	if !p.once(field, prm) {
		return
	}
	if v, ok := p.flag(field, prm); ok {
		p.cfg.Host.SSHPwAuth = &v
		p.origin(field, prm)
	}
}

// hostPortArg returns a handler for host[:port] arguments.
func hostPortArg(field string, get func(*Config) **HostPort) argHandler {
	return func(p *argParser, prm cmdline.Param) {
		if !p.once(field, prm) || !p.needValue(field, prm, "HOST[:PORT]") {
			return
		}
		hp, err := ParseHostPort(prm.Value)
		if err != nil {
			p.problem(field, prm, "%v", err)
			return
		}
		*get(p.cfg) = &hp
		p.origin(field, prm)
	}
}

// ParseHostPort reads host[:port]; an IPv6 address with a port needs
// brackets ([2001:db8::1]:514), one without a port may omit them.
func ParseHostPort(s string) (HostPort, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
		return HostPort{Host: s}, nil
	}
	host, portText := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return HostPort{}, fmt.Errorf("%q: '[' without ']'", s)
		}
		host, portText = s[1:end], s[end+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return HostPort{}, fmt.Errorf("%q: brackets hold an IPv6 address", s)
		}
		if portText != "" && !strings.HasPrefix(portText, ":") {
			return HostPort{}, fmt.Errorf("%q: expects [IPv6]:PORT", s)
		}
		portText = strings.TrimPrefix(portText, ":")
		if portText == "" && strings.HasSuffix(s, ":") {
			return HostPort{}, fmt.Errorf("%q: empty port", s)
		}
	} else if h, pt, ok := strings.Cut(s, ":"); ok {
		host, portText = h, pt
		if portText == "" {
			return HostPort{}, fmt.Errorf("%q: empty port", s)
		}
	}
	hp := HostPort{Host: host}
	if portText != "" {
		n, err := strconv.Atoi(portText)
		if err != nil || n < 1 || n > 65535 {
			return HostPort{}, fmt.Errorf("port %q: expects 1-65535", portText)
		}
		hp.Port = n
	}
	return hp, nil
}

// managementPort reads management_port= (applied in resolveManagementPort).
func (p *argParser) managementPort(prm cmdline.Param) {
	const field = "services.management_server.port"
	if !p.once(field, prm) {
		return
	}
	n, ok := p.integer(field, prm, "PORT")
	switch {
	case !ok:
	case n < 1 || n > 65535:
		p.problem(field, prm, "port %d: expects 1-65535", n)
	default:
		p.mgmtPort = &prm
	}
}

// resolveManagementPort puts management_port= into management_server.
func (p *argParser) resolveManagementPort() {
	prm := p.mgmtPort
	if prm == nil {
		return
	}
	const field = "services.management_server.port"
	n, _ := strconv.Atoi(prm.Value)
	ms := p.cfg.Services.ManagementServer
	switch {
	case ms == nil:
		p.problem(field, *prm, "needs management_server=HOST")
	case ms.Port != 0 && ms.Port != n && p.seen["management_server"].Key != "":
		p.problem(field, *prm, "disagrees with the port in management_server=%s", p.seen["management_server"].Value)
	default:
		ms.Port = n
		p.origin(field, *prm)
	}
}
