package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/installer"
	"node-installer/network"
)

// configNode makes a node root with an installed Config partition and a
// facts file with its NICs.
func configNode(t *testing.T) (root, facts string) {
	t.Helper()
	root = t.TempDir()
	cfg, _ := installer.ParseCmdline("BOOTIF=eth0 ip=dhcp hostname=node1")
	nics := []network.NIC{{Name: "eth0", MAC: "52:54:00:00:00:01", Carrier: true}}
	plan, err := network.MakePlan(cfg.Network, nics)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := installer.PersistConfig(filepath.Join(root, "config"), cfg, network.Render(plan)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"firmware": "uefi", "mem_bytes": 8 << 30, "nics": nics})
	facts = filepath.Join(root, "facts.json")
	if err := os.WriteFile(facts, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, facts
}

func runConfigT(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := configMain(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestConfigSetGetShow(t *testing.T) {
	root, facts := configNode(t)
	code, out, errs := runConfigT(t, "set", "--root", root, "--facts", facts,
		"hostname=node2.example.org", "ip=192.0.2.10::192.0.2.1:24::eth0:none", "dns=192.0.2.53", "ssh_pwauth=0", "syslog=logs:1514")
	if code != configOK {
		t.Fatalf("set: %d %s", code, errs)
	}
	for _, want := range []string{"wrote /etc/hostname", "wrote /etc/ssh/sshd_config.d/50-node-installer.conf", "wrote /etc/rsyslog.d/50-node-installer.conf", "not applied live"} {
		if !strings.Contains(out, want) {
			t.Errorf("set output lacks %q:\n%s", want, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/hostname")); string(b) != "node2.example.org\n" {
		t.Errorf("/etc/hostname = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "config/security/etc/ssh/sshd_config.d/50-node-installer.conf")); !strings.Contains(string(b), "PasswordAuthentication no") {
		t.Errorf("sshd drop-in not persisted: %q", b)
	}
	code, out, _ = runConfigT(t, "get", "--root", root, "ip")
	if code != 0 || out != "192.0.2.10::192.0.2.1:24::eth0:none\n" {
		t.Errorf("get ip = %d %q", code, out)
	}
	code, out, _ = runConfigT(t, "show", "--root", root)
	if code != 0 || !strings.Contains(out, "hostname=node2.example.org") || !strings.Contains(out, "syslog=logs:1514") {
		t.Errorf("show = %d\n%s", code, out)
	}
	// unset
	if code, _, errs := runConfigT(t, "set", "--root", root, "--facts", facts, "syslog="); code != 0 {
		t.Fatalf("unset: %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/rsyslog.d/50-node-installer.conf")); !os.IsNotExist(err) {
		t.Errorf("syslog= left the rsyslog drop-in: %v", err)
	}
}

func TestConfigSetInvalidWritesNothing(t *testing.T) {
	root, facts := configNode(t)
	before := treeSums(t, root)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"hostname=-x-", "syslog=logs"}, "network.hostname"},
		{[]string{"hostnme=x"}, "hostnme: unknown key"},
		{[]string{"adminpw=secret123"}, "adminpw=***"},
		{[]string{"BOOTIF=eth7"}, "network:"},
		{[]string{"iscsi_name=iqn.x", "keyboard=de"}, "services.iscsi_name"},
	} {
		code, _, errs := runConfigT(t, append([]string{"set", "--root", root, "--facts", facts}, tt.args...)...)
		if code != configInvalid || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "nothing was changed") {
			t.Errorf("%v: code %d, stderr %q; want %d naming %q", tt.args, code, errs, configInvalid, tt.want)
		}
		if strings.Contains(errs, "secret123") {
			t.Errorf("%v: the secret is echoed", tt.args)
		}
	}
	if after := treeSums(t, root); after != before {
		t.Errorf("invalid settings changed files")
	}
}

func TestConfigUsage(t *testing.T) {
	root, _ := configNode(t)
	for _, tt := range []struct {
		args []string
		code int
	}{
		{nil, configUsage},
		{[]string{"frobnicate", "--root", root}, configUsage},
		{[]string{"get", "--root", root, "nokey"}, configUsage},
		{[]string{"apply", "--root", root}, configUsage},
		{[]string{"confirm", "--root", root}, configFailed},
		{[]string{"show", "--root", t.TempDir()}, configFailed}, // no Config partition
	} {
		if code, _, _ := runConfigT(t, tt.args...); code != tt.code {
			t.Errorf("%v: code %d, want %d", tt.args, code, tt.code)
		}
	}
}

// treeSums is every file's path and content under dir, as one string.
func treeSums(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + " " + info.Mode().String() + "\n" + string(data))
		}
		return err
	})
	return b.String()
}
