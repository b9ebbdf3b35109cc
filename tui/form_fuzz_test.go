package tui

import (
	"testing"

	"node-installer/installer"
	"node-installer/storage"
)

// FuzzFormToConfig: whatever is typed into the text fields, ToConfig never
// panics, and a form it accepts gives values inside their ranges.
func FuzzFormToConfig(f *testing.F) {
	f.Add("4096", "-1", "192.0.2.10/24", "192.0.2.1", "2001:db8::1/64", "12", "192.0.2.53, 192.0.2.54", "ntp.example.org", "node1")
	f.Add("4G", "0", "", "", "", "", "", "off", "")
	f.Add("x", "-7", "300.1.1.1/33", "::1", "1.2.3.4/8", "5000", "dns", "-bad-", "a..b")
	f.Fuzz(func(t *testing.T, swap, data, v4, gw, v6, vlan, dns, ntp, host string) {
		fd := FormData{Choice: ChoiceInstall, BootDisk: "/dev/sda", NIC: "eno1", Keyboard: "us",
			Vols:     map[storage.Vol]string{storage.VolSwap: swap, storage.VolData: data},
			IPv4Mode: "static", IPv4Addr: v4, IPv4GW: gw, IPv6Mode: "static", IPv6Addr: v6,
			VLAN: vlan, DNS: dns, NTP: ntp, Hostname: host}
		cfg, errs := fd.ToConfig(installer.Defaults(), "")
		for _, e := range errs {
			if e.Field == "" || e.Msg == "" {
				t.Fatalf("problem without field or message: %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		if v := cfg.Network.VLAN; v < 0 || v > 4094 {
			t.Fatalf("accepted VLAN %d", v)
		}
		for vol, mib := range cfg.Storage.Volumes {
			if mib < -1 {
				t.Fatalf("accepted %s = %d MiB", vol, mib)
			}
		}
		for _, ip := range cfg.Network.IPs {
			if ip.Method == "static" && !ip.Address.IsValid() {
				t.Fatalf("static address accepted without an address: %+v", ip)
			}
			if ip.Gateway.IsValid() && ip.Address.Addr().Is4() != ip.Gateway.Is4() {
				t.Fatalf("gateway family differs from the address: %+v", ip)
			}
		}
		if h := cfg.Network.Hostname; h != "" && !validHostname(h) {
			t.Fatalf("accepted hostname %q", h)
		}
	})
}
