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
