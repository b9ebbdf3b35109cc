package network

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCheckHostname(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"node1", ""},
		{"node1.example.org", ""},
		{"n-1.a1", ""},
		{"localhost", "loopback"},
		{"LocalHost.localdomain", "loopback"},
		{"1234", "all digits"},
		{"node.42", "all digits"},
		{"-node", "starts or ends"},
		{"node_1", "only letters"},
		{"", "empty"},
		{strings.Repeat("a", 64), "1-63"},
	} {
		err := CheckHostname(tt.in)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("CheckHostname(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func TestCheckAddressAndGateway(t *testing.T) {
	for _, tt := range []struct{ addr, gw, err string }{
		{"192.0.2.10/24", "192.0.2.1", ""},
		{"192.0.2.0/24", "", "network address"},
		{"192.0.2.255/24", "", "broadcast address"},
		{"10.1.2.2/30", "10.1.2.1", ""},
		{"10.1.2.3/30", "", "broadcast address"},
		{"10.1.2.1/31", "10.1.2.0", ""}, // RFC 3021: no network or broadcast
		{"127.0.0.5/8", "", "not a host address"},
		{"0.0.0.0/0", "", "not a host address"},
		{"192.0.2.10/24", "192.0.2.10", "own address"},
		{"192.0.2.10/24", "198.51.100.1", "outside the subnet"},
		{"192.0.2.10/24", "2001:db8::1", "different IP families"},
		{"2001:db8::10/64", "2001:db8::1", ""},
		{"2001:db8::10/64", "fe80::1", ""},
		{"2001:db8::10/64", "2001:db9::1", "outside the subnet"},
		{"2001:db8::10/64", "2001:db8::10", "own address"},
		{"ff02::1/64", "", "not a host address"},
	} {
		p := netip.MustParsePrefix(tt.addr)
		err := CheckAddress(p)
		if err == nil && tt.gw != "" {
			err = CheckGateway(p, netip.MustParseAddr(tt.gw))
		}
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s gw %q: %v, want %q", tt.addr, tt.gw, err, tt.err)
		}
	}
}

// DNS search domains reach the management keyfile and the plan's text.
func TestSearchDomains(t *testing.T) {
	cfg := Config{BootIf: "eno1", IPs: []IP{{Method: "static", Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1")}},
		DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, Search: []string{"example.org", "lab.example.org"}}
	p, err := MakePlan(cfg, []NIC{{Name: "eno1", MAC: "52:54:00:00:00:01", Carrier: true}})
	if err != nil {
		t.Fatal(err)
	}
	var keyfile string
	for _, f := range Render(p) {
		if strings.HasSuffix(f.Path, ".nmconnection") {
			keyfile += string(f.Data)
		}
	}
	if !strings.Contains(keyfile, "dns-search=example.org;lab.example.org;\n") || strings.Count(keyfile, "dns-search=") != 1 {
		t.Errorf("keyfile:\n%s", keyfile)
	}
	if !strings.Contains(p.Text(), "DNS search: example.org lab.example.org") {
		t.Errorf("plan text:\n%s", p.Text())
	}
	if err := CheckDomain("example.42"); err == nil {
		t.Error("an all-digit last label taken as a domain")
	}
}
