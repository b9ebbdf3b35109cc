package installer

import (
	"strings"
	"testing"
)

var invalidCases = []struct {
	name string
	line string
	arg  string // the argument the problem must name
	want string // a substring of its message
}{
	// actions
	{"install and upgrade conflict", "install upgrade", "upgrade", "conflicts with install"},
	{"reinstall and uninstall conflict", "reinstall uninstall", "uninstall", "conflicts with reinstall"},
	{"firstboot and local_boot conflict", "firstboot local_boot", "local_boot", "conflicts with firstboot"},
	{"storage_init and install conflict", "install storage_init", "install", "conflicts with storage_init"},
	{"upgrade and firstboot conflict", "upgrade firstboot", "firstboot", "conflicts with upgrade"},
	{"uninstall and ovirt_upgrade conflict", "uninstall ovirt_upgrade", "ovirt_upgrade", "conflicts with uninstall"},
	{"ovirt_firstboot and ovirt_local_boot conflict", "ovirt_firstboot ovirt_local_boot", "ovirt_local_boot", "conflicts with ovirt_firstboot"},
	{"ovirt_firstboot bad switch", "ovirt_firstboot=maybe", "ovirt_firstboot", "expects no value or one of"},
	{"action with a bad value", "reinstall=maybe", "reinstall", "expects no value or one of"},
	// dracut network forms
	{"bridge one field", "bridge=br0", "bridge", "requires two parameters"},
	{"bridge bad port", "bridge=br0:eth0,a/b", "bridge", "port:"},
	{"ifname without MAC", "ifname=net1", "ifname", "expects <name>:<MAC>"},
	{"ifname bad name", "ifname=a/b:52:54:00:12:34:01", "ifname", "interface name"},
	{"bootdev without value", "bootdev", "bootdev", "needs a value"},
	{"bootdev bad name", "bootdev=a:b", "bootdev", "interface name"},
	{"vlan name without ID", "vlan=office:eth0", "vlan", "carries no ID"},
	// storage_init
	{"storage_init unknown item", "storage_init=foo", "storage_init", "expects a /dev path"},
	{"storage_init empty item", "storage_init=/dev/sda,", "storage_init", "empty disk"},
	{"storage_init two semicolons", "storage_init=/dev/sda;/dev/sdb;/dev/sdc", "storage_init", "at most one ';'"},
	{"storage_init app disks without boot disk", "storage_init=;/dev/sdb", "storage_init", "no boot disk"},
	{"storage_init bad glob", "storage_init=/dev/sd[", "storage_init", "malformed glob"},
	{"storage_init unknown bus", "storage_init=sas:123", "storage_init", "ata|scsi|usb|virtio|nvme"},
	{"storage_init empty serial", "storage_init=usb:", "storage_init", "empty serial"},
	{"storage_init given twice differently", "storage_init=/dev/sda storage_init=/dev/sdb", "storage_init", "different values (/dev/sda and /dev/sdb)"},
	// node.disk
	{"node.disk without value", "node.disk", "node.disk", "needs a value"},
	{"node.disk unknown key", "node.disk=colour=red", "node.disk", `unknown key "colour"`},
	{"node.disk rule without operator", "node.disk=ssd", "node.disk", "expects KEY=VALUE"},
	{"node.disk empty rule", "node.disk=type=ssd,,largest", "node.disk", "empty rule"},
	{"node.disk bad size", "node.disk=size>=lots", "node.disk", `size "lots"`},
	{"node.disk size without number", "node.disk=size>=0G", "node.disk", "positive size"},
	{"node.disk bad type", "node.disk=type=tape", "node.disk", "type=tape: expects one of hdd, nvme, ssd"},
	{"node.disk bad bus", "node.disk=bus=firewire", "node.disk", "bus=firewire"},
	{"node.disk largest and smallest", "node.disk=largest,smallest", "node.disk", "both largest and smallest"},
	{"node.disk serial with >=", "node.disk=serial>=A", "node.disk", "serial takes '='"},
	{"node.disk empty serial", "node.disk=serial=", "node.disk", "empty value"},
	{"node.disk size= missing op text", "node.disk=model=[x", "node.disk", "malformed glob"},
	// storage_vol
	{"storage_vol not a number", "storage_vol=:4G", "storage_vol", `size "4G" is not a whole number`},
	{"storage_vol too many fields", "storage_vol=1:2:3:4:5:6:7:8:9", "storage_vol", "at most 8"},
	{"storage_vol unknown name", "storage_vol=100,Home", "storage_vol", `unknown volume "Home"`},
	{"storage_vol volume twice", "storage_vol=:2048:::2048,Swap", "storage_vol", "Swap is given twice"},
	{"storage_vol two fills on boot disk", "storage_vol=::::-1:-1", "storage_vol", "Logging and Data fill the rest of the boot disk"},
	{"storage_vol swap fill with default data fill", "storage_vol=:-1", "storage_vol", "Swap and Data (by default) fill"},
	{"storage_vol two fills on data disks", "storage_vol=::::::-1:-1", "storage_vol", "Swap2 and Data2 fill the rest of the data disks"},
	{"storage_vol root 0", "storage_vol=::0", "storage_vol", "Root cannot be omitted"},
	{"storage_vol EFI 0", "storage_vol=0", "storage_vol", "EFI cannot be omitted"},
	{"storage_vol Config 0 named", "storage_vol=0,Config", "storage_vol", "Config cannot be omitted"},
	{"storage_vol Root fills", "storage_vol=-1,Root:0,Data", "storage_vol", "Root cannot fill"},
	{"storage_vol below minimum", "storage_vol=:::4", "storage_vol", "below the minimum of 5 MiB"},
	{"storage_vol below -1", "storage_vol=:-2", "storage_vol", "expects MiB > 0"},
	{"storage_vol absurd size", "storage_vol=:::::99999999999", "storage_vol", "larger than any disk"},
	{"storage_vol empty", "storage_vol=", "storage_vol", "needs a value"},
	{"mem_overcommit text", "mem_overcommit=half", "mem_overcommit", "expects a number"},
	{"mem_overcommit NaN", "mem_overcommit=NaN", "mem_overcommit", "expects a number"},
	{"mem_overcommit negative", "mem_overcommit=-1", "mem_overcommit", "from 0 to 16"},
	{"wipe_fakeraid bad value", "wipe_fakeraid=perhaps", "wipe_fakeraid", "expects no value"},
	{"swap_encrypt refused", "swap_encrypt", "swap_encrypt", "not implemented"},
	{"swap_encrypt with an oVirt cipher refused", "swap_encrypt=aes-cbc-essiv:sha256", "swap_encrypt", "not implemented"},
	{"node.wipe bad value", "node.wipe=all", "node.wipe", "expects force"},
	{"node.wipe bare", "node.wipe", "node.wipe", "needs a value: node.wipe=force"},
	{"node.wipe with upgrade", "upgrade node.wipe=force", "node.wipe", "conflicts with upgrade"},
	// BOOTIF
	{"BOOTIF short MAC", "BOOTIF=01-52-54-00-12-34", "BOOTIF", "six bytes"},
	{"BOOTIF colon MAC with bad hex", "BOOTIF=52:54:00:zz:34:56", "BOOTIF", "six bytes"},
	{"BOOTIF bad ifname", "BOOTIF=averyveryverylongname0", "BOOTIF", "not a valid interface name"},
	{"BOOTIF bond without bond=", "BOOTIF=bond0", "BOOTIF", "no bond= defines it"},
	{"BOOTIF twice differently", "BOOTIF=eth0 BOOTIF=01-52-54-00-12-34-56", "BOOTIF", "different values"},
	// ip=
	{"ip bad address", "ip=192.0.2.300", "ip", "expects dhcp, off, an address"},
	{"ip static without netmask", "ip=192.0.2.10", "ip", "needs netmask="},
	{"ip bad dotted netmask", "ip=192.0.2.10 netmask=255.0.255.0", "netmask", "not a contiguous mask"},
	{"ip netmask out of range", "ip=192.0.2.10 netmask=33", "netmask", "prefix length must be 1-32"},
	{"ip netmask disagrees with CIDR", "ip=192.0.2.10/24 netmask=255.255.0.0", "netmask", "disagrees with the prefix length /24"},
	{"ip dotted netmask for IPv6", "ip=[2001:db8::2] netmask=255.255.255.0", "netmask", "takes a prefix length"},
	{"gateway outside subnet", "ip=192.0.2.10 netmask=255.255.255.0 gateway=198.51.100.1", "gateway", "outside the subnet 192.0.2.0/24"},
	{"gateway bad address", "ip=192.0.2.10/24 gateway=gw.example.org", "gateway", "not an IP address"},
	{"gateway of another family", "ip=192.0.2.10/24 gateway=2001:db8::1", "gateway", "different IP families"},
	{"gateway equals address", "ip=192.0.2.10/24 gateway=192.0.2.10", "gateway", "own address"},
	{"gateway without static ip", "ip=dhcp gateway=192.0.2.1", "gateway", "needs a static ip=ADDR"},
	{"netmask without ip", "netmask=255.255.255.0", "netmask", "needs a static ip=ADDR"},
	{"ip network address", "ip=192.0.2.0/24", "ip", "network address"},
	{"ip multicast", "ip=224.0.0.1/24", "ip", "not a host address"},
	{"two oVirt ip= addresses", "ip=192.0.2.10/24 ip=192.0.2.11/24", "ip", "a second ip=ADDR"},
	{"ip=ibft refused", "ip=ibft", "ip", "ibft is not supported by this installer"},
	{"ip either6 refused", "ip=eth0:either6", "ip", "either6 is not supported"},
	{"ip link6 refused", "ip=eth0:link6", "ip", "link6 is not supported"},
	{"pxelinux 4-field bad netmask", "ip=192.0.2.10:192.0.2.1:192.0.2.254:255.0.255.0", "ip", "netmask"},
	{"dracut too few fields", "ip=192.0.2.10::192.0.2.1:24:node1", "ip", "has 5 fields"},
	{"dracut bad autoconf", "ip=192.0.2.10::192.0.2.1:24::eth0:static", "ip", `autoconf "static"`},
	{"dracut static with dhcp", "ip=192.0.2.10::192.0.2.1:24::eth0:dhcp", "ip", "needs autoconf none or off"},
	{"dracut missing netmask", "ip=192.0.2.10::192.0.2.1:::eth0:none", "ip", "needs a netmask"},
	{"dracut netmask without client", "ip=::192.0.2.1:24::eth0:dhcp", "ip", "netmask without a client address"},
	{"dracut bad mtu", "ip=eth0:dhcp:jumbo", "ip", `mtu "jumbo"`},
	{"dracut mtu too small", "ip=eth0:dhcp:40", "ip", "MTU 40"},
	{"dracut bad mac", "ip=eth0:dhcp:1500:52:54:00:12:34", "ip", "too many fields"},
	{"dracut mac bad hex", "ip=eth0:dhcp::zz:54:00:12:34:56", "ip", "macaddr"},
	{"dracut unbalanced bracket", "ip=[2001:db8::2::[2001:db8::1]:64::eth0:none", "ip", "nested '['"},
	{"dracut IPv4 in brackets", "ip=[192.0.2.1]::::node:eth0:none", "ip", "not an IPv6 address"},
	{"dracut bad hostname", "ip=::::node_1:eth0:dhcp", "ip", "not a valid host name"},
	{"dracut hostname differs from hostname=", "ip=::::node1:eth0:dhcp hostname=node2", "ip", "differs from hostname=node2"},
	{"dracut same interface twice", "ip=eth0:dhcp ip=eth0:on", "ip", "configures eth0 again"},
	{"ip without value", "ip", "ip", "needs a value"},
	{"ip dracut three DNS", "ip=192.0.2.10::192.0.2.1:24::eth0:none:192.0.2.2:192.0.2.3:192.0.2.4", "ip", "at most two DNS"},
	{"ip on a bond slave", "bond=bond0:eth0,eth1 ip=eth1:dhcp", "ip", "slave of bond0"},
	// other network
	{"ipv6 bad", "ipv6=yes", "ipv6", "expects dhcp, auto or none"},
	{"ipv6 none with IPv6 address", "ipv6=none ip=[2001:db8::2]/64", "ip", "ipv6=none"},
	{"dns bad", "dns=192.0.2.2,dns.example.org", "dns", "not an IP address"},
	{"dns empty", "dns=", "dns", "needs a value"},
	{"ntp bad name", "ntp=pool..example.org", "ntp", "expects a host name"},
	{"ntp off with servers", "ntp=off ntp=pool.example.org", "ntp", "ntp=off together with NTP servers"},
	{"hostname underscore", "hostname=node_1", "hostname", "RFC 1123"},
	{"hostname leading hyphen", "hostname=-node", "hostname", "RFC 1123"},
	{"hostname label too long", "hostname=" + strings.Repeat("a", 64) + ".example.org", "hostname", "RFC 1123"},
	{"hostname twice", "hostname=a hostname=b", "hostname", "different values (a and b)"},
	{"vlan zero", "vlan=0", "vlan", "VLAN ID 0"},
	{"vlan too big", "vlan=4095", "vlan", "expects 1-4094"},
	{"vlan not a number", "vlan=ten", "vlan", "expects a VLAN ID"},
	{"vlan bad parent", "vlan=10:eth/0", "vlan", "not a valid interface name"},
	{"vlan on a bond slave", "bond=bond0:eth0,eth1 vlan=10:eth1", "vlan", "slave of bond0"},
	{"bond without slaves", "bond=bond0", "bond", "the slaves are required"},
	{"bond unknown option", "bond=bond0:eth0,eth1:mode=1,speed=fast", "bond", "unknown key speed"},
	{"bond bad mode", "bond=bond0:eth0,eth1:mode=8", "bond", "mode=8"},
	{"bond option without value", "bond=bond0:eth0,eth1:miimon", "bond", "expected key=value"},
	{"bond slave twice", "bond=bond0:eth0,eth0", "bond", "listed twice"},
	{"bond enslaves itself", "bond=bond0:bond0,eth1", "bond", "cannot enslave itself"},
	{"bond bad mtu", "bond=bond0:eth0,eth1::big", "bond", `mtu "big"`},
	{"network_layout bad", "network_layout=routed", "network_layout", "expects direct or bridged"},
	// credentials
	{"adminpw plain text", "adminpw=secret", "adminpw", "plain-text passwords are refused"},
	{"adminpw truncated hash", "adminpw=$6$saltsalt$TVLlQcbp", "adminpw", "expects a crypt(3) hash"},
	{"adminpw bcrypt cost below 4", "adminpw=$2b$03$abcdefghijklmnopqrstuuJ7Hv0bu5uKk1dIeRvNxQBfDNqkqI1nS", "adminpw", "expects a crypt(3) hash"},
	{"adminpw DES-like with an impossible last character", "adminpw=abiQ6Ep3EYTHd", "adminpw", "expects a crypt(3) hash"},
	{"adminpw empty", "adminpw=", "adminpw", "needs a value"},
	{"adminpw given twice", "adminpw=" + hash6 + " adminpw=" + hash5, "adminpw", "different values (*** and ***)"},
	{"rootpw plain text", "rootpw=toor", "rootpw", "plain-text passwords are refused"},
	{"ssh_pwauth bad", "ssh_pwauth=maybe", "ssh_pwauth", "expects no value or one of"},
	{"keyboard bad", "keyboard=de/latin", "keyboard", "keymap name"},
	// services
	{"syslog bad port", "syslog=logs.example.org:syslog", "syslog", `port "syslog": expects 1-65535`},
	{"syslog port out of range", "syslog=logs.example.org:70000", "syslog", "expects 1-65535"},
	{"syslog empty port", "syslog=logs.example.org:", "syslog", "empty port"},
	{"netconsole bad host", "netconsole=bad_host", "netconsole", "expects a host name or an IP address"},
	{"netconsole unclosed bracket", "netconsole=[2001:db8::1:6666", "netconsole", "'[' without ']'"},
	{"collectd IPv4 in brackets", "collectd=[192.0.2.1]:25826", "collectd", "brackets hold an IPv6 address"},
	{"logrotate_max_size bad", "logrotate_max_size=big", "logrotate_max_size", "expects a size"},
	{"logrotate_interval bad", "logrotate_interval=hourly", "logrotate_interval", "daily, weekly or monthly"},
	{"kdump_nfs without path", "kdump_nfs=nfs.example.org", "kdump_nfs", "HOST:/PATH"},
	{"kdump_ssh without user", "kdump_ssh=crash.example.org", "kdump_ssh", "USER@HOST"},
	{"kdump both targets", "kdump_nfs=n.example.org:/x kdump_ssh=u@s.example.org", "kdump_ssh", "one target"},
	{"disable_kdump with target", "disable_kdump kdump_ssh=u@s.example.org", "disable_kdump", "conflicts with a kdump target"},
	{"nfsv4_domain bad", `nfsv4_domain="exa mple"`, "nfsv4_domain", "DNS domain name"},
	{"iscsi_name bad", "iscsi_name=node1", "iscsi_name", "iqn.YYYY-MM"},
	{"iscsi_name bad month", "iscsi_name=iqn.2024-13.org.example:n1", "iscsi_name", "iqn.YYYY-MM"},
	{"management_server bad host", "management_server=engine_1:443", "management_server", "expects a host name"},
	{"management_server bad port", "management_server=engine.example.org:0", "management_server", "expects 1-65535"},
	{"management_port out of range", "management_server=e.example.org management_port=0", "management_port", "expects 1-65535"},
	{"management_port without server", "management_port=443", "management_port", "needs management_server"},
	{"management_port disagrees", "management_server=e.example.org:443 management_port=8443", "management_port", "disagrees"},
	{"management_port not a number", "management_server=e.example.org management_port=https", "management_port", "whole number"},
	{"management fingerprint bad", "management_server=e.example.org management_server_fingerprint=abc", "management_server_fingerprint", "hex bytes"},
	{"management fingerprint without server", "management_server_fingerprint=SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", "management_server_fingerprint", "needs management_server"},
	{"disable_aes_ni bad value", "disable_aes_ni=please", "disable_aes_ni", "expects no value"},
	{"use_strong_rng bare", "use_strong_rng", "use_strong_rng", "needs a value"},
	{"use_strong_rng not a number", "use_strong_rng=lots", "use_strong_rng", "positive number of bytes"},
	{"tuned bad", `tuned="virtual host"`, "tuned", "profile name"},
	{"reboot_delay negative", "reboot_delay=-5", "reboot_delay", "0 to 86400"},
	{"reboot_delay aliases disagree", "reboot_delay=5 node.reboot_delay=10", "node.reboot_delay", "reboot_delay=5 and node.reboot_delay=10"},
	// node.*
	{"node.config ftp", "node.config=ftp://cfg.example.org/a.yaml", "node.config", "http(s) URL or an absolute path"},
	{"node.config unknown placeholder", "node.config=http://cfg.example.org/${ip}.yaml", "node.config", "unknown placeholder ${ip}"},
	{"node.media relative", "node.media=media/bundle", "node.media", "absolute path"},
	{"node.webhook not http", "node.webhook=mailto:ops@example.org", "node.webhook", "http:// or https://"},
	{"node.webhook without host", "node.webhook=http://", "node.webhook", "http:// or https://"},
	{"node.webhook with a token, not shown", "node.webhook=htp://u:tok3n@h.example.org/x?key=tok3n", "node.webhook", "http:// or https://"},
	{"node.done_url not http", "node.done_url=ftp://u:tok3n@h.example.org/built", "node.done_url", "http:// or https://"},
	{"node.done_url second bad, token not shown", "node.done_url=http://h.example.org/ok node.done_url=h.example.org/built?token=tok3n", "node.done_url", "http:// or https://"},
	{"node.done_url empty", "node.done_url", "node.done_url", "needs a value"},
	{"local_boot_trigger not http", "local_boot_trigger=/tmp/x?tok3n", "local_boot_trigger", "http:// or https://"},
	{"node.webhook_format bad", "node.webhook=http://h.example.org/ node.webhook_format=xml", "node.webhook_format", "json or ironic"},
	{"node.webhook_format ironic without a webhook", "node.webhook_format=ironic", "node.webhook_format", "needs node.webhook"},
	{"node.webhook_token without ironic", "node.webhook=http://h.example.org/ node.webhook_token=tok3n", "node.webhook_token", "only sent with node.webhook_format=ironic"},
	{"node.after bad", "node.after=sleep", "node.after", "reboot, poweroff, halt or shell"},
	{"node.reboot_delay text", "node.reboot_delay=soon", "node.reboot_delay", "whole number"},
	{"node.log_level bad", "node.log_level=verbose", "node.log_level", "debug, info, warn or error"},
	{"node.break bad", "node.break=pre-mount", "node.break", "pre-installer, post-installer or pre-reboot"},
	{"node.halt_if_installed bad", "node.halt_if_installed=sometimes", "node.halt_if_installed", "expects no value"},
	{"node.halt_if_installed with uninstall", "uninstall node.halt_if_installed", "node.halt_if_installed", "conflicts with uninstall"},
	{"node.allow_downgrade bad", "node.allow_downgrade=2", "node.allow_downgrade", "expects no value"},
	{"node.trust_key relative", "node.trust_key=keys/a.pub", "node.trust_key", "expected an absolute path"},
	{"node.trust_key URL", "node.trust_key=https://example.org/a.pub", "node.trust_key", "a key is never fetched over the network"},
	{"node.insecure_media value", "node.insecure_media=2", "node.insecure_media", "expects no value"},
	{"node.config_signature bad", "node.config_signature=maybe", "node.config_signature", "expected required or optional"},
	{"node.config_signature twice", "node.config_signature=required node.config_signature=optional", "node.config_signature", "given more than once with different values"},
	{"node.* typo suggests", "node.webhok=http://x", "node.webhok", "did you mean node.webhook?"},
	{"node.* wrong case suggests", "Node.Disk=largest", "Node.Disk", "did you mean node.disk?"},
	{"node.* unknown without suggestion", "node.colour=blue", "node.colour", "unknown argument"},
}

// TestParseCmdlineInvalid: every argument in invalid forms. Parsing plus
// Validate must report a problem naming the argument (Arg) whose message
// holds want; a secret's value is never shown.
func TestParseCmdlineInvalid(t *testing.T) {
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ps := ParseCmdline(tt.line)
			ps = append(ps, cfg.Validate()...)
			if len(ps) == 0 {
				t.Fatalf("ParseCmdline(%q): no problem, want one naming %s", tt.line, tt.arg)
			}
			found := false
			for _, p := range ps {
				if p.Arg == tt.arg && strings.Contains(p.Msg, tt.want) {
					found = true
				}
				if (p.Arg == "adminpw" || p.Arg == "rootpw") && p.Value != "***" && p.Value != "" {
					t.Errorf("problem shows a secret: %q", p.String())
				}
				if strings.Contains(p.String(), "tok3n") {
					t.Errorf("problem shows a URL token: %q", p.String())
				}
			}
			if !found {
				t.Errorf("ParseCmdline(%q): no problem for %s containing %q; got:\n%s", tt.line, tt.arg, tt.want, ps.Error())
			}
		})
	}
}
