package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/network"
)

// netFacts writes a machine profile with two NICs and returns its path.
func netFacts(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	const profile = `{"name":"two-nics","firmware":"uefi","mem_bytes":8589934592,"disks":[],
	  "nics":[{"name":"lo","carrier":true,"loopback":true,"virtual":true},
	          {"name":"eno1","mac":"52:54:00:12:34:01","carrier":false},
	          {"name":"eno2","mac":"52:54:00:12:34:02","carrier":true}]}`
	if err := os.WriteFile(p, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNetCommand(t *testing.T) {
	facts := netFacts(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"pxelinux BOOTIF with static ip", []string{"--cmdline", "BOOTIF=01-52-54-00-12-34-02 ip=192.0.2.10::192.0.2.1:255.255.255.0:node1:eno2:none dns=192.0.2.53", "--facts", facts},
			0, []string{"management interface: eno2", "chosen by BOOTIF=01-52-54-00-12-34-02: MAC 52:54:00:12:34:02 is eno2", "IPv4: 192.0.2.10/24, gateway 192.0.2.1", "hostname: node1"}, nil, false},
		{"link picks carrier", []string{"--cmdline", "BOOTIF=link ip=dhcp", "--facts", facts},
			0, []string{"management interface: eno2", "first NIC with carrier"}, nil, false},
		{"files", []string{"--cmdline", "BOOTIF=eno1 vlan=30 network_layout=bridged ntp=192.0.2.123", "--facts", facts, "--files"},
			0, []string{"=== /etc/NetworkManager/system-connections/eno1.30.nmconnection (0600) ===", "id=30\nparent=eno1", "server 192.0.2.123 iburst"}, nil, false},
		{"unknown MAC", []string{"--cmdline", "BOOTIF=01-aa-bb-cc-dd-ee-ff", "--facts", facts},
			2, nil, []string{"BOOTIF=01-aa-bb-cc-dd-ee-ff: no NIC with MAC aa:bb:cc:dd:ee:ff; NICs: eno1 (52:54:00:12:34:01), eno2 (52:54:00:12:34:02)"}, true},
		{"every problem at once", []string{"--cmdline", "BOOTIF=eth9 ip=10.0.0.5 netmask=255.255.255.0 gateway=10.1.0.1", "--facts", facts},
			2, nil, []string{"BOOTIF=eth9: no NIC named eth9", "gateway 10.1.0.1 is outside the subnet 10.0.0.0/24"}, true},
		{"syntax problem", []string{"--cmdline", "BOOTIF=eno1 vlan=5000", "--facts", facts}, 2, nil, []string{"vlan=5000"}, true},
		{"bond port is mgmt", []string{"--cmdline", "BOOTIF=eno1 bond=bond0:eno1,eno2", "--facts", facts}, 0, []string{"is a port of bond0: the bond"}, nil, false},
		{"apply with facts", []string{"--apply", "--facts", facts, "--cmdline", "BOOTIF=eno1"}, 2, nil, []string{"cannot use --facts"}, true},
		{"stray argument", []string{"eno1"}, 2, nil, []string{"usage: node-installer net"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := netMain(tc.args, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if tc.noStdout && out.Len() > 0 {
				t.Errorf("printed a plan despite problems:\n%s", out.String())
			}
		})
	}
}

func TestNetCommandJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := netMain([]string{"--cmdline", "bond=bond0:eno1,eno2:mode=802.3ad ip=bond0:dhcp", "--facts", netFacts(t), "--json", "--files"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Plan  network.Plan   `json:"plan"`
		Files []network.File `json:"files"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if got.Plan.Mgmt != "bond0" || len(got.Plan.Links) != 3 || got.Plan.Links[2].BondOptions[0] != (network.BondOption{Key: "mode", Value: "802.3ad"}) {
		t.Errorf("plan %+v", got.Plan)
	}
	if len(got.Files) != 4 || got.Files[0].Mode != 0o600 {
		t.Errorf("files %+v", got.Files)
	}
}
