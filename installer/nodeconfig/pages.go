package nodeconfig

import (
	"fmt"

	"node-installer/installer"
	"node-installer/internal/passwd"
	"node-installer/network"
)

// change loads the node's settings, lets edit change them and commits
// the page.
func change(o Options, pg Page, edit func(*installer.Config) error) (Result, error) {
	cfg, err := Load(o)
	if err != nil {
		return Result{}, err
	}
	if err := edit(&cfg); err != nil {
		return Result{}, err
	}
	return Commit(o, cfg, pg)
}

// Network sets the management network (NIC, bond, VLAN, IPv4/IPv6,
// hostname, DNS, NTP). Writes the NetworkManager keyfiles, /etc/hostname,
// /etc/hosts and chrony.conf; Result.Plan is the plan to apply live.
func Network(o Options, n network.Config) (Result, error) {
	return change(o, PageNetwork, func(c *installer.Config) error {
		c.Network = n
		return nil
	})
}

// Security is the Security page's input. Passwords are plain text only
// here, on their way to a hash; they are never stored or shown.
type Security struct {
	// CurrentPassword must match the admin hash when one is set and
	// NewPassword is given.
	CurrentPassword string
	// NewPassword and Confirm set a new admin password ("" keeps it).
	NewPassword, Confirm string
	// SSHPwAuth switches SSH password authentication (nil keeps it).
	SSHPwAuth *bool
	// SSHKeys replaces the admin's authorized keys (nil keeps them).
	SSHKeys []string
}

// SecurityPage sets the admin password (as a $6$ crypt hash in
// /etc/shadow and shadow.d/admin), SSH password authentication and the
// authorized keys (sshd drop-in, /etc/ssh/authorized_keys.d/admin).
func SecurityPage(o Options, s Security) (Result, error) {
	return change(o, PageSecurity, func(c *installer.Config) error {
		if s.NewPassword != "" || s.Confirm != "" {
			if c.Host.AdminPW != "" {
				ok, err := passwd.Check(s.CurrentPassword, c.Host.AdminPW)
				if err != nil || !ok {
					return installer.Problems{{Field: "host.adminpw", Msg: "the current password is wrong"}}
				}
			}
			if s.NewPassword != s.Confirm {
				return installer.Problems{{Field: "host.adminpw", Msg: "the two new passwords differ"}}
			}
			if msg, ok := passwd.Strength(s.NewPassword); !ok {
				return installer.Problems{{Field: "host.adminpw", Msg: "new password " + msg}}
			}
			h, err := passwd.Hash(s.NewPassword)
			if err != nil {
				return err
			}
			c.Host.AdminPW = h
		}
		if s.SSHPwAuth != nil {
			v := *s.SSHPwAuth
			c.Host.SSHPwAuth = &v
		}
		if s.SSHKeys != nil {
			c.Host.SSHKeys = append([]string{}, s.SSHKeys...)
		}
		return nil
	})
}

// Keyboard sets the console keymap (/etc/vconsole.conf).
func Keyboard(o Options, keymap string) (Result, error) {
	return change(o, PageKeyboard, func(c *installer.Config) error {
		c.Host.Keyboard = keymap
		return nil
	})
}

// Logging is the Logging page's input; nil / "" switch a setting off.
type Logging struct {
	Syslog, Netconsole         *installer.HostPort
	RotateMaxSize, RotateEvery string
}

// LoggingPage sets remote syslog (rsyslog drop-in), netconsole
// (/etc/sysconfig/netconsole) and log rotation (logrotate drop-in).
func LoggingPage(o Options, l Logging) (Result, error) {
	return change(o, PageLogging, func(c *installer.Config) error {
		c.Services.Syslog, c.Services.Netconsole = l.Syslog, l.Netconsole
		c.Services.LogrotateMaxSize, c.Services.LogrotateInterval = l.RotateMaxSize, l.RotateEvery
		return nil
	})
}

// Kdump is where crash dumps go: Local (the Data partition), NFS
// (HOST:/PATH), SSH (USER@HOST), or Off.
type Kdump struct {
	Target string // local|nfs|ssh|off
	NFS    string
	SSH    string
}

// KdumpPage sets /etc/kdump.conf, or switches the kdump unit off.
func KdumpPage(o Options, k Kdump) (Result, error) {
	return change(o, PageKdump, func(c *installer.Config) error {
		s := &c.Services
		s.KdumpNFS, s.KdumpSSH, s.DisableKdump = "", "", false
		switch k.Target {
		case "", "local":
		case "nfs":
			s.KdumpNFS = k.NFS
			if k.NFS == "" {
				return installer.Problems{{Field: "services.kdump_nfs", Msg: "expects HOST:/PATH (an absolute export path)"}}
			}
		case "ssh":
			s.KdumpSSH = k.SSH
			if k.SSH == "" {
				return installer.Problems{{Field: "services.kdump_ssh", Msg: "expects USER@HOST"}}
			}
		case "off":
			s.DisableKdump = true
		default:
			return installer.Problems{{Field: "services.kdump", Msg: fmt.Sprintf("target %q: expects local, nfs, ssh or off", k.Target)}}
		}
		return nil
	})
}

// RemoteStorage sets the iSCSI initiator name
// (/etc/iscsi/initiatorname.iscsi) and the NFSv4 domain (/etc/idmapd.conf).
func RemoteStorage(o Options, iscsiName, nfsv4Domain string) (Result, error) {
	return change(o, PageStorage, func(c *installer.Config) error {
		c.Services.ISCSIName, c.Services.NFSv4Domain = iscsiName, nfsv4Domain
		return nil
	})
}

// Monitoring sets the collectd network target (nil: off).
func Monitoring(o Options, collectd *installer.HostPort) (Result, error) {
	return change(o, PageMonitoring, func(c *installer.Config) error {
		c.Services.Collectd = collectd
		return nil
	})
}

// Management sets the manager's address and its TLS certificate's
// fingerprint (/etc/node-installer/management.conf).
func Management(o Options, server *installer.HostPort, fingerprint string) (Result, error) {
	return change(o, PageManagement, func(c *installer.Config) error {
		c.Services.ManagementServer, c.Services.ManagementFprint = server, fingerprint
		return nil
	})
}
