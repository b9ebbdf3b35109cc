package tui

import (
	"strconv"
	"strings"
	"testing"

	"node-installer/installer"
	"node-installer/network"
)

// The network value rules have one copy each (network.CheckHostname,
// CheckIfname, ParseMAC); these tests give the same value to every path
// that reads it (kernel argument, answer file, TUI form, planner) and
// require the same verdict from each.

// verdicts of the kernel-argument and answer-file paths: does any
// problem name field?
func cmdlineRejects(line, field string) bool {
	cfg, ps := installer.ParseCmdline(line)
	return hasField(append(ps, cfg.Validate()...), field)
}

func answerRejects(doc, field string) bool {
	cfg := installer.Defaults()
	ps := installer.LoadAnswerFile(strings.NewReader(doc), &cfg)
	return hasField(append(ps, cfg.Validate()...), field)
}

func hasField(ps installer.Problems, field string) bool {
	for _, p := range ps {
		if strings.HasPrefix(p.Field, field) {
			return true
		}
	}
	return false
}

var agreeNICs = []network.NIC{{Name: "eth0", MAC: "52:54:00:12:34:56"}, {Name: "eth1", MAC: "52:54:00:12:34:57"}}

func TestHostnameRuleAgrees(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"node1", true}, {"node1.example.org", true}, {"xn--bcher-kva.example", true}, {"1node.example.org", true},
		{strings.Repeat("a", 63) + ".org", true},
		{"node.123", false}, {"10.0.0.1", false}, {"-node", false}, {"node-.org", false}, {"node..org", false},
		{"node_1", false}, {strings.Repeat("a", 64) + ".org", false}, {strings.Repeat("a.", 127) + "ab", false},
	} {
		kernel := cmdlineRejects("hostname="+tc.name, "network.hostname")
		answer := answerRejects("network:\n  hostname: "+strconv.Quote(tc.name)+"\n", "network.hostname")
		_, errs := FormData{NIC: "eth0", Hostname: tc.name}.ParseNetwork()
		form := len(errs) > 0
		_, err := network.MakePlan(network.Config{Hostname: tc.name, BootIf: "eth0", IPs: []network.IP{{Iface: "eth0", Method: "dhcp"}}}, agreeNICs)
		planner := err != nil
		if kernel == tc.ok || answer == tc.ok || form == tc.ok || planner == tc.ok {
			t.Errorf("hostname %q: rejected by kernel argument %v, answer file %v, TUI %v, planner %v; want valid=%v", tc.name, kernel, answer, form, planner, tc.ok)
		}
	}
}

func TestIfnameRuleAgrees(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"bond0", true}, {"bond-mgmt", true}, {"bond.100x", true}, {"b", true}, {strings.Repeat("b", 15), true},
		{strings.Repeat("b", 16), false}, {"bo/nd", false}, {".", false}, {"..", false}, {"bo'nd", false}, {"bo=nd", false},
	} {
		kernel := cmdlineRejects("bond="+tc.name+":eth0,eth1 BOOTIF="+tc.name, "network.bond.name")
		answer := answerRejects("network:\n  bond: {name: "+strconv.Quote(tc.name)+", slaves: [eth0, eth1]}\n", "network.bond.name")
		cfg, errs := FormData{Choice: ChoiceInstall, NIC: "eth0", Bond: true, BondName: tc.name, BondNICs: []string{"eth0", "eth1"}}.ParseNetwork()
		form := len(errs) > 0
		if !form {
			full := installer.Defaults()
			full.Network = cfg
			form = hasField(full.Validate(), "network.bond.name")
		}
		_, err := network.MakePlan(network.Config{Bond: &network.Bond{Name: tc.name, Slaves: []string{"eth0", "eth1"}}, BootIf: tc.name,
			IPs: []network.IP{{Iface: tc.name, Method: "dhcp"}}}, agreeNICs)
		planner := err != nil
		if kernel == tc.ok || answer == tc.ok || form == tc.ok || planner == tc.ok {
			t.Errorf("bond name %q: rejected by kernel argument %v, answer file %v, TUI %v, planner %v (%v); want valid=%v", tc.name, kernel, answer, form, planner, err, tc.ok)
		}
	}
}

// The TUI offers the NICs found, by name, and has no MAC field: its
// BOOTIF is always an ifname. The MAC rule's paths are the kernel
// argument, the answer file and the planner.
func TestMACRuleAgrees(t *testing.T) {
	for _, tc := range []struct {
		bootif string
		ok     bool
	}{
		{"01-52-54-00-12-34-56", true}, {"00-52-54-00-12-34-56", true}, {"52:54:00:12:34:56", true}, {"52-54-00-12-34-56", true},
		{"52:54:00:12:34:5G", false}, {"52:54:00:12:34", false}, {"52::54:00:12:34:56", false},
	} {
		kernel := cmdlineRejects("BOOTIF="+tc.bootif, "network.bootif")
		answer := answerRejects("network:\n  bootif: "+strconv.Quote(tc.bootif)+"\n", "network.bootif")
		p, err := network.MakePlan(network.Config{BootIf: tc.bootif, IPs: []network.IP{{Method: "dhcp"}}}, agreeNICs)
		planner := err != nil || p.Device != "eth0"
		if kernel == tc.ok || answer == tc.ok || planner == tc.ok {
			t.Errorf("BOOTIF %q: rejected by kernel argument %v, answer file %v, planner %v (%v); want valid=%v", tc.bootif, kernel, answer, planner, err, tc.ok)
		}
	}
}

// Bond options: one parser (network.ParseBondOptions). The bug this
// guards: the validator accepted primary= and the planner refused it.
func TestBondOptionsRuleAgrees(t *testing.T) {
	for _, tc := range []struct {
		opts string
		ok   bool
	}{
		{"mode=active-backup,primary=eth0", true},
		{"mode=1,miimon=100,primary=eth1,primary_reselect=better", true},
		{"mode=active-backup,arp_interval=500,arp_ip_target=192.0.2.1,arp_ip_target=192.0.2.2", true},
		{"mode=802.3ad,lacp_rate=fast,ad_select=count,xmit_hash_policy=layer2+3", true},
		{"mode=active-backup,fail_over_mac=follow,num_grat_arp=3,all_slaves_active=0", true},
		{"mode=active-backup,primary=eth2", false},
		{"mode=802.3ad,primary=eth0", false},
		{"mode=active-backup,speed=fast", false},
		{"mode=9", false},
		{"mode=active-backup,num_grat_arp=300", false},
	} {
		nics := []network.NIC{{Name: "eth0", MAC: "52:54:00:12:34:56"}, {Name: "eth1", MAC: "52:54:00:12:34:57"}, {Name: "eth2", MAC: "52:54:00:12:34:58"}}
		kernel := cmdlineRejects("bond=bond0:eth0,eth1:"+tc.opts+" BOOTIF=bond0", "network.bond.options")
		answer := answerRejects("network:\n  bond: {name: bond0, slaves: [eth0, eth1], options: "+strconv.Quote(tc.opts)+"}\n", "network.bond.options")
		cfg, errs := FormData{Choice: ChoiceInstall, NIC: "eth0", Bond: true, BondName: "bond0", BondNICs: []string{"eth0", "eth1"}, BondOpts: tc.opts}.ParseNetwork()
		form := len(errs) > 0
		if !form {
			full := installer.Defaults()
			full.Network = cfg
			form = hasField(full.Validate(), "network.bond.options")
		}
		p, err := network.MakePlan(network.Config{Bond: &network.Bond{Name: "bond0", Slaves: []string{"eth0", "eth1"}, Options: tc.opts}, BootIf: "bond0",
			IPs: []network.IP{{Iface: "bond0", Method: "dhcp"}}}, nics)
		planner := err != nil
		if kernel == tc.ok || answer == tc.ok || form == tc.ok || planner == tc.ok {
			t.Errorf("bond options %q: rejected by kernel argument %v, answer file %v, TUI %v, planner %v (%v); want valid=%v", tc.opts, kernel, answer, form, planner, err, tc.ok)
		}
		if tc.ok && !planner {
			keyfiles := ""
			for _, f := range network.Render(p) {
				keyfiles += string(f.Data)
			}
			for _, o := range strings.Split(tc.opts, ",") {
				k, _, _ := strings.Cut(o, "=")
				if !strings.Contains(keyfiles, "\n"+k+"=") {
					t.Errorf("bond options %q: the keyfiles lack %s:\n%s", tc.opts, k, keyfiles)
				}
			}
		}
	}
}
