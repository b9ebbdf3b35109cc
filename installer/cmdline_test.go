package installer

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"node-installer/network"
	"node-installer/storage"
)

// Real crypt(3) hashes (openssl passwd -6/-5/-1 -salt saltsalt secret; a yescrypt one).
const (
	hash6 = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
	hash5 = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"
	hash1 = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"
	hashY = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"
)

// cmpConfig compares Configs, netip values included, Origins and the
// arguments as given (what problems show) excluded.
var cmpConfig = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.IgnoreFields(Config{}, "Origins"),
	cmpopts.IgnoreFields(network.IP{}, "Arg"),
	cmpopts.IgnoreFields(network.Bond{}, "Arg"),
	cmpopts.IgnoreFields(network.VLAN{}, "Arg"),
	cmpopts.IgnoreFields(network.Bridge{}, "Arg"),
	cmpopts.IgnoreFields(network.Ifname{}, "Arg"),
	cmpopts.IgnoreFields(network.Config{}, "BootIfKey"),
	cmpopts.EquateEmpty(),
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }
func yes() *bool                { b := true; return &b }
func no() *bool                 { b := false; return &b }

var validCases = []struct {
	name string
	line string
	want func(c *Config)
}{
	{"empty line", "", func(c *Config) {}},
	{"pass-through only", "console=tty0 console=ttyS0,115200n8 crashkernel=256M quiet", func(c *Config) {
		c.BootParams = []string{"console=tty0", "console=ttyS0,115200n8", "crashkernel=256M", "quiet"}
	}},
	{"pass-through keeps quotes and init args", `vendor.opt="a b" -- single ip=dhcp`, func(c *Config) {
		c.BootParams = []string{`vendor.opt="a b"`, "--", "single", "ip=dhcp"}
	}},
	{"oVirt PXE reinstall line", "BOOTIF=01-52-54-00-12-34-56 storage_init=/dev/sda storage_vol=:4096::5:2048:-1 adminpw=" + hash6 +
		" ip=192.0.2.10 netmask=255.255.255.0 gateway=192.0.2.1 dns=192.0.2.2,192.0.2.3 ntp=pool.example.org hostname=node1.example.org ssh_pwauth=1 reinstall",
		func(c *Config) {
			c.Action = ActionReinstall
			c.Storage.Init = true
			c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}
			c.Storage.Volumes = map[storage.Vol]int64{"Swap": 4096, "Config": 5, "Logging": 2048, "Data": -1}
			c.Network.BootIf, c.Network.BootIfMAC = "01-52-54-00-12-34-56", "52:54:00:12:34:56"
			c.Network.IPs = []network.IP{{Method: "static", Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1")}}
			c.Network.DNS = []netip.Addr{addr("192.0.2.2"), addr("192.0.2.3")}
			c.Network.NTP = []string{"pool.example.org"}
			c.Network.Hostname = "node1.example.org"
			c.Host.AdminPW, c.Host.SSHPwAuth = hash6, yes()
		}},
	{"oVirt PXE install with firstboot, usb and bare BOOTIF link", "firstboot storage_init=usb BOOTIF=link ip=dhcp ssh_pwauth=0 console=ttyS0", func(c *Config) {
		c.Action = ActionReinstall
		c.Storage.Init = true
		c.Storage.Disks = []storage.DiskRef{{Raw: "usb", Bus: "usb"}}
		c.Network.BootIf = "link"
		c.Network.IPs = []network.IP{{Method: "dhcp"}}
		c.Host.SSHPwAuth = no()
		c.BootParams = []string{"console=ttyS0"}
	}},
	// actions
	{"install", "install", func(c *Config) { c.ForceInstall = true }},
	{"storage_init bare", "storage_init", func(c *Config) { c.Action, c.Storage.Init = ActionInstall, true }},
	{"storage_init empty value", "storage_init=", func(c *Config) { c.Action, c.Storage.Init = ActionInstall, true }},
	{"reinstall without storage_init", "reinstall", func(c *Config) { c.Action = ActionReinstall }},
	{"firstboot alias", "firstboot storage_init", func(c *Config) { c.Action, c.Storage.Init = ActionReinstall, true }},
	{"upgrade", "upgrade", func(c *Config) { c.Action = ActionUpgrade }},
	{"local_boot alias", "local_boot", func(c *Config) { c.Action = ActionUpgrade }},
	{"ovirt_upgrade alias", "ovirt_upgrade", func(c *Config) { c.Action = ActionUpgrade }},
	{"ovirt_local_boot alias", "ovirt_local_boot", func(c *Config) { c.Action = ActionUpgrade }},
	{"ovirt_firstboot alias", "ovirt_firstboot", func(c *Config) { c.Action = ActionReinstall }},
	{"upgrade aliases together", "upgrade ovirt_upgrade", func(c *Config) { c.Action = ActionUpgrade }},
	{"uninstall", "uninstall", func(c *Config) { c.Action = ActionUninstall }},
	{"upgrade of the installation on a named disk", "upgrade storage_init=/dev/sdb", func(c *Config) {
		c.Action, c.Storage.Init = ActionUpgrade, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sdb", Path: "/dev/sdb"}}
	}},
	{"uninstall with storage_init disks", "uninstall storage_init=/dev/vda", func(c *Config) {
		c.Action, c.Storage.Init = ActionUninstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/vda", Path: "/dev/vda"}}
	}},
	{"reinstall=0 is no action", "reinstall=0", func(c *Config) {}},
	// storage_init forms
	{"storage_init two disks and app disk", "storage_init=/dev/sda,/dev/sdb;/dev/sdc", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}, {Raw: "/dev/sdb", Path: "/dev/sdb"}}
		c.Storage.AppDisks = []storage.DiskRef{{Raw: "/dev/sdc", Path: "/dev/sdc"}}
	}},
	{"storage_init glob", "storage_init=/dev/sd[ab]", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sd[ab]", Path: "/dev/sd[ab]"}}
	}},
	{"storage_init by-id glob", "storage_init=/dev/disk/by-id/ata-Samsung_SSD_*", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/disk/by-id/ata-Samsung_SSD_*", Path: "/dev/disk/by-id/ata-Samsung_SSD_*"}}
	}},
	{"storage_init bus with serial", "storage_init=ata:S3Z9NB0K123456", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "ata:S3Z9NB0K123456", Bus: "ata", Serial: "S3Z9NB0K123456"}}
	}},
	{"storage_init bus ALL", "storage_init=scsi:ALL", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "scsi:ALL", Bus: "scsi", All: true}}
	}},
	{"storage_init virtio and nvme", "storage_init=virtio,nvme:SN1", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "virtio", Bus: "virtio"}, {Raw: "nvme:SN1", Bus: "nvme", Serial: "SN1"}}
	}},
	{"storage_init bare kernel names", "storage_init=vda;nvme0n1", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "vda", Path: "/dev/vda"}}
		c.Storage.AppDisks = []storage.DiskRef{{Raw: "nvme0n1", Path: "/dev/nvme0n1"}}
	}},
	{"storage_init repeated with the same value", "storage_init=/dev/sda storage_init=/dev/sda", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}
	}},
	// node.disk
	{"node.disk serial", "node.disk=serial=S3Z9", func(c *Config) {
		c.Storage.Selectors = []storage.Selector{{Raw: "serial=S3Z9", Rules: []storage.Rule{{Key: "serial", Op: "=", Value: "S3Z9"}}}}
	}},
	{"node.disk rules AND-ed", "node.disk=type=ssd,size>=100G,size<=2T,model=Samsung*", func(c *Config) {
		c.Storage.Selectors = []storage.Selector{{Raw: "type=ssd,size>=100G,size<=2T,model=Samsung*", Rules: []storage.Rule{
			{Key: "type", Op: "=", Value: "ssd"}, {Key: "size", Op: ">=", Value: "100G"},
			{Key: "size", Op: "<=", Value: "2T"}, {Key: "model", Op: "=", Value: "Samsung*"}}}}
	}},
	{"node.disk fallback list", "node.disk=bus=nvme,largest node.disk=smallest node.disk=wwid=naa.5000* node.disk=vendor=ATA,path=/dev/sd*", func(c *Config) {
		c.Storage.Selectors = []storage.Selector{
			{Raw: "bus=nvme,largest", Rules: []storage.Rule{{Key: "bus", Op: "=", Value: "nvme"}, {Key: "largest"}}},
			{Raw: "smallest", Rules: []storage.Rule{{Key: "smallest"}}},
			{Raw: "wwid=naa.5000*", Rules: []storage.Rule{{Key: "wwid", Op: "=", Value: "naa.5000*"}}},
			{Raw: "vendor=ATA,path=/dev/sd*", Rules: []storage.Rule{{Key: "vendor", Op: "=", Value: "ATA"}, {Key: "path", Op: "=", Value: "/dev/sd*"}}},
		}
	}},
	{"node.disk with storage_init bare", "storage_init node.disk=size>500GB,type=hdd", func(c *Config) {
		c.Action, c.Storage.Init = ActionInstall, true
		c.Storage.Selectors = []storage.Selector{{Raw: "size>500GB,type=hdd", Rules: []storage.Rule{{Key: "size", Op: ">", Value: "500GB"}, {Key: "type", Op: "=", Value: "hdd"}}}}
	}},
	// storage_vol
	{"storage_vol positional all eight", "storage_vol=512:0:4096:64:2048:-1:1024:-1", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"EFI": 512, "Swap": 0, "Root": 4096, "Config": 64, "Logging": 2048, "Data": -1, "Swap2": 1024, "Data2": -1}
	}},
	{"storage_vol positional swap 0 and data size", "storage_vol=:0::::20480", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"Swap": 0, "Data": 20480}
	}},
	{"storage_vol named", "storage_vol=8192,Swap:-1,Data:5,Config", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"Swap": 8192, "Data": -1, "Config": 5}
	}},
	{"storage_vol named case-insensitive with Boot alias", "storage_vol=600,boot:4096,ROOT:-1,logging:10240,data", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"EFI": 600, "Root": 4096, "Logging": -1, "Data": 10240}
	}},
	{"storage_vol mixed positional and named", "storage_vol=:2048:::1024,Logging", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"Swap": 2048, "Logging": 1024}
	}},
	{"storage_vol Data 0 and Logging fills", "storage_vol=:::::0 storage_vol=:::::0", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"Data": 0}
	}},
	{"storage_vol Swap fills when Data is 0", "storage_vol=:-1::::0", func(c *Config) {
		c.Storage.Volumes = map[storage.Vol]int64{"Swap": -1, "Data": 0}
	}},
	{"mem_overcommit", "mem_overcommit=1.5", func(c *Config) { c.Storage.MemOvercommit = 1.5 }},
	{"mem_overcommit zero", "mem_overcommit=0", func(c *Config) { c.Storage.MemOvercommit = 0 }},
	{"wipe_fakeraid", "wipe_fakeraid", func(c *Config) { c.Storage.WipeFakeRAID = true }},
	{"wipe_fakeraid=0", "wipe_fakeraid=0", func(c *Config) {}},
	{"swap_encrypt=0 is accepted", "swap_encrypt=0", func(c *Config) {}},
	{"node.wipe force", "storage_init=/dev/sda node.wipe=force", func(c *Config) {
		c.Action, c.Storage.Init, c.Storage.Wipe = ActionInstall, true, "force"
		c.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sda", Path: "/dev/sda"}}
	}},
	// BOOTIF
	{"BOOTIF ifname", "BOOTIF=eno1", func(c *Config) { c.Network.BootIf = "eno1" }},
	{"BOOTIF pxelinux", "BOOTIF=01-AA-BB-CC-DD-EE-FF", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "01-AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"
	}},
	// Foreman's templates write 00-; dracut strips any hardware type byte.
	{"BOOTIF Foreman 00-", "BOOTIF=00-aa-bb-cc-dd-ee-ff", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "00-aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"
	}},
	{"BOOTIF twice, one MAC in two forms", "BOOTIF=01-aa-bb-cc-dd-ee-ff BOOTIF=aa:bb:cc:dd:ee:ff", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "01-aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"
	}},
	{"BOOTIF dashed MAC", "BOOTIF=aa-bb-cc-dd-ee-ff", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:ff"
	}},
	{"BOOTIF colon MAC", "BOOTIF=52:54:00:AB:CD:EF", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef"
	}},
	{"BOOTIF link", "BOOTIF=link", func(c *Config) { c.Network.BootIf = "link" }},
	{"BOOTIF bond", "BOOTIF=bond0 bond=bond0:eth0,eth1", func(c *Config) {
		c.Network.BootIf = "bond0"
		c.Network.Bond = &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: "mode=active-backup miimon=100"}
	}},
	{"BOOTIF twice, same value (pxelinux IPAPPEND)", "BOOTIF=01-52-54-00-12-34-56 BOOTIF=01-52-54-00-12-34-56", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "01-52-54-00-12-34-56", "52:54:00:12:34:56"
	}},
	// ip= oVirt/anaconda
	{"ip dhcp", "ip=dhcp", func(c *Config) { c.Network.IPs = []network.IP{{Method: "dhcp"}} }},
	{"ip off", "ip=off", func(c *Config) { c.Network.IPs = []network.IP{{Method: "off"}} }},
	{"ip static with prefix netmask", "ip=10.0.0.5 netmask=16 gateway=10.0.255.254", func(c *Config) {
		c.Network.IPs = []network.IP{{Method: "static", Address: pfx("10.0.0.5/16"), Gateway: addr("10.0.255.254")}}
	}},
	{"ip static CIDR without netmask", "ip=192.0.2.10/24", func(c *Config) {
		c.Network.IPs = []network.IP{{Method: "static", Address: pfx("192.0.2.10/24")}}
	}},
	{"ip CIDR and agreeing netmask", "ip=192.0.2.10/24 netmask=255.255.255.0", func(c *Config) {
		c.Network.IPs = []network.IP{{Method: "static", Address: pfx("192.0.2.10/24")}}
	}},
	{"ip IPv6 in brackets with netmask prefix", "ip=[2001:db8::10] netmask=64 gateway=[2001:db8::1]", func(c *Config) {
		c.Network.IPs = []network.IP{{Method: "static", Address: pfx("2001:db8::10/64"), Gateway: addr("2001:db8::1")}}
	}},
	// ip= dracut
	{"dracut static full", "ip=192.0.2.10::192.0.2.1:255.255.255.0:node1:eth0:none", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "static", Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Hostname: "node1"}}
	}},
	{"dracut static with peer, mtu and mac", "ip=192.0.2.10:192.0.2.99:192.0.2.1:24::eth0:off:9000:52:54:00:12:34:56", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "static", Address: pfx("192.0.2.10/24"), Peer: addr("192.0.2.99"),
			Gateway: addr("192.0.2.1"), MTU: 9000, MAC: "52:54:00:12:34:56"}}
	}},
	{"dracut static with dns servers", "ip=192.0.2.10::192.0.2.1:255.255.255.0:node1:eth0:none:192.0.2.2:192.0.2.3", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "static", Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"),
			Hostname: "node1", DNS: []netip.Addr{addr("192.0.2.2"), addr("192.0.2.3")}}}
	}},
	{"dracut IPv6 in brackets", "ip=[2001:db8::2]::[2001:db8::1]:64:node1:eno1:none:[2001:db8::53]", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eno1", Method: "static", Address: pfx("2001:db8::2/64"), Gateway: addr("2001:db8::1"),
			Hostname: "node1", DNS: []netip.Addr{addr("2001:db8::53")}}}
	}},
	{"dracut IPv6 link-local gateway", "ip=[2001:db8::2]::[fe80::1]:64::eno1:none", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eno1", Method: "static", Address: pfx("2001:db8::2/64"), Gateway: addr("fe80::1")}}
	}},
	{"dracut hostname with dhcp", "ip=::::node1:eth0:dhcp", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "dhcp", Hostname: "node1"}}
	}},
	{"dracut iface dhcp", "ip=eth0:dhcp", func(c *Config) { c.Network.IPs = []network.IP{{Iface: "eth0", Method: "dhcp"}} }},
	{"dracut iface dhcp with mtu and mac", "ip=eth0:dhcp:1500:52:54:00:12:34:56", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "dhcp", MTU: 1500, MAC: "52:54:00:12:34:56"}}
	}},
	{"dracut iface auto6 empty mtu", "ip=eth1:auto6::52-54-00-12-34-57", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth1", Method: "auto6", MAC: "52:54:00:12:34:57"}}
	}},
	{"dracut repeated per interface and family", "ip=eth0:dhcp ip=eth0:dhcp6 ip=eth1:on ip=192.0.2.20::192.0.2.1:24::eth2:none", func(c *Config) {
		c.Network.IPs = []network.IP{{Iface: "eth0", Method: "dhcp"}, {Iface: "eth0", Method: "dhcp6"}, {Iface: "eth1", Method: "on"},
			{Iface: "eth2", Method: "static", Address: pfx("192.0.2.20/24"), Gateway: addr("192.0.2.1")}}
	}},
	{"dracut global keywords", "ip=any", func(c *Config) { c.Network.IPs = []network.IP{{Method: "any"}} }},
	// other network
	{"ipv6 auto", "ipv6=auto", func(c *Config) { c.Network.IPv6 = "auto" }},
	{"ipv6 dhcp and none", "ipv6=dhcp", func(c *Config) { c.Network.IPv6 = "dhcp" }},
	{"dns IPv6 bracketed and plain", "dns=[2001:db8::53],2001:db8::54", func(c *Config) {
		c.Network.DNS = []netip.Addr{addr("2001:db8::53"), addr("2001:db8::54")}
	}},
	{"dns repeated is joined", "dns=192.0.2.2 dns=192.0.2.3", func(c *Config) {
		c.Network.DNS = []netip.Addr{addr("192.0.2.2"), addr("192.0.2.3")}
	}},
	{"ntp list", "ntp=0.pool.example.org,192.0.2.123", func(c *Config) { c.Network.NTP = []string{"0.pool.example.org", "192.0.2.123"} }},
	{"ntp off", "ntp=off", func(c *Config) { c.Network.NTPOff = true }},
	{"hostname short", "hostname=node-01", func(c *Config) { c.Network.Hostname = "node-01" }},
	{"vlan id", "vlan=100", func(c *Config) { c.Network.VLAN = 100 }},
	{"vlan id and parent", "vlan=4094:eno2", func(c *Config) { c.Network.VLAN, c.Network.VLANParent = 4094, "eno2" }},
	{"vlan dracut form", "vlan=eth0.42:eth0", func(c *Config) { c.Network.VLANs = []network.VLAN{{Name: "eth0.42", ID: 42, Parent: "eth0"}} }},
	{"vlan dracut vlanNNNN form", "vlan=vlan0007:eth1", func(c *Config) { c.Network.VLANs = []network.VLAN{{Name: "vlan0007", ID: 7, Parent: "eth1"}} }},
	{"vlan dracut every name form", "vlan=vlan0001:net2 vlan=vlan2:net2 vlan=net2.3:net2 vlan=net2.0004:net2", func(c *Config) {
		c.Network.VLANs = []network.VLAN{{Name: "vlan0001", ID: 1, Parent: "net2"}, {Name: "vlan2", ID: 2, Parent: "net2"},
			{Name: "net2.3", ID: 3, Parent: "net2"}, {Name: "net2.0004", ID: 4, Parent: "net2"}}
	}},
	{"vlan oVirt and a second with parent", "vlan=100 vlan=200:eth1", func(c *Config) {
		c.Network.VLAN = 100
		c.Network.VLANs = []network.VLAN{{Name: "eth1.200", ID: 200, Parent: "eth1"}}
	}},
	{"bond twice", "bond=bond0:eth0,eth1 bond=bond1:eth2,eth3:mode=802.3ad,miimon=100:9000", func(c *Config) {
		c.Network.Bond = &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: network.DefaultBondOptions}
		c.Network.Bonds = []network.Bond{{Name: "bond1", Slaves: []string{"eth2", "eth3"}, Options: "mode=802.3ad miimon=100", MTU: 9000}}
	}},
	{"bridge", "bridge=br0:net1,net5", func(c *Config) { c.Network.Bridges = []network.Bridge{{Name: "br0", Ports: []string{"net1", "net5"}}} }},
	{"bare bridge", "bridge", func(c *Config) { c.Network.Bridges = []network.Bridge{{Name: "br0"}} }},
	{"ifname", "ifname=net1:52:54:00:12:34:01 ifname=net2:52:54:00:12:34:02", func(c *Config) {
		c.Network.Ifnames = []network.Ifname{{Name: "net1", MAC: "52:54:00:12:34:01"}, {Name: "net2", MAC: "52:54:00:12:34:02"}}
	}},
	{"ifname upper-case MAC", "ifname=mgmt:52:54:00:AB:CD:EF", func(c *Config) { c.Network.Ifnames = []network.Ifname{{Name: "mgmt", MAC: "52:54:00:ab:cd:ef"}} }},
	{"bootdev", "bootdev=bond0", func(c *Config) { c.Network.BootDev = "bond0" }},
	{"ksdevice is anaconda's BOOTIF", "ksdevice=eth1", func(c *Config) { c.Network.BootIf = "eth1" }},
	{"ksdevice=bootif leaves it to BOOTIF", "ksdevice=bootif BOOTIF=01-52-54-00-12-34-56", func(c *Config) {
		c.Network.BootIf, c.Network.BootIfMAC = "01-52-54-00-12-34-56", "52:54:00:12:34:56"
	}},
	{"bond with oVirt comma options and mtu", "bond=bond1:ens1f0,ens1f1:mode=802.3ad,miimon=100,xmit_hash_policy=layer3+4:9000", func(c *Config) {
		c.Network.Bond = &network.Bond{Name: "bond1", Slaves: []string{"ens1f0", "ens1f1"}, Options: "mode=802.3ad miimon=100 xmit_hash_policy=layer3+4", MTU: 9000}
	}},
	{"bond with quoted space options", `bond="bond0:eth0,eth1:mode=4 miimon=200"`, func(c *Config) {
		c.Network.Bond = &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: "mode=4 miimon=200"}
	}},
	{"bond with vlan on it", "bond=bond0:eth0,eth1 vlan=20:bond0 BOOTIF=bond0", func(c *Config) {
		c.Network.Bond = &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: "mode=active-backup miimon=100"}
		c.Network.VLAN, c.Network.VLANParent, c.Network.BootIf = 20, "bond0", "bond0"
	}},
	{"network_layout bridged", "network_layout=bridged", func(c *Config) { c.Network.Layout = "bridged" }},
	// credentials
	{"adminpw sha512 with rounds", "adminpw=$6$rounds=5000$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1", func(c *Config) {
		c.Host.AdminPW = "$6$rounds=5000$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
	}},
	{"adminpw yescrypt", "adminpw=" + hashY, func(c *Config) { c.Host.AdminPW = hashY }},
	{"rootpw sha256", "rootpw=" + hash5, func(c *Config) { c.Host.RootPW = hash5 }},
	{"rootpw md5", "rootpw=" + hash1, func(c *Config) { c.Host.RootPW = hash1 }},
	// The oVirt Node documentation's adminpw= examples are DES hashes
	// (`openssl passwd` of OpenSSL 1.x); oVirt gave them to usermod -p.
	{"adminpw traditional DES", "adminpw=abiQ6Ep3EYTHc", func(c *Config) { c.Host.AdminPW = "abiQ6Ep3EYTHc" }},
	{"adminpw bcrypt", "adminpw=$2b$05$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3u", func(c *Config) {
		c.Host.AdminPW = "$2b$05$6DTA7N4SMXPLeQqqQgitWO.M0fk3uz.iAyhFV31DQixhrEagRqy3u"
	}},
	{"ssh_pwauth bare", "ssh_pwauth", func(c *Config) { c.Host.SSHPwAuth = yes() }},
	{"keyboard", "keyboard=de-latin1", func(c *Config) { c.Host.Keyboard = "de-latin1" }},
	// services
	{"syslog host and port", "syslog=logs.example.org:1514", func(c *Config) { c.Services.Syslog = &HostPort{Host: "logs.example.org", Port: 1514} }},
	{"syslog host only", "syslog=192.0.2.50", func(c *Config) { c.Services.Syslog = &HostPort{Host: "192.0.2.50"} }},
	{"netconsole IPv6 with port", "netconsole=[2001:db8::50]:6666", func(c *Config) { c.Services.Netconsole = &HostPort{Host: "2001:db8::50", Port: 6666} }},
	{"collectd IPv6 without brackets", "collectd=2001:db8::51", func(c *Config) { c.Services.Collectd = &HostPort{Host: "2001:db8::51"} }},
	{"logrotate", "logrotate_max_size=1024k logrotate_interval=weekly", func(c *Config) {
		c.Services.LogrotateMaxSize, c.Services.LogrotateInterval = "1024k", "weekly"
	}},
	{"kdump_nfs", "kdump_nfs=nfs.example.org:/export/crash", func(c *Config) { c.Services.KdumpNFS = "nfs.example.org:/export/crash" }},
	{"kdump_ssh", "kdump_ssh=kdump@crash.example.org", func(c *Config) { c.Services.KdumpSSH = "kdump@crash.example.org" }},
	{"disable_kdump", "disable_kdump", func(c *Config) { c.Services.DisableKdump = true }},
	{"nfsv4_domain", "nfsv4_domain=example.org", func(c *Config) { c.Services.NFSv4Domain = "example.org" }},
	{"iscsi_name iqn", "iscsi_name=iqn.1994-05.com.redhat:node1", func(c *Config) { c.Services.ISCSIName = "iqn.1994-05.com.redhat:node1" }},
	{"iscsi_name eui", "iscsi_name=eui.02004567A425678D", func(c *Config) { c.Services.ISCSIName = "eui.02004567A425678D" }},
	{"management_server with port", "management_server=engine.example.org:443", func(c *Config) {
		c.Services.ManagementServer = &HostPort{Host: "engine.example.org", Port: 443}
	}},
	{"management_server and management_port", "management_server=engine.example.org management_port=8443 management_server_fingerprint=SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", func(c *Config) {
		c.Services.ManagementServer = &HostPort{Host: "engine.example.org", Port: 8443}
		c.Services.ManagementFprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
	}},
	{"management_server_fingerprint hex", "management_server=192.0.2.9 management_server_fingerprint=12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0", func(c *Config) {
		c.Services.ManagementServer = &HostPort{Host: "192.0.2.9"}
		c.Services.ManagementFprint = "12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0"
	}},
	{"disable_aes_ni use_strong_rng tuned", "disable_aes_ni use_strong_rng=512 tuned=virtual-host", func(c *Config) {
		c.Services.DisableAESNI, c.Services.UseStrongRNG, c.Services.Tuned = true, "512", "virtual-host"
	}},
	{"reboot_delay oVirt", "reboot_delay=30", func(c *Config) { c.Unattended.RebootDelay = 30 }},
	// node.*
	{"node.reboot_delay and the same reboot_delay", "node.reboot_delay=10 reboot_delay=10", func(c *Config) { c.Unattended.RebootDelay = 10 }},
	{"node.config URL with placeholders", "node.config=https://cfg.example.org/nodes/${mac}.yaml", func(c *Config) {
		c.Unattended.ConfigURL = "https://cfg.example.org/nodes/${mac}.yaml"
	}},
	{"node.config path", "node.config=/run/nodecfg/answers.yaml", func(c *Config) { c.Unattended.ConfigURL = "/run/nodecfg/answers.yaml" }},
	{"node.media URL and webhook", "node.media=http://192.0.2.1/media/ node.webhook=https://hooks.example.org/install?id=7", func(c *Config) {
		c.Unattended.Media, c.Unattended.Webhook = "http://192.0.2.1/media/", "https://hooks.example.org/install?id=7"
	}},
	{"node.after poweroff, log level, break", "node.after=poweroff node.log_level=debug node.break=pre-reboot", func(c *Config) {
		c.Unattended.After, c.Unattended.LogLevel, c.Unattended.Break = "poweroff", "debug", "pre-reboot"
	}},
	{"node.halt_if_installed with storage_init", "node.halt_if_installed storage_init", func(c *Config) {
		c.Action, c.Storage.Init, c.Unattended.HaltIfInstalled = ActionInstall, true, true
	}},
	{"node.allow_downgrade with upgrade", "node.allow_downgrade=1 upgrade", func(c *Config) {
		c.Action, c.Unattended.AllowDowngrade = ActionUpgrade, true
	}},
	{"node.trust_key repeated, node.insecure_media, node.config_signature", "node.trust_key=/k/a.pub,/k/b.pub node.trust_key=/etc/keys node.insecure_media node.config_signature=required", func(c *Config) {
		c.Unattended.TrustKeys = []string{"/k/a.pub", "/k/b.pub", "/etc/keys"}
		c.Unattended.InsecureMedia, c.Unattended.ConfigSignature = true, ConfigSignatureRequired
	}},
	{"callbacks: node.done_url repeated, local_boot_trigger, ironic webhook", "node.done_url=http://foreman.example.org/unattended/built?token=abc " +
		"node.done_url=http://cobbler.example.org/cblr/svc/op/nopxe/system/n1 local_boot_trigger=http://192.0.2.9/ovirt/local " +
		"node.webhook=http://ironic.example.org:6385/v1/heartbeat/7d1a node.webhook_format=ironic node.webhook_token=s3cr3t", func(c *Config) {
		c.Unattended.DoneURLs = []string{"http://foreman.example.org/unattended/built?token=abc", "http://cobbler.example.org/cblr/svc/op/nopxe/system/n1"}
		c.Unattended.LocalBootTrigger = "http://192.0.2.9/ovirt/local"
		c.Unattended.Webhook, c.Unattended.WebhookFormat, c.Unattended.WebhookToken = "http://ironic.example.org:6385/v1/heartbeat/7d1a", "ironic", "s3cr3t"
	}},
	{"node.config_signature optional", "node.config_signature=optional", func(c *Config) { c.Unattended.ConfigSignature = ConfigSignatureOptional }},
	{"quoted whole argument", `"hostname=node1.example.org"`, func(c *Config) { c.Network.Hostname = "node1.example.org" }},
	{"consumed args after -- are passed to init", "-- storage_init", func(c *Config) { c.BootParams = []string{"--", "storage_init"} }},
}

// TestParseCmdlineValid: every argument in its valid forms; the Config
// must equal Defaults() changed by want, with no problem from parsing or
// Validate.
func TestParseCmdlineValid(t *testing.T) {
	for _, tt := range validCases {
		t.Run(tt.name, func(t *testing.T) {
			got, ps := ParseCmdline(tt.line)
			ps = append(ps, got.Validate()...)
			if len(ps) > 0 {
				t.Fatalf("unexpected problems:\n%v", ps.Error())
			}
			want := Defaults()
			tt.want(&want)
			if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
				t.Errorf("ParseCmdline(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}
