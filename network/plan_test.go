package network

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/internal/testutil"
)

// testNICs is a server with two onboard ports, one add-in port, a
// virtual bridge left by someone and the loopback.
var testNICs = []NIC{
	{Name: "lo", Loopback: true, Virtual: true, Carrier: true, MTU: 65536},
	{Name: "eno1", MAC: "52:54:00:12:34:01", Driver: "igb", Carrier: false, MTU: 1500},
	{Name: "eno2", MAC: "52:54:00:12:34:02", Driver: "igb", Carrier: true, MTU: 1500},
	{Name: "enp5s0f0", MAC: "52:54:00:12:34:05", Driver: "ixgbe", Carrier: true, MTU: 1500},
	{Name: "virbr0", MAC: "52:54:00:aa:bb:cc", Driver: "bridge", Virtual: true, MTU: 1500},
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func noCarrier(nics []NIC) []NIC {
	out := append([]NIC(nil), nics...)
	for i := range out {
		if !out[i].Loopback {
			out[i].Carrier = false
		}
	}
	return out
}

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got)
}

// planAndFiles is what a golden holds: the plan's text and every file.
func planAndFiles(p Plan) string {
	var w strings.Builder
	w.WriteString(p.Text())
	for _, f := range Render(p) {
		fmt.Fprintf(&w, "\n=== %s (%04o) ===\n%s", f.Path, f.Mode, f.Data)
	}
	return w.String()
}

func TestMakePlanGolden(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		nics []NIC
	}{
		{"nothing", Config{}, nil},
		{"bootif-ifname", Config{BootIf: "eno1"}, nil},
		{"bootif-pxelinux", Config{BootIf: "01-52-54-00-12-34-05"}, nil},
		{"bootif-pxelinux-parsed", Config{BootIf: "01-52-54-00-12-34-05", BootIfMAC: "52:54:00:12:34:05"}, nil},
		{"bootif-dashes", Config{BootIf: "52-54-00-12-34-02"}, nil},
		{"bootif-colons-upper", Config{BootIf: "52:54:00:12:34:01"}, nil},
		{"bootif-link-carrier", Config{BootIf: "link"}, nil},
		{"bootif-link-pending", Config{BootIf: "link", IPs: []IP{{Method: "dhcp"}}}, noCarrier(testNICs)},
		{"bootif-bond", Config{BootIf: "bond0", Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}}, nil},
		{"no-bootif-ip-iface", Config{IPs: []IP{{Method: "dhcp", Iface: "enp5s0f0"}}}, nil},
		{"no-bootif-single-nic", Config{IPs: []IP{{Method: "dhcp"}}}, testNICs[:2]},
		{"ip-dhcp", Config{BootIf: "eno2", IPs: []IP{{Method: "dhcp"}}}, nil},
		{"ip-on", Config{BootIf: "eno2", IPs: []IP{{Method: "on"}}}, nil},
		{"ip-any", Config{BootIf: "eno2", IPs: []IP{{Method: "any"}}}, nil},
		{"ip-off", Config{BootIf: "eno2", IPs: []IP{{Method: "off"}}}, nil},
		{"ip-none", Config{BootIf: "eno2", IPs: []IP{{Method: "none"}}}, nil},
		{"ip-dhcp6", Config{BootIf: "eno2", IPs: []IP{{Method: "dhcp6"}}}, nil},
		{"ip-auto6", Config{BootIf: "eno2", IPs: []IP{{Method: "auto6"}}}, nil},
		{"ip-anaconda-static", Config{BootIf: "eno2", IPs: []IP{{Method: "static", Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1")}}, DNS: []netip.Addr{addr("192.0.2.53"), addr("2001:db8::53")}}, nil},
		{"ip-dracut-full", Config{IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Hostname: "node1.example.com", Iface: "eno1", Method: "none", MTU: 9000, MAC: "02:00:00:00:00:10", DNS: []netip.Addr{addr("192.0.2.53"), addr("192.0.2.54")}}}}, nil},
		{"ip-dracut-peer", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("192.0.2.10/32"), Peer: addr("192.0.2.1"), Method: "off"}}}, nil},
		{"ip-v6-static", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("2001:db8:1::10/64"), Gateway: addr("2001:db8:1::1"), Method: "none"}}}, nil},
		{"ip-v6-linklocal-gw", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("2001:db8:1::10/64"), Gateway: addr("fe80::1"), Method: "none"}}}, nil},
		{"ip-dual-stack", Config{BootIf: "eno1", IPs: []IP{
			{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none"},
			{Address: pfx("2001:db8:1::10/64"), Gateway: addr("2001:db8:1::1"), Method: "none"}}}, nil},
		{"ip-second-nic", Config{BootIf: "eno2", IPs: []IP{{Method: "dhcp"}, {Address: pfx("10.10.0.5/16"), Iface: "enp5s0f0", Method: "none"}}}, nil},
		{"ipv6-dhcp", Config{BootIf: "eno2", IPv6: "dhcp"}, nil},
		{"ipv6-auto", Config{BootIf: "eno2", IPv6: "auto", IPs: []IP{{Method: "dhcp"}}}, nil},
		{"ipv6-none", Config{BootIf: "eno2", IPv6: "none"}, nil},
		{"vlan", Config{BootIf: "eno1", VLAN: 100}, nil},
		{"vlan-parent", Config{VLAN: 4094, VLANParent: "enp5s0f0", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "none"}}}, nil},
		{"vlan-long-name", Config{BootIf: "enp5s0f0", VLAN: 1234, IPs: []IP{{Method: "dhcp", MTU: 9000}}}, []NIC{{Name: "enp129s0f1np1", MAC: "52:54:00:00:00:99"}, {Name: "enp5s0f0", MAC: "52:54:00:12:34:05"}}},
		{"bond-default", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}}, nil},
		{"bond-mtu", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}, MTU: 9000}}, nil},
		{"bond-options", Config{BootIf: "bond1", Bond: &Bond{Name: "bond1", Slaves: []string{"eno1", "eno2"}, Options: "mode=4,miimon=100,xmit_hash_policy=layer3+4,lacp_rate=fast"}}, nil},
		{"bond-not-mgmt", Config{BootIf: "enp5s0f0", Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}, IPs: []IP{{Method: "dhcp"}, {Iface: "bond0", Address: pfx("10.1.0.5/24"), Method: "none"}}}, nil},
		{"bridged", Config{BootIf: "eno2", Layout: "bridged"}, nil},
		{"bridged-vlan-bond", Config{BootIf: "bond0", Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}, VLAN: 20, Layout: "bridged",
			IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"), Method: "none", MTU: 9000}}, Hostname: "node7.example.com"}, nil},
		{"ntp-servers", Config{BootIf: "eno2", NTP: []string{"0.pool.ntp.org", "192.0.2.123"}, Hostname: "node1"}, nil},
		{"ntp-off", Config{BootIf: "eno2", NTPOff: true}, nil},
		{"hostname-only", Config{Hostname: "lonely.example.com", DNS: []netip.Addr{addr("192.0.2.53")}}, nil},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case %s", tc.name)
			}
			seen[tc.name] = true
			nics := tc.nics
			if nics == nil {
				nics = testNICs
			}
			p, err := MakePlan(tc.cfg, nics)
			if err != nil {
				t.Fatalf("MakePlan: %v", err)
			}
			golden(t, "plan/"+tc.name+".golden", planAndFiles(p))
		})
	}
}

func TestMakePlanErrors(t *testing.T) {
	bond := &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error, in any order
	}{
		{"unknown ifname", Config{BootIf: "eth9"}, []string{"BOOTIF=eth9: no NIC named eth9; NICs: eno1 (52:54:00:12:34:01), eno2"}},
		{"unknown mac pxelinux", Config{BootIf: "01-aa-bb-cc-dd-ee-ff"}, []string{"BOOTIF=01-aa-bb-cc-dd-ee-ff: no NIC with MAC aa:bb:cc:dd:ee:ff; NICs: eno1"}},
		{"unknown mac plain", Config{BootIf: "aa:bb:cc:dd:ee:ff"}, []string{"BOOTIF=aa:bb:cc:dd:ee:ff: no NIC with MAC aa:bb:cc:dd:ee:ff"}},
		{"loopback", Config{BootIf: "lo"}, []string{"BOOTIF=lo: no NIC named lo"}},
		{"undefined bond", Config{BootIf: "bond3"}, []string{"BOOTIF=bond3: no bond= defines bond3"}},
		{"unknown slave", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eth7"}}}, []string{"bond=bond0:eno1,eth7: no NIC named eth7"}},
		{"duplicate slave", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno1"}}}, []string{"slave eno1 named twice"}},
		{"bad bond mode", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1"}, Options: "mode=fastest"}}, []string{"bond=bond0:eno1:mode=fastest: mode=fastest: expected"}},
		{"bad bond key", Config{Bond: &Bond{Name: "bond0", Slaves: []string{"eno1"}, Options: "speed=9"}}, []string{"unknown key speed"}},
		{"bond named like nic", Config{Bond: &Bond{Name: "eno1", Slaves: []string{"eno2"}}}, []string{"eno1 is already a NIC"}},
		{"gateway outside", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("198.51.100.1"), Method: "none"}}},
			[]string{"ip=192.0.2.10::198.51.100.1:255.255.255.0:::none: gateway 198.51.100.1 is outside the subnet 192.0.2.0/24"}},
		{"gateway outside v6", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("2001:db8:1::10/64"), Gateway: addr("2001:db8:2::1")}}}, []string{"gateway 2001:db8:2::1 is outside the subnet 2001:db8:1::/64"}},
		{"gateway family", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("2001:db8::1")}}}, []string{"different IP versions"}},
		{"gateway without address", Config{BootIf: "eno1", IPs: []IP{{Gateway: addr("192.0.2.1"), Method: "none"}}}, []string{"a gateway without a static address"}},
		{"two gateways", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1")}, {Address: pfx("192.0.2.11/24"), Gateway: addr("192.0.2.2")}}}, []string{"a second gateway 192.0.2.2"}},
		{"vlan zero", Config{BootIf: "eno1", VLAN: -1}, []string{"vlan=-1: VLAN id outside 1-4094"}},
		{"vlan too big", Config{BootIf: "eno1", VLAN: 4095}, []string{"vlan=4095: VLAN id outside 1-4094"}},
		{"vlan unknown parent", Config{VLAN: 5, VLANParent: "eth3"}, []string{"vlan=5:eth3: no NIC named eth3"}},
		{"vlan parent differs", Config{BootIf: "eno1", VLAN: 5, VLANParent: "eno2"}, []string{"vlan=5:eno2: the parent differs from the management interface eno1"}},
		{"unknown method", Config{BootIf: "eno1", IPs: []IP{{Method: "bootp"}}}, []string{`ip=bootp: unknown method "bootp"`}},
		{"static with dhcp", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("192.0.2.10/24"), Method: "dhcp"}}}, []string{"method dhcp conflicts with the static address"}},
		{"not a host address", Config{BootIf: "eno1", IPs: []IP{{Address: pfx("0.0.0.0/0"), Method: "none"}}}, []string{"0.0.0.0 is not a host address"}},
		{"ip unknown iface", Config{IPs: []IP{{Method: "dhcp", Iface: "eth4"}}}, []string{"ip=:::::eth4:dhcp: no NIC named eth4"}},
		{"ip on slave", Config{Bond: bond, IPs: []IP{{Method: "dhcp", Iface: "eno1"}}}, []string{"eno1 is a slave of bond=bond0"}},
		{"mtu", Config{BootIf: "eno1", IPs: []IP{{Method: "dhcp", MTU: 20}}}, []string{"MTU 20 outside 68-65535"}},
		{"mtu v6", Config{BootIf: "eno1", IPv6: "auto", IPs: []IP{{Method: "dhcp", MTU: 1000}}}, []string{"MTU 1000: IPv6 needs at least 1280"}},
		{"bad mac", Config{BootIf: "eno1", IPs: []IP{{Method: "dhcp", MAC: "zz:00"}}}, []string{`MAC "zz:00": expected`}},
		{"ipv6 bad", Config{BootIf: "eno1", IPv6: "maybe"}, []string{"ipv6=maybe: expected dhcp, auto or none"}},
		{"ipv6 none conflicts", Config{BootIf: "eno1", IPv6: "none", IPs: []IP{{Method: "auto6"}}}, []string{"ipv6=none: conflicts"}},
		{"layout", Config{BootIf: "eno1", Layout: "meshed"}, []string{"network_layout=meshed: expected direct or bridged"}},
		{"hostname", Config{BootIf: "eno1", Hostname: "bad_name"}, []string{"hostname=bad_name: label \"bad_name\""}},
		{"hostname conflict", Config{BootIf: "eno1", IPs: []IP{{Method: "dhcp", Hostname: "a"}, {Method: "auto6", Hostname: "b"}}}, []string{"hostname b conflicts with a"}},
		{"ntp off and servers", Config{BootIf: "eno1", NTPOff: true, NTP: []string{"x"}}, []string{"ntp=off: cannot also name servers"}},
		{"ntp bad", Config{BootIf: "eno1", NTP: []string{"a b"}}, []string{`ntp=a b: expected a host name or address, got "a b"`}},
		{"all at once", Config{BootIf: "eth9", VLAN: 5000, Hostname: "-x"}, []string{"BOOTIF=eth9", "vlan=5000", "hostname=-x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(tc.cfg, testNICs)
			if err == nil {
				t.Fatalf("MakePlan succeeded, want errors %q; plan:\n%s", tc.want, p.Text())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := map[string]string{
		"01-52-54-00-12-34-56": "52:54:00:12:34:56",
		"52-54-00-12-34-56":    "52:54:00:12:34:56",
		"52:54:00:12:34:56":    "52:54:00:12:34:56",
		"52:54:00:AB:CD:EF":    "52:54:00:ab:cd:ef",
		// dracut's fix_bootif strips any hardware type byte; Foreman writes 00-.
		"02-52-54-00-12-34-56": "52:54:00:12:34:56",
		"00-52-54-00-12-34-56": "52:54:00:12:34:56",
		"01:52:54:00:12:34:56": "",
		"-52-54-00-12-34-56":   "",
		"52--54-00-12-34-56":   "",
		"52:54:00:12:34":       "",
		"eth0":                 "",
		"link":                 "",
		"52:54:00:12:34:5g":    "",
		"52:54-00:12:34:56:":   "",
	}
	for in, want := range tests {
		if got := NormalizeMAC(in); got != want {
			t.Errorf("NormalizeMAC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolvePending(t *testing.T) {
	cfg := Config{BootIf: "link", VLAN: 7, Layout: "bridged", IPs: []IP{{Method: "dhcp"}}}
	p, err := MakePlan(cfg, noCarrier(testNICs))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Pending() || strings.Join(p.Candidates, ",") != "eno1,eno2,enp5s0f0" {
		t.Fatalf("want a pending plan over the physical NICs, got %+v", p)
	}
	if files := Render(p); len(files) != 1 || files[0].Path != "etc/hosts" {
		t.Errorf("a pending plan renders keyfiles: %v", files)
	}
	r, err := p.Resolve("enp5s0f0")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"enp5s0f0", "enp5s0f0.7", BridgeName}
	var got []string
	for _, l := range r.Links {
		got = append(got, l.Name)
	}
	if d := cmp.Diff(want, got); d != "" || r.Mgmt != BridgeName || !r.IPs[0].DHCP4 {
		t.Errorf("resolved plan: links %v mgmt %s ips %+v", got, r.Mgmt, r.IPs)
	}
	if _, err := p.Resolve("virbr0"); err == nil {
		t.Error("Resolve accepted a NIC that is not a candidate")
	}
}

// pxelinux appends the PXE NIC's MAC whatever the bond it joins: BOOTIF
// naming a port (by MAC or name) makes the bond the management interface.
func TestBootIfBondPort(t *testing.T) {
	nics := []NIC{{Name: "eno1", MAC: "52:54:00:12:34:01"}, {Name: "eno2", MAC: "52:54:00:12:34:02"}}
	for _, bootif := range []string{"eno1", "01-52-54-00-12-34-02", "00-52-54-00-12-34-02"} {
		p, err := MakePlan(Config{BootIf: bootif, Bond: &Bond{Name: "bond0", Slaves: []string{"eno1", "eno2"}}, IPs: []IP{{Iface: "bond0", Method: "dhcp"}}}, nics)
		if err != nil || p.Device != "bond0" || !strings.Contains(p.Reason, "port of bond0") {
			t.Errorf("BOOTIF=%s: device %q (%s), %v; want bond0", bootif, p.Device, p.Reason, err)
		}
	}
}
