package installer

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/network"
	"node-installer/storage"
)

const answerFull = `# answer file of node1
action: install
storage:
  init: true
  disks:
    - path: /dev/sda
  selectors:
    - raw: type=ssd
      rules: [{key: type, op: "=", value: ssd}]
  volumes: {Swap: 1024, Data: 0}
  mem_overcommit: 1
network:
  bootif: 52-54-00-12-34-56
  ips:
    - method: static
      address: 192.0.2.10/24
      gateway: 192.0.2.1
  dns: [192.0.2.2]
  hostname: node1.example.org
  bond: {name: bond0, slaves: [eth0, eth1]}
host:
  adminpw: "` + hash6 + `"
  ssh_pwauth: false
services:
  syslog: {host: logs.example.org, port: 514}
unattended:
  webhook: https://hooks.example.org/x
boot_params: [intel_iommu=on]
`

func TestLoadAnswerFile(t *testing.T) {
	cfg := Defaults()
	if ps := LoadAnswerFile(strings.NewReader(answerFull), &cfg); len(ps) > 0 {
		t.Fatalf("problems: %v", ps.Error())
	}
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("Validate: %v", ps.Error())
	}
	want := Defaults()
	want.Action = ActionInstall
	want.Storage.Init = true
	want.Storage.Disks = []storage.DiskRef{{Path: "/dev/sda"}}
	want.Storage.Selectors = []storage.Selector{{Raw: "type=ssd", Rules: []storage.Rule{{Key: "type", Op: "=", Value: "ssd"}}}}
	want.Storage.Volumes = map[storage.Vol]int64{"Swap": 1024, "Data": 0}
	want.Storage.MemOvercommit = 1
	want.Network.BootIf, want.Network.BootIfMAC = "52-54-00-12-34-56", "52:54:00:12:34:56"
	want.Network.IPs = []network.IP{{Method: "static", Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1")}}
	want.Network.DNS = []netip.Addr{addr("192.0.2.2")}
	want.Network.Hostname = "node1.example.org"
	want.Network.Bond = &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: network.DefaultBondOptions}
	want.Host.AdminPW, want.Host.SSHPwAuth = hash6, no()
	want.Services.Syslog = &HostPort{Host: "logs.example.org", Port: 514}
	want.Unattended.Webhook = "https://hooks.example.org/x"
	want.BootParams = []string{"intel_iommu=on"}
	if diff := cmp.Diff(want, cfg, cmpConfig...); diff != "" {
		t.Errorf("LoadAnswerFile (-want +got):\n%s", diff)
	}
	if o := cfg.Origins["network.hostname"]; o.Arg != "answer file line 19" || o.Value != "node1.example.org" {
		t.Errorf("origin of network.hostname = %+v", o)
	}
	if o := cfg.Origins["host.adminpw"]; o.Value != masked {
		t.Errorf("origin of host.adminpw shows %q", o.Value)
	}
}

func TestLoadAnswerFileProblems(t *testing.T) {
	tests := []struct {
		name, yaml string
		field      string // the problem's field
		arg        string // its Arg (line)
		want       string // substring of its message
	}{
		{"unknown top-level key", "action: install\nnetwrok: {}\n", "netwrok", "answer file line 2", `unknown key "netwrok"`},
		{"unknown nested key", "network:\n  hostname: a\n  gw: 192.0.2.1\n", "network.gw", "answer file line 3", `unknown key "gw"`},
		{"not a number", "storage:\n  mem_overcommit: lots\n", "storage.mem_overcommit", "answer file line 2", "expects a number"},
		{"not a bool", "host:\n  ssh_pwauth: maybe\n", "host.ssh_pwauth", "answer file line 2", "true/false"},
		{"bad address", "network:\n  dns: [192.0.2.300]\n", "network.dns[0]", "answer file line 2", "cannot read this value"},
		{"list expected", "network:\n  ntp: pool.example.org\n", "network.ntp", "answer file line 2", "expects a list"},
		{"mapping expected", "network: eth0\n", "network", "answer file line 1", "expects a mapping"},
		{"scalar expected", "network:\n  hostname: [a, b]\n", "network.hostname", "answer file line 2", "expects a single text value"},
		{"origins key not readable", "Origins: {}\n", "Origins", "answer file line 1", "unknown key"},
		{"syntax error", "network:\n  hostname: a\n bad\n", "", "answer file", "line"},
		{"alias refused", "network: &n {hostname: a}\nhost: *n\n", "host", "answer file line 2", "aliases"},
		{"duplicate key", "action: install\naction: upgrade\n", "action", "answer file line 2", "given twice (first on line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Defaults()
			ps := LoadAnswerFile(strings.NewReader(tt.yaml), &cfg)
			for _, p := range ps {
				if p.Field == tt.field && p.Arg == tt.arg && strings.Contains(p.Msg, tt.want) {
					return
				}
			}
			t.Errorf("no problem {%s, %s, ~%q}; got:\n%v", tt.field, tt.arg, tt.want, ps.Error())
		})
	}
}

// TestAnswerFileValidate: Validate names the answer-file line, and never
// shows a password.
func TestAnswerFileValidate(t *testing.T) {
	tests := []struct {
		name, yaml, field, arg, want string
	}{
		{"plain password", "host:\n  adminpw: hunter2\n", "host.adminpw", "answer file line 2", "plain-text passwords are refused"},
		{"unknown volume", "storage:\n  volumes: {Home: 100}\n", "storage.volumes.Home", "answer file line 2", `unknown volume "Home"`},
		{"install without storage_init", "action: install\n", "action", "answer file line 1", "needs storage_init"},
		{"unknown action", "action: format\n", "action", "answer file line 1", "unknown action"},
		{"disk neither path nor bus", "storage:\n  init: true\n  disks: [{serial: X}]\n", "storage.disks[0]", "answer file line 3", "neither a path nor a bus"},
		{"disk relative path", "storage:\n  init: true\n  disks: [{path: sda}]\n", "storage.disks[0]", "answer file line 3", "not absolute"},
		{"disk unknown bus", "storage:\n  init: true\n  disks: [{bus: sas}]\n", "storage.disks[0]", "answer file line 3", "unknown bus"},
		{"disks without init", "storage:\n  disks: [{path: /dev/sda}]\n", "storage.init", "answer file line 2", "storage.init is false"},
		{"selector without rules", "storage:\n  selectors: [{raw: x}]\n", "storage.selectors[0]", "answer file line 2", "has no rules"},
		{"static without address", "network:\n  ips: [{method: static}]\n", "network.ips[0].address", "answer file line 2", "needs an address"},
		{"address with dhcp", "network:\n  ips: [{method: dhcp, address: 192.0.2.5/24}]\n", "network.ips[0].address", "answer file line 2", "goes with method static"},
		{"unknown method", "network:\n  ips: [{method: bootp}]\n", "network.ips[0].method", "answer file line 2", "unknown method"},
		{"gateway without address", "network:\n  ips: [{method: dhcp, gateway: 192.0.2.1}]\n", "network.ips[0].gateway", "answer file line 2", "needs a static address"},
		{"bond without slaves", "network:\n  bond: {name: bond0}\n", "network.bond.slaves", "answer file line 2", "at least one slave"},
		{"vlan out of range", "network:\n  vlan: 5000\n", "network.vlan", "answer file line 2", "expects 1-4094"},
		{"bad bootif", "network:\n  bootif: 01-02-03\n", "network.bootif", "answer file line 2", "six bytes"},
		{"port out of range", "services:\n  syslog: {host: a.example.org, port: 99999}\n", "services.syslog.port", "answer file line 2", "expects 1-65535"},
		{"webhook token not shown", "unattended:\n  webhook: htp://u:hunter2@h.example.org/?k=hunter2\n", "unattended.webhook", "answer file line 2", "http:// or https://"},
		{"done_url item not http, token not shown", "unattended:\n  done_url:\n    - http://h.example.org/built\n    - h.example.org/built?token=hunter2\n", "unattended.done_url[1]", "answer file line 4", "http:// or https://"},
		{"local_boot_trigger not http", "unattended:\n  local_boot_trigger: htp://u:hunter2@h.example.org/\n", "unattended.local_boot_trigger", "answer file line 2", "http:// or https://"},
		{"webhook_format unknown", "unattended:\n  webhook: http://h.example.org/\n  webhook_format: xml\n", "unattended.webhook_format", "answer file line 3", "json or ironic"},
		{"webhook_token without ironic", "unattended:\n  webhook: http://h.example.org/\n  webhook_token: hunter2\n", "unattended.webhook_token", "answer file line 3", "only sent with"},
		{"reboot delay", "unattended:\n  reboot_delay: -1\n", "unattended.reboot_delay", "answer file line 2", "0 to 86400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Defaults()
			if ps := LoadAnswerFile(strings.NewReader(tt.yaml), &cfg); len(ps) > 0 {
				t.Fatalf("LoadAnswerFile: %v", ps.Error())
			}
			ps := cfg.Validate()
			for _, p := range ps {
				if strings.Contains(p.String(), "hunter2") {
					t.Errorf("problem shows the password: %s", p)
				}
			}
			for _, p := range ps {
				if p.Field == tt.field && p.Arg == tt.arg && strings.Contains(p.Msg, tt.want) {
					return
				}
			}
			t.Errorf("no problem {%s, %s, ~%q}; got:\n%v", tt.field, tt.arg, tt.want, ps.Error())
		})
	}
}

// TestApplyCmdlineOverAnswerFile: defaults < answer file < kernel args.
func TestApplyCmdlineOverAnswerFile(t *testing.T) {
	cfg := Defaults()
	if ps := LoadAnswerFile(strings.NewReader(answerFull), &cfg); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	ps := ApplyCmdline(&cfg, "hostname=node2.example.org storage_vol=:2048 ip=eth2:dhcp reinstall storage_init=/dev/vda console=ttyS0")
	ps = append(ps, cfg.Validate()...)
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"hostname from the kernel", cfg.Network.Hostname, "node2.example.org"},
		{"hostname origin", cfg.Origins["network.hostname"].Arg, "hostname"},
		{"Swap from the kernel", cfg.Storage.Volumes["Swap"], int64(2048)},
		{"Data 0 kept from the answer file", cfg.Storage.Volumes["Data"], int64(0)},
		{"ip= replaces the list", len(cfg.Network.IPs), 1},
		{"ip= method", cfg.Network.IPs[0].Method, "dhcp"},
		{"dns kept", cfg.Network.DNS[0], addr("192.0.2.2")},
		{"action from the kernel", cfg.Action, ActionReinstall},
		{"disks from the kernel", cfg.Storage.Disks[0].Path, "/dev/vda"},
		{"boot params appended", strings.Join(cfg.BootParams, " "), "intel_iommu=on console=ttyS0"},
		{"password kept", cfg.Host.AdminPW, hash6},
		{"what the kernel replaced is named", strings.Join(cfg.Overridden, "\n"), strings.Join([]string{
			"network.hostname: the kernel argument hostname= wins over the answer file line 19",
			"storage.volumes.Swap: the kernel argument storage_vol= wins over the answer file line 10",
			"storage.init: the kernel argument storage_init= wins over the answer file line 4",
			"storage.disks[0]: the kernel argument storage_init= wins over the answer file line 6",
			"action: the kernel argument reinstall wins over the answer file line 2",
			"network.ips[0]: the kernel argument ip= wins over the answer file line 15",
		}, "\n")},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want, cmpConfig...) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// A plain-text password in the answer file that adminpw= replaces was
// dropped without a word: the plan says the kernel argument wins, and
// the plain text is in no output.
func TestAdminPWOverAnswerFile(t *testing.T) {
	cfg := Defaults()
	LoadAnswerFile(strings.NewReader("host:\n  adminpw: hunter2plain\n"), &cfg)
	ApplyCmdline(&cfg, "adminpw="+hash6+" storage_init=/dev/vda")
	p := MakePlan(cfg, Facts{Firmware: "uefi", MemBytes: 8 << 30, Disks: []storage.Disk{{Path: "/dev/vda", Size: 64 << 30}}})
	text := p.Text()
	if want := "warning: host.adminpw: the kernel argument adminpw= wins over the answer file line 2"; !strings.Contains(text, want) {
		t.Errorf("plan does not say which password wins (%q):\n%s", want, text)
	}
	if strings.Contains(text, "hunter2plain") || strings.Contains(text, hash6) {
		t.Errorf("plan shows a password:\n%s", text)
	}
}

// TestApplyCmdlineOriginsReplaced: a problem in what a kernel argument
// set names that argument, not the answer-file line it replaced.
func TestApplyCmdlineOriginsReplaced(t *testing.T) {
	cfg := Defaults()
	yml := "network:\n  ips:\n    - method: static\n      address: 192.0.2.10/24\n      gateway: 192.0.2.1\nservices:\n  syslog: {host: a.example.org, port: 514}\n"
	if ps := LoadAnswerFile(strings.NewReader(yml), &cfg); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	if ps := ApplyCmdline(&cfg, "ip=192.0.2.20::198.51.100.1:24::eth0:none syslog=bad_host"); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	want := map[string]string{"network.ips[0].gateway": "ip", "services.syslog": "syslog"}
	for _, p := range cfg.Validate() {
		if arg, ok := want[p.Field]; ok {
			if p.Arg != arg {
				t.Errorf("%s: problem names %q, want %q", p.Field, p.Arg, arg)
			}
			delete(want, p.Field)
		}
	}
	for f := range want {
		t.Errorf("no problem for %s", f)
	}
}

func TestLoadAnswerFileEmpty(t *testing.T) {
	cfg := Defaults()
	if ps := LoadAnswerFile(strings.NewReader("# nothing\n"), &cfg); len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	if diff := cmp.Diff(Defaults(), cfg, cmpConfig...); diff != "" {
		t.Errorf("empty answer file changed the Config:\n%s", diff)
	}
}

// FuzzLoadAnswerFile: arbitrary YAML never panics or hangs, and
// Validate of the result never panics either.
func FuzzLoadAnswerFile(f *testing.F) {
	f.Add(answerFull)
	f.Add("network: &n {hostname: a}\nhost: *n\n")
	f.Add("storage: {volumes: {Swap: -1}}\nnetwork: {ips: [{method: static}]}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		cfg := Defaults()
		_ = LoadAnswerFile(strings.NewReader(doc), &cfg)
		_ = cfg.Validate()
	})
}
