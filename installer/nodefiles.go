package installer

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"node-installer/network"
)

// Groups of node files on the Config partition. Each group is a folder
// holding files at their path below the node's root (group/etc/...): the
// booted node lays every group's tree over / (docs/on-disk-format.md).
// The installer writes them at install time, the setup console
// (installer/nodeconfig) rewrites one group per page.
const (
	GroupNetwork    = "network"    // NetworkManager keyfiles, hostname, hosts, chrony
	GroupSecurity   = "security"   // sshd drop-in, authorized keys
	GroupKeyboard   = "keyboard"   // vconsole.conf
	GroupLogging    = "logging"    // rsyslog drop-in, netconsole, logrotate
	GroupKdump      = "kdump"      // kdump.conf or the unit switched off
	GroupStorage    = "storage"    // iSCSI initiator name, NFSv4 id mapping domain
	GroupMonitoring = "monitoring" // collectd network plugin
	GroupManagement = "management" // the manager's address and fingerprint
)

// ServiceGroups are the groups rendered from Host and Services alone
// (the network group needs the network plan).
var ServiceGroups = []string{GroupSecurity, GroupKeyboard, GroupLogging, GroupKdump, GroupStorage, GroupMonitoring, GroupManagement}

// Node file paths below the root, and the port defaults of the services.
const (
	SSHDDropIn         = "etc/ssh/sshd_config.d/50-node-installer.conf"
	AuthorizedKeysDir  = "etc/ssh/authorized_keys.d"
	VConsoleConf       = "etc/vconsole.conf"
	RsyslogDropIn      = "etc/rsyslog.d/50-node-installer.conf"
	NetconsoleConf     = "etc/sysconfig/netconsole"
	LogrotateDropIn    = "etc/logrotate.d/node-installer"
	KdumpConf          = "etc/kdump.conf"
	KdumpOffDropIn     = "etc/systemd/system/kdump.service.d/50-node-installer.conf"
	InitiatorName      = "etc/iscsi/initiatorname.iscsi"
	IdmapdConf         = "etc/idmapd.conf"
	CollectdDropIn     = "etc/collectd.d/50-node-installer.conf"
	ManagementConf     = "etc/node-installer/management.conf"
	defaultSyslogPort  = 514
	defaultNetconPort  = 6666
	defaultCollectPort = 25826
	defaultMgmtPort    = 443
)

// AdminUser is the console and SSH account whose password the admin sets.
const AdminUser = "admin"

// RenderGroup returns the files of one service group for cfg: pure, the
// same bytes for the same settings. An unset setting renders no file, so
// clearing it removes the file from the node.
func RenderGroup(cfg Config, group string) ([]network.File, error) {
	h, s := cfg.Host, cfg.Services
	var fs []network.File
	add := func(p, data string, mode uint32) {
		fs = append(fs, network.File{Path: p, Mode: os.FileMode(mode), Data: []byte(data)})
	}
	switch group {
	case GroupSecurity:
		var b strings.Builder
		b.WriteString("# Written by node-installer (setup console: Security).\n")
		if h.SSHPwAuth != nil {
			fmt.Fprintf(&b, "PasswordAuthentication %s\nKbdInteractiveAuthentication %s\n", yesNo(*h.SSHPwAuth), yesNo(*h.SSHPwAuth))
		}
		// keys under /etc survive on the Config partition; the user's
		// home may be on the read-only image
		b.WriteString("AuthorizedKeysFile .ssh/authorized_keys /" + AuthorizedKeysDir + "/%u\n")
		add(SSHDDropIn, b.String(), 0o644)
		if len(h.SSHKeys) > 0 {
			add(path.Join(AuthorizedKeysDir, AdminUser), strings.Join(h.SSHKeys, "\n")+"\n", 0o644)
		}
	case GroupKeyboard:
		if h.Keyboard != "" {
			add(VConsoleConf, "KEYMAP="+h.Keyboard+"\n", 0o644)
		}
	case GroupLogging:
		if s.Syslog != nil {
			add(RsyslogDropIn, fmt.Sprintf("# Written by node-installer from syslog=.\n*.* @@%s\n", hostPort(*s.Syslog, defaultSyslogPort)), 0o644)
		}
		if s.Netconsole != nil {
			add(NetconsoleConf, fmt.Sprintf("# Written by node-installer from netconsole=.\nSYSLOGADDR=%s\nSYSLOGPORT=%d\n", s.Netconsole.Host, portOr(s.Netconsole.Port, defaultNetconPort)), 0o644)
		}
		if s.LogrotateMaxSize != "" || s.LogrotateInterval != "" {
			var b strings.Builder
			b.WriteString("# Written by node-installer from logrotate_max_size= and logrotate_interval=.\n/var/log/node-installer/*.log {\n")
			if s.LogrotateInterval != "" {
				b.WriteString("    " + s.LogrotateInterval + "\n")
			}
			if s.LogrotateMaxSize != "" {
				b.WriteString("    maxsize " + s.LogrotateMaxSize + "\n")
			}
			b.WriteString("    rotate 5\n    missingok\n    notifempty\n    compress\n}\n")
			add(LogrotateDropIn, b.String(), 0o644)
		}
	case GroupKdump:
		switch {
		case s.DisableKdump:
			add(KdumpOffDropIn, "# Written by node-installer from disable_kdump.\n[Unit]\nConditionNull=false\n", 0o644)
		case s.KdumpNFS != "":
			add(KdumpConf, "# Written by node-installer from kdump_nfs=.\nnfs "+s.KdumpNFS+"\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n", 0o644)
		case s.KdumpSSH != "":
			add(KdumpConf, "# Written by node-installer from kdump_ssh=.\nssh "+s.KdumpSSH+"\nsshkey /root/.ssh/kdump_id_rsa\npath /var/crash\ncore_collector makedumpfile -F -l --message-level 7 -d 31\n", 0o644)
		default:
			// local dumps land on the Data partition (/data)
			add(KdumpConf, "# Written by node-installer: local dumps.\npath /data/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n", 0o644)
		}
	case GroupStorage:
		if s.ISCSIName != "" {
			add(InitiatorName, "InitiatorName="+s.ISCSIName+"\n", 0o644)
		}
		if s.NFSv4Domain != "" {
			add(IdmapdConf, "[General]\nDomain = "+s.NFSv4Domain+"\n", 0o644)
		}
	case GroupMonitoring:
		if c := s.Collectd; c != nil {
			add(CollectdDropIn, fmt.Sprintf("# Written by node-installer from collectd=.\nLoadPlugin network\n<Plugin network>\n  Server %q \"%d\"\n</Plugin>\n", c.Host, portOr(c.Port, defaultCollectPort)), 0o644)
		}
	case GroupManagement:
		if m := s.ManagementServer; m != nil {
			data := fmt.Sprintf("# Written by node-installer from management_server=.\nserver=%s\nport=%d\n", m.Host, portOr(m.Port, defaultMgmtPort))
			if s.ManagementFprint != "" {
				data += "fingerprint=" + s.ManagementFprint + "\n"
			}
			add(ManagementConf, data, 0o644)
		}
	default:
		return nil, fmt.Errorf("unknown group %q", group)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func portOr(p, dflt int) int {
	if p == 0 {
		return dflt
	}
	return p
}

// hostPort renders host:port, an IPv6 address in brackets.
func hostPort(hp HostPort, dflt int) string {
	h := hp.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return fmt.Sprintf("%s:%d", h, portOr(hp.Port, dflt))
}
