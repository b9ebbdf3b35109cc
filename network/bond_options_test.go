package network

import (
	"strings"
	"testing"
)

func TestParseBondOptions(t *testing.T) {
	slaves := []string{"eno1", "eno2"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "mode=active-backup miimon=100", ""},
		{"mode=active-backup,primary=eno1", "mode=active-backup primary=eno1", ""},
		{"mode=1,miimon=100,primary=eno2,primary_reselect=2", "mode=active-backup miimon=100 primary=eno2 primary_reselect=failure", ""},
		{"mode=active-backup,arp_interval=1000,arp_ip_target=192.0.2.1,arp_ip_target=192.0.2.2,arp_validate=all",
			"mode=active-backup arp_interval=1000 arp_ip_target=192.0.2.1,192.0.2.2 arp_validate=all", ""},
		{"mode=active-backup,fail_over_mac=1,num_grat_arp=5,all_slaves_active=1", "mode=active-backup fail_over_mac=active num_grat_arp=5 all_slaves_active=1", ""},
		{"mode=802.3ad,lacp_rate=fast,ad_select=bandwidth,xmit_hash_policy=layer3+4,min_links=1",
			"mode=802.3ad lacp_rate=fast ad_select=bandwidth xmit_hash_policy=layer3+4 min_links=1", ""},
		{"mode=4;miimon=100 ad_actor_system=52-54-00-12-34-56", "mode=802.3ad miimon=100 ad_actor_system=52:54:00:12:34:56", ""},
		{"mode=balance-alb,tlb_dynamic_lb=0,packets_per_slave=1,resend_igmp=1,lp_interval=1,use_carrier=1",
			"mode=balance-alb tlb_dynamic_lb=0 packets_per_slave=1 resend_igmp=1 lp_interval=1 use_carrier=1", ""},
		{"mode=active-backup,primary=eno3", "", "not a slave of the bond"},
		{"mode=802.3ad,primary=eno1", "", "only in modes active-backup, balance-tlb, balance-alb"},
		{"primary=eno1", "", "not balance-rr"},
		{"mode=7", "", "mode=7: expected"},
		{"arp_ip_target=2001:db8::1", "", "unicast IPv4"},
		{"num_grat_arp=256", "", "expected a number 0-255"},
		{"lp_interval=0", "", "expected a number 1-"},
		{"miimon=-1", "", "expected a number 0-"},
		{"miimon=100,miimon=200", "", "given twice"},
		{"speed=fast", "", "unknown key speed"},
		{"miimon", "", "expected key=value"},
		{"arp_ip_target=10.0.0.1" + strings.Repeat(",arp_ip_target=10.0.0.1", 16), "", "at most 16"},
	} {
		opts, err := ParseBondOptions(tc.in, slaves)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBondOptions(%q) = %v, %v; want an error containing %q", tc.in, opts, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseBondOptions(%q): %v", tc.in, err)
			continue
		}
		if got := bondOptionsText(opts, " "); got != tc.want {
			t.Errorf("ParseBondOptions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
