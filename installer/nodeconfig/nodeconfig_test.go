package nodeconfig

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"node-installer/installer"
	"node-installer/internal/passwd"
	"node-installer/internal/testutil"
	"node-installer/network"
)

var testNICs = []network.NIC{
	{Name: "eth0", MAC: "52:54:00:12:34:56", Carrier: true},
	{Name: "eth1", MAC: "52:54:00:12:34:57"},
}

const edKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@laptop"

// installedNode makes a root as the installer leaves it: /etc/shadow
// with root and admin, the Config partition at root/config written by
// installer.PersistConfig from kernel arguments.
func installedNode(t *testing.T) (Options, string) {
	t.Helper()
	root := t.TempDir()
	oldHash, err := passwd.Hash("Old-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	writeT(t, filepath.Join(root, "etc/shadow"), "root:!:20000:0:99999:7:::\nadmin:"+oldHash+":20000:0:99999:7:::\nchrony:!*:20000::::::\n", 0o640)
	writeT(t, filepath.Join(root, "etc/ssh/sshd_config"), "Include /etc/ssh/sshd_config.d/*.conf\n", 0o644)
	cfg, ps := installer.ParseCmdline("BOOTIF=eth0 ip=dhcp hostname=node1.example.org syslog=logs.example.org ssh_pwauth=1")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	cfg.Host.AdminPW = oldHash
	plan, err := network.MakePlan(cfg.Network, testNICs)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Root: root, NICs: testNICs, ShadowDay: 20400}
	if err := os.MkdirAll(o.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := installer.PersistConfig(o.Dir(), cfg, network.Render(plan)); err != nil {
		t.Fatal(err)
	}
	return o, root
}

func writeT(t *testing.T, p, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

// sums returns path -> mode and SHA-256 of every file under dir.
func sums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%v %x", info.Mode().Perm(), sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSums(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}

var hashRe = regexp.MustCompile(`\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}`)

// dump renders every file under root as text, crypt hashes (random
// salts) replaced by <hash>.
func dump(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	var paths []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	sort.Strings(paths)
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		st, _ := os.Stat(p)
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "=== %s %v\n%s", filepath.ToSlash(rel), st.Mode().Perm(), hashRe.ReplaceAllString(string(data), "<hash>"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

func ptr[T any](v T) *T { return &v }

func parseCfg(t *testing.T, line string) network.Config {
	t.Helper()
	c, ps := installer.ParseCmdline(line)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c.Network
}

// TestPageWriters runs each page's writer on an installed node and
// compares the whole root (files and Config partition) with a golden file.
func TestPageWriters(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, o Options) (Result, error)
	}{
		{"network-static", func(t *testing.T, o Options) (Result, error) {
			return Network(o, parseCfg(t, "BOOTIF=eth1 ip=192.0.2.10::192.0.2.1:24:node2.example.org:eth1:none ip=[2001:db8::10]::[2001:db8::1]:64::eth1:none dns=192.0.2.53,2001:db8::53 ntp=ntp1.example.org"))
		}},
		{"network-bond-vlan", func(t *testing.T, o Options) (Result, error) {
			return Network(o, parseCfg(t, "bond=bond0:eth0,eth1:mode=802.3ad,miimon=100 vlan=20:bond0 BOOTIF=bond0 ip=dhcp hostname=node1"))
		}},
		{"security", func(t *testing.T, o Options) (Result, error) {
			return SecurityPage(o, Security{CurrentPassword: "Old-pass-1", NewPassword: "New-pass-22", Confirm: "New-pass-22", SSHPwAuth: ptr(false), SSHKeys: []string{edKey}})
		}},
		{"keyboard", func(t *testing.T, o Options) (Result, error) { return Keyboard(o, "de-latin1") }},
		{"logging", func(t *testing.T, o Options) (Result, error) {
			return LoggingPage(o, Logging{Syslog: &installer.HostPort{Host: "2001:db8::514", Port: 1514}, Netconsole: &installer.HostPort{Host: "192.0.2.9"}, RotateMaxSize: "10M", RotateEvery: "daily"})
		}},
		{"kdump-nfs", func(t *testing.T, o Options) (Result, error) {
			return KdumpPage(o, Kdump{Target: "nfs", NFS: "dumps.example.org:/export/crash"})
		}},
		{"kdump-off", func(t *testing.T, o Options) (Result, error) { return KdumpPage(o, Kdump{Target: "off"}) }},
		{"storage", func(t *testing.T, o Options) (Result, error) {
			return RemoteStorage(o, "iqn.2026-12.org.example:node1", "example.org")
		}},
		{"monitoring", func(t *testing.T, o Options) (Result, error) {
			return Monitoring(o, &installer.HostPort{Host: "metrics.example.org"})
		}},
		{"management", func(t *testing.T, o Options) (Result, error) {
			return Management(o, &installer.HostPort{Host: "engine.example.org", Port: 8443}, "SHA256:"+strings.Repeat("A", 43))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, root := installedNode(t)
			res, err := tt.write(t, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Written) == 0 {
				t.Fatal("nothing written")
			}
			golden(t, "page-"+tt.name, fmt.Sprintf("written: %v\nremoved: %v\n", res.Written, res.Removed)+dump(t, root))
		})
	}
}

// TestSecurityHashes: the new password is stored as a hash that checks,
// in /etc/shadow and on the Config partition; no plain text anywhere.
func TestSecurityHashes(t *testing.T) {
	o, root := installedNode(t)
	if _, err := SecurityPage(o, Security{CurrentPassword: "Old-pass-1", NewPassword: "New-pass-22", Confirm: "New-pass-22"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := passwd.Check("New-pass-22", cfg.Host.AdminPW); !ok {
		t.Errorf("shadow.d/admin does not check against the new password")
	}
	shadow, _ := os.ReadFile(filepath.Join(root, "etc/shadow"))
	if !strings.Contains(string(shadow), "admin:"+cfg.Host.AdminPW+":20400:") {
		t.Errorf("/etc/shadow has no admin line with the new hash:\n%s", shadow)
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), "New-pass-22") {
				t.Errorf("%s holds the plain password", p)
			}
		}
		return err
	})
	js, _ := os.ReadFile(filepath.Join(o.Dir(), installer.ConfigJSONFile))
	if strings.Contains(string(js), cfg.Host.AdminPW) {
		t.Errorf("config.json holds the hash")
	}
}

// TestBadInputChangesNothing: every writer refuses bad input with a
// problem naming the field, and not one file changes (checksums of the
// root and the Config partition before and after).
func TestBadInputChangesNothing(t *testing.T) {
	tests := []struct {
		name, field string
		write       func(o Options) (Result, error)
	}{
		{"hostname", "network.hostname", func(o Options) (Result, error) {
			n := network.Config{BootIf: "eth0", Hostname: "-bad-", IPs: []network.IP{{Method: "dhcp"}}}
			return Network(o, n)
		}},
		{"missing NIC", "network", func(o Options) (Result, error) {
			return Network(o, network.Config{BootIf: "eth9", IPs: []network.IP{{Method: "dhcp"}}})
		}},
		{"wrong current password", "host.adminpw", func(o Options) (Result, error) {
			return SecurityPage(o, Security{CurrentPassword: "nope", NewPassword: "New-pass-22", Confirm: "New-pass-22"})
		}},
		{"weak password", "host.adminpw", func(o Options) (Result, error) {
			return SecurityPage(o, Security{CurrentPassword: "Old-pass-1", NewPassword: "short", Confirm: "short"})
		}},
		{"passwords differ", "host.adminpw", func(o Options) (Result, error) {
			return SecurityPage(o, Security{CurrentPassword: "Old-pass-1", NewPassword: "New-pass-22", Confirm: "New-pass-23"})
		}},
		{"bad ssh key", "host.ssh_authorized_keys[1]", func(o Options) (Result, error) {
			return SecurityPage(o, Security{SSHKeys: []string{edKey, "ssh-ed25519 AAAAB3NzaC1yc2E= x"}})
		}},
		{"keymap", "host.keyboard", func(o Options) (Result, error) { return Keyboard(o, "de latin1") }},
		{"syslog port", "services.syslog.port", func(o Options) (Result, error) {
			return LoggingPage(o, Logging{Syslog: &installer.HostPort{Host: "logs", Port: 70000}})
		}},
		{"logrotate", "services.logrotate_interval", func(o Options) (Result, error) {
			return LoggingPage(o, Logging{RotateEvery: "hourly"})
		}},
		{"kdump nfs", "services.kdump_nfs", func(o Options) (Result, error) {
			return KdumpPage(o, Kdump{Target: "nfs", NFS: "host:relative"})
		}},
		{"kdump target", "services.kdump", func(o Options) (Result, error) { return KdumpPage(o, Kdump{Target: "usb"}) }},
		{"iscsi", "services.iscsi_name", func(o Options) (Result, error) { return RemoteStorage(o, "iqn.bad", "") }},
		{"collectd", "services.collectd", func(o Options) (Result, error) {
			return Monitoring(o, &installer.HostPort{Host: "bad host"})
		}},
		{"fingerprint", "services.management_server_fingerprint", func(o Options) (Result, error) {
			return Management(o, &installer.HostPort{Host: "engine"}, "zz")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, root := installedNode(t)
			before := sums(t, root)
			_, err := tt.write(o)
			var ps installer.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("err = %v, want problems naming %s", err, tt.field)
			}
			if ps[0].Field != tt.field {
				t.Errorf("problem %q names field %q, want %q", ps[0], ps[0].Field, tt.field)
			}
			if d := diffSums(before, sums(t, root)); len(d) > 0 {
				t.Errorf("bad input changed %v", d)
			}
		})
	}
}

// TestUndo: a change undone leaves every file as it was, removed files
// back and new files gone.
func TestUndo(t *testing.T) {
	o, root := installedNode(t)
	before := sums(t, root)
	res, err := Network(o, parseCfg(t, "BOOTIF=eth1 ip=192.0.2.10::192.0.2.1:24::eth1:none hostname=other"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) == 0 || len(diffSums(before, sums(t, root))) == 0 {
		t.Fatalf("the change changed nothing (removed %v)", res.Removed)
	}
	if err := res.Undo(); err != nil {
		t.Fatal(err)
	}
	if d := diffSums(before, sums(t, root)); len(d) > 0 {
		t.Errorf("after Undo these differ: %v", d)
	}
}

func TestNoConfigPartition(t *testing.T) {
	o := Options{Root: t.TempDir()}
	if _, err := Keyboard(o, "us"); !errors.Is(err, ErrNoConfigPartition) {
		t.Errorf("err = %v, want ErrNoConfigPartition", err)
	}
}

// TestKeysRoundTrip: every key set, shown and set again from what get
// printed gives the same Config (the kernel arguments' grammar both ways).
func TestKeysRoundTrip(t *testing.T) {
	hash, _ := passwd.Hash("Some-pass-1")
	set := []string{
		"hostname=node7.example.org", "BOOTIF=01-52-54-00-12-34-56", "ip=192.0.2.7::192.0.2.1:255.255.255.0::eth0:none",
		"ip=[2001:db8::7]::[2001:db8::1]:64::eth0:none", "ipv6=auto", "dns=192.0.2.53,2001:db8::53", "ntp=a.example.org,b.example.org",
		"vlan=20:eth0", "network_layout=bridged", "adminpw=" + hash, "ssh_pwauth=0", "ssh_key=" + edKey, "keyboard=de",
		"syslog=[2001:db8::514]:1514", "netconsole=192.0.2.9:6666", "logrotate_max_size=10M", "logrotate_interval=weekly",
		"kdump_ssh=dump@192.0.2.20", "iscsi_name=iqn.2026-12.org.example:n7", "nfsv4_domain=example.org",
		"collectd=metrics.example.org:25826", "management_server=engine.example.org:8443",
		"management_server_fingerprint=SHA256:" + strings.Repeat("b", 43),
	}
	var as []Assignment
	for _, s := range set {
		a, err := ParseAssignment(s)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	cfg := installer.Config{Action: installer.ActionInteractive}
	pages, err := SetKeys(&cfg, as)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(Pages) {
		t.Errorf("pages %v, want all", pages)
	}
	if ps := Problems(cfg, Pages...); len(ps) > 0 {
		t.Fatal(ps)
	}
	shown := Show(cfg)
	if strings.Contains(shown, hash) {
		t.Errorf("show prints the hash")
	}
	var again []Assignment
	for _, k := range Keys {
		for _, v := range k.Get(cfg) {
			again = append(again, Assignment{k.Name, v})
		}
	}
	cfg2 := installer.Config{Action: installer.ActionInteractive}
	if _, err := SetKeys(&cfg2, again); err != nil {
		t.Fatal(err)
	}
	if got := Show(cfg2); got != shown {
		t.Errorf("round trip differs:\n%s\nwant\n%s", got, shown)
	}
	golden(t, "show", shown)
}

func TestSetKeysProblems(t *testing.T) {
	for _, tt := range []struct{ arg, field string }{
		{"hostnme=x", "hostnme"},
		{"dns=300.1.1.1", "network.dns"},
		{"adminpw=plaintext", "host.adminpw"},
		{"vlan=5000", "network.vlan"},
	} {
		a, _ := ParseAssignment(tt.arg)
		cfg := installer.Config{Action: installer.ActionInteractive, Network: network.Config{Hostname: "keep"}}
		_, err := SetKeys(&cfg, []Assignment{a})
		var ps installer.Problems
		if !errors.As(err, &ps) || ps[0].Field != tt.field {
			t.Errorf("%s: err %v, want a problem naming %s", tt.arg, err, tt.field)
		}
		if strings.Contains(err.Error(), "plaintext") {
			t.Errorf("%s: the problem echoes the secret: %v", tt.arg, err)
		}
		if cfg.Network.Hostname != "keep" {
			t.Errorf("%s: cfg changed", tt.arg)
		}
	}
}
