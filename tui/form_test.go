package tui

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/installer"
	"node-installer/network"
	"node-installer/storage"
)

func TestParseMiB(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		err      bool
	}{
		{"plain", "4096", 4096, false},
		{"gib suffix", "4G", 4096, false},
		{"gib long", "2GiB", 2048, false},
		{"mib suffix", "512M", 512, false},
		{"fill", "-1", -1, false},
		{"none", "0", 0, false},
		{"fill with unit", "-1G", 0, true},
		{"negative", "-5", 0, true},
		{"text", "big", 0, true},
		{"fraction", "1.5G", 0, true},
		{"overflow", "99999999999999G", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMiB(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("parseMiB(%q) error = %v, want error %v", tc.in, err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Errorf("parseMiB(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseVolumes(t *testing.T) {
	tests := []struct {
		name    string
		vols    map[storage.Vol]string
		fill    bool
		want    map[storage.Vol]int64
		wantErr []string
	}{
		{"all default", nil, false, map[storage.Vol]int64{}, nil},
		{"fill data", nil, true, map[storage.Vol]int64{storage.VolData: -1}, nil},
		{"swap none and sizes", map[storage.Vol]string{storage.VolSwap: "0", storage.VolRoot: "6G", storage.VolData: "100"}, false,
			map[storage.Vol]int64{storage.VolSwap: 0, storage.VolRoot: 6144, storage.VolData: 100}, nil},
		{"fill overrides data text", map[storage.Vol]string{storage.VolData: "oops"}, true, map[storage.Vol]int64{storage.VolData: -1}, nil},
		{"root zero refused", map[storage.Vol]string{storage.VolRoot: "0"}, false, map[storage.Vol]int64{}, []string{"Root"}},
		{"two errors at once", map[storage.Vol]string{storage.VolEFI: "x", storage.VolLogging: "-7"}, false, map[storage.Vol]int64{}, []string{"EFI", "Logging"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd := FormData{Vols: tc.vols, FillData: tc.fill}
			got, errs := fd.ParseVolumes()
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("volumes (-want +got):\n%s", d)
			}
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			if d := cmp.Diff(tc.wantErr, fields); d != "" {
				t.Errorf("error fields (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseNetwork(t *testing.T) {
	base := FormData{NIC: "eno1", IPv4Mode: "dhcp", IPv6Mode: "auto"}
	tests := []struct {
		name    string
		edit    func(*FormData)
		check   func(t *testing.T, c network.Config)
		wantErr []string
	}{
		{"dhcp default", func(*FormData) {}, func(t *testing.T, c network.Config) {
			if c.BootIf != "eno1" || len(c.IPs) != 1 || c.IPs[0].Method != "dhcp" || c.IPv6 != "auto" {
				t.Errorf("got %+v", c)
			}
		}, nil},
		{"static v4 and v6", func(f *FormData) {
			f.IPv4Mode, f.IPv4Addr, f.IPv4GW = "static", "192.0.2.10/24", "192.0.2.1"
			f.IPv6Mode, f.IPv6Addr, f.IPv6GW = "static", "2001:db8::10/64", "2001:db8::1"
			f.DNS, f.NTP, f.Hostname, f.VLAN = "192.0.2.53, 2001:db8::53", "ntp1.example.org ntp2.example.org", "node1.example.org", "42"
		}, func(t *testing.T, c network.Config) {
			want := []network.IP{
				{Iface: "eno1", Method: "static", Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1")},
				{Iface: "eno1", Method: "static", Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("2001:db8::1")},
			}
			if d := cmp.Diff(want, c.IPs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Errorf("IPs (-want +got):\n%s", d)
			}
			if len(c.DNS) != 2 || len(c.NTP) != 2 || c.VLAN != 42 || c.Hostname != "node1.example.org" {
				t.Errorf("got %+v", c)
			}
		}, nil},
		{"bond", func(f *FormData) {
			f.Bond, f.BondName, f.BondNICs, f.BondOpts = true, "bond0", []string{"eno1", "eno2"}, "mode=802.3ad"
		}, func(t *testing.T, c network.Config) {
			if c.Bond == nil || c.Bond.Name != "bond0" || len(c.Bond.Slaves) != 2 || c.BootIf != "bond0" || c.IPs[0].Iface != "bond0" {
				t.Errorf("got %+v bond %+v", c, c.Bond)
			}
		}, nil},
		{"ntp off", func(f *FormData) { f.NTP = "off" }, func(t *testing.T, c network.Config) {
			if !c.NTPOff || len(c.NTP) != 0 {
				t.Errorf("got %+v", c)
			}
		}, nil},
		{"bond without NICs", func(f *FormData) { f.Bond = true }, nil, []string{"Bond"}},
		{"every error at once", func(f *FormData) {
			f.NIC = ""
			f.IPv4Mode, f.IPv4Addr, f.IPv4GW = "static", "192.0.2.10", "10.0.0.1"
			f.VLAN, f.DNS, f.Hostname, f.NTP = "5000", "dns.example", "-bad-", "pool ntp_bad!"
		}, nil, []string{"Hostname", "NIC", "IPv4 address", "VLAN", "DNS", "NTP"}},
		{"gateway outside subnet", func(f *FormData) { f.IPv4Mode, f.IPv4Addr, f.IPv4GW = "static", "192.0.2.10/24", "198.51.100.1" }, nil, []string{"IPv4 gateway"}},
		{"network address", func(f *FormData) { f.IPv4Mode, f.IPv4Addr = "static", "192.0.2.0/24" }, nil, []string{"IPv4 address"}},
		{"broadcast address", func(f *FormData) { f.IPv4Mode, f.IPv4Addr = "static", "192.0.2.255/24" }, nil, []string{"IPv4 address"}},
		{"gateway is the host", func(f *FormData) { f.IPv4Mode, f.IPv4Addr, f.IPv4GW = "static", "192.0.2.10/24", "192.0.2.10" }, nil, []string{"IPv4 gateway"}},
		{"v6 gateway outside subnet", func(f *FormData) { f.IPv6Mode, f.IPv6Addr, f.IPv6GW = "static", "2001:db8::10/64", "2001:db9::1" }, nil, []string{"IPv6 gateway"}},
		{"v6 link-local gateway", func(f *FormData) { f.IPv6Mode, f.IPv6Addr, f.IPv6GW = "static", "2001:db8::10/64", "fe80::1" }, nil, nil},
		{"v6 gateway is the host", func(f *FormData) { f.IPv6Mode, f.IPv6Addr, f.IPv6GW = "static", "2001:db8::10/64", "2001:db8::10" }, nil, []string{"IPv6 gateway"}},
		{"localhost", func(f *FormData) { f.Hostname = "localhost" }, nil, []string{"Hostname"}},
		{"all-numeric hostname", func(f *FormData) { f.Hostname = "12345" }, nil, []string{"Hostname"}},
		{"bond options in dracut's comma form", func(f *FormData) {
			f.Bond, f.BondNICs, f.BondOpts = true, []string{"eno1", "eno2"}, "mode=active-backup,miimon=100"
		}, nil, nil},
		{"bond option unknown", func(f *FormData) {
			f.Bond, f.BondNICs, f.BondOpts = true, []string{"eno1"}, "mode=active-backup,speed=fast"
		}, nil, []string{"Bond options"}},
		{"bond name", func(f *FormData) { f.Bond, f.BondName, f.BondNICs = true, "bond:0", []string{"eno1"} }, nil, []string{"Bond name"}},
		{"search and MTU", func(f *FormData) { f.Search, f.MTU = "example.org, lab.example.org", "9000" }, func(t *testing.T, c network.Config) {
			if strings.Join(c.Search, " ") != "example.org lab.example.org" || c.IPs[0].MTU != 9000 {
				t.Errorf("search %v MTU %d", c.Search, c.IPs[0].MTU)
			}
		}, nil},
		{"bad search domain", func(f *FormData) { f.Search = "exa_mple.org" }, nil, []string{"Search"}},
		{"MTU out of range", func(f *FormData) { f.MTU = "70000" }, nil, []string{"MTU"}},
		{"MTU too small for IPv6", func(f *FormData) { f.MTU = "1000" }, nil, []string{"MTU"}},
		{"small MTU without IPv6", func(f *FormData) { f.MTU, f.IPv6Mode = "1000", "off" }, nil, nil},
		{"v6 address in v4 field", func(f *FormData) { f.IPv4Mode, f.IPv4Addr = "static", "2001:db8::1/64" }, nil, []string{"IPv4 address"}},
		{"v4 address in v6 field", func(f *FormData) { f.IPv6Mode, f.IPv6Addr = "static", "192.0.2.1/24" }, nil, []string{"IPv6 address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd := base
			tc.edit(&fd)
			c, errs := fd.ParseNetwork()
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
				if !containsAny(e.Msg, "expected", "outside the subnet", "mark", "choose", "starts or ends", "address of", "own address", "loopback", "all digits", "not a valid interface name", "unknown key", "not a host address", "only letters", "IPv6 needs") {
					t.Errorf("message %q does not say what is expected", e.Msg)
				}
			}
			if d := cmp.Diff(tc.wantErr, fields); d != "" {
				t.Fatalf("error fields (-want +got):\n%s", d)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestFormRoundTrip: a Config from kernel args pre-fills the form, and the
// untouched form gives the same settings back.
func TestFormRoundTrip(t *testing.T) {
	cfg := installer.Defaults()
	cfg.Host.Keyboard = "de"
	cfg.Host.AdminPW = "$6$salt$hash"
	cfg.Storage.Init = true
	cfg.Storage.Disks = []storage.DiskRef{{Raw: "/dev/sdb", Path: "/dev/sdb"}}
	cfg.Storage.AppDisks = []storage.DiskRef{{Raw: "/dev/nvme0n1", Path: "/dev/nvme0n1"}}
	cfg.Storage.Volumes = map[storage.Vol]int64{storage.VolSwap: 0, storage.VolData: -1, storage.VolRoot: 6144}
	cfg.Network.BootIf = "eno2"
	cfg.Network.Hostname = "node7"
	cfg.Network.IPs = []network.IP{{Iface: "eno2", Method: "static", Address: netip.MustParsePrefix("192.0.2.7/24"), Gateway: netip.MustParseAddr("192.0.2.1")}}
	cfg.Network.IPv6 = "none"
	cfg.Network.DNS = []netip.Addr{netip.MustParseAddr("192.0.2.53")}
	cfg.Network.NTP = []string{"ntp.example.org"}
	cfg.Network.VLAN = 12

	fd := FromConfig(cfg)
	want := FormData{Choice: ChoiceInstall, Keyboard: "de", BootDisk: "/dev/sdb", DataDisks: []string{"/dev/nvme0n1"},
		Vols: map[storage.Vol]string{storage.VolSwap: "0", storage.VolData: "-1", storage.VolRoot: "6144"}, FillData: true,
		NIC: "eno2", IPv4Mode: "static", IPv4Addr: "192.0.2.7/24", IPv4GW: "192.0.2.1", IPv6Mode: "off", VLAN: "12",
		BondOpts: "mode=active-backup miimon=100", Hostname: "node7", DNS: "192.0.2.53", NTP: "ntp.example.org", PresetHash: "$6$salt$hash"}
	if d := cmp.Diff(want, fd); d != "" {
		t.Fatalf("FromConfig (-want +got):\n%s", d)
	}
	got, errs := fd.ToConfig(cfg, "")
	if len(errs) > 0 {
		t.Fatalf("ToConfig errors: %v", errs)
	}
	if got.Action != installer.ActionInstall || got.Storage.Wipe != "force" || got.Host.AdminPW != "$6$salt$hash" {
		t.Errorf("action/wipe/hash = %s/%s/%s", got.Action, got.Storage.Wipe, got.Host.AdminPW)
	}
	opts := []cmp.Option{cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })}
	if d := cmp.Diff(cfg.Network, got.Network, opts...); d != "" {
		t.Errorf("network (-kernel args +form):\n%s", d)
	}
	if d := cmp.Diff(cfg.Storage.Volumes, got.Storage.Volumes); d != "" {
		t.Errorf("volumes (-kernel args +form):\n%s", d)
	}
	if d := cmp.Diff(cfg.Storage.Disks, got.Storage.Disks); d != "" {
		t.Errorf("disks (-kernel args +form):\n%s", d)
	}
}

func TestToConfigChoices(t *testing.T) {
	tests := []struct {
		choice    Choice
		action    installer.Action
		downgrade bool
		storage   bool // the form's disks are applied
	}{
		{ChoiceInstall, installer.ActionInstall, false, true},
		{ChoiceReinstall, installer.ActionReinstall, false, true},
		{ChoiceUpgrade, installer.ActionUpgrade, false, false},
		{ChoiceRepair, installer.ActionUpgrade, false, false},
		{ChoiceDowngrade, installer.ActionUpgrade, true, false},
		{ChoiceUninstall, installer.ActionUninstall, false, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.choice), func(t *testing.T) {
			fd := FormData{Choice: tc.choice, BootDisk: "/dev/sda", NIC: "eno1", Keyboard: "us"}
			got, errs := fd.ToConfig(installer.Defaults(), "$6$new")
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if got.Action != tc.action || got.Unattended.AllowDowngrade != tc.downgrade || got.Host.AdminPW != "$6$new" {
				t.Errorf("got action %s downgrade %v hash %q", got.Action, got.Unattended.AllowDowngrade, got.Host.AdminPW)
			}
			if (len(got.Storage.Disks) > 0) != tc.storage {
				t.Errorf("storage disks = %v, want applied %v", got.Storage.Disks, tc.storage)
			}
		})
	}
	if _, errs := (FormData{Choice: ChoiceInstall, NIC: "eno1"}).ToConfig(installer.Defaults(), ""); len(errs) != 1 || errs[0].Field != "Boot disk" {
		t.Errorf("install without a disk: errors %v, want one about the boot disk", errs)
	}
}

func TestPassword(t *testing.T) {
	tests := []struct {
		name, pw1, pw2 string
		keep           bool
		want           string // substring of the error, "" = accepted
	}{
		{"empty", "", "", false, "twice"},
		{"empty keeps preset", "", "", true, ""},
		{"mismatch", "Correct-Horse1", "Correct-Horse2", false, "differ"},
		{"short", "Ab1!", "Ab1!", false, "too short"},
		{"short and different: the strength first", "Ab1!", "Ab1?", false, "too short"},
		{"one class", "abcdefghij", "abcdefghij", false, "too weak"},
		{"long passphrase", "correct horse battery staple", "correct horse battery staple", false, ""},
		{"three classes", "Secr3tpass", "Secr3tpass", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := validatePassword(tc.pw1, tc.pw2, tc.keep)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("refused: %v", errs)
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Msg, tc.want)):
				t.Errorf("errors %v, want one saying %q", errs, tc.want)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("Secr3t-pass")
	if err != nil {
		t.Fatal(err)
	}
	if parts := strings.Split(h, "$"); len(parts) != 4 || parts[1] != "6" || len(parts[3]) != 86 {
		t.Fatalf("hash %q is not a $6$ crypt hash", h)
	}
	for pw, want := range map[string]bool{"Secr3t-pass": true, "secr3t-pass": false, "": false} {
		ok, err := CheckPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	// A hash made by openssl passwd -6 -salt saltsalt 'Secr3t-pass'.
	const openssl = "$6$saltsalt$UiZAIvF8j2OD3mvGf3mQf8hebp1gQymHTsu8JdvvmYwWCZbnG8MZCeEnvS0k3fs5inUcgMHe4OfggQlc5LeGZ/"
	if ok, err := CheckPassword("Secr3t-pass", openssl); err != nil || !ok {
		t.Errorf("openssl hash not verified: %v %v", ok, err)
	}
	if _, err := CheckPassword("x", "plain"); err == nil {
		t.Error("a non-hash must be an error")
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
