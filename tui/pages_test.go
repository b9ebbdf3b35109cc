package tui

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
)

// toPage walks from Welcome to id with the defaults (Enter/F10 only).
func (h *harness) toPage(id pageID) {
	h.t.Helper()
	for i := 0; i < 12 && h.page() != id; i++ {
		switch h.page() {
		case pgPassword:
			h.typeText("Secr3t-pass")
			h.press(tcell.KeyTab)
			h.typeText("Secr3t-pass")
		}
		h.press(tcell.KeyF10)
	}
	h.wantPage(id)
}

func TestWelcomeFreshMachine(t *testing.T) {
	h := newHarness(t, testOptions())
	h.want("node 4.5.0 installer", "[1/8]", "No existing installation", "Install 4.5.0", "uefi firmware, 16.0 GiB RAM")
	h.want("Enter Select", "F10 Next", "Esc Quit")
	h.wantNot("F2 Shell") // no shell wired
	h.press(tcell.KeyEnter)
	h.wantPage(pgKeyboard)
	h.want("[2/8]")
}

func TestWelcomeInstalledUpgrade(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0] = installed("4.4.1", false)
	h := newHarness(t, opts)
	h.want("Installed: 4.4.1 on sda", "Upgrade 4.4.1 -> 4.5.0", "Reinstall 4.5.0", "Uninstall", "ALL DATA IS LOST")
	h.press(tcell.KeyEnter)
	// Upgrade-type: no disk pages, the current password instead.
	h.wantPage(pgCurrent)
	h.want("[2/3]", "Current admin password", "upgrade it")
	h.press(tcell.KeyF3)
	h.press(tcell.KeyDown, tcell.KeyEnter) // Reinstall
	h.wantPage(pgKeyboard)
	h.want("[2/8]")
}

func TestKeyboardPrefilledAndBack(t *testing.T) {
	opts := testOptions()
	opts.Config.Host.Keyboard = "fr"
	h := newHarness(t, opts)
	h.toPage(pgKeyboard)
	h.press(tcell.KeyF10)
	if h.a.fd.Keyboard != "fr" {
		t.Fatalf("keyboard = %q, want the pre-filled fr", h.a.fd.Keyboard)
	}
	h.press(tcell.KeyF3)
	h.press(tcell.KeyDown, tcell.KeyEnter)
	if h.a.fd.Keyboard != "es" {
		t.Errorf("keyboard = %q after Down from fr, want es", h.a.fd.Keyboard)
	}
	h.wantPage(pgBoot)
}

// The layout chosen is loaded on the console as the admin moves (the
// password was typed on a US layout), a letter jumps to the layouts that
// start with it, and a field lets the admin try it.
func TestKeyboardLoadsLive(t *testing.T) {
	opts := testOptions()
	var loaded []string
	opts.Backend.SetKeymap = func(name string) error {
		if name == "trq" {
			return errors.New("loadkeys trq: cannot open file trq")
		}
		loaded = append(loaded, name)
		return nil
	}
	h := newHarness(t, opts)
	h.toPage(pgKeyboard)
	h.want("Keymap us is loaded on this console")
	h.press(tcell.KeyDown)
	h.want("Keymap gb is loaded")
	h.key(tcell.KeyRune, 'd', 0)
	h.want("Keymap de is loaded")
	h.key(tcell.KeyRune, 'd', 0)
	h.want("Keymap de-latin1 is loaded")
	h.key(tcell.KeyRune, 't', 0)
	h.want("loadkeys trq: cannot open file trq")
	h.key(tcell.KeyRune, 'd', 0)
	h.press(tcell.KeyTab)
	h.typeText("yz")
	h.want("Try it here: yz")
	if got := strings.Join(loaded, ","); got != "us,gb,de,de-latin1,de" {
		t.Errorf("loaded %s", got)
	}
	h.press(tcell.KeyF10)
	if h.a.fd.Keyboard != "de" {
		t.Errorf("keyboard %q, want de", h.a.fd.Keyboard)
	}
}

// Without a console to load it on (the demo, a serial line) the page
// says the keymap is only set on the node.
func TestKeyboardNotLoadedRemote(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgKeyboard)
	h.want("keymap is not changed here")
}

func TestBootDiskPage(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgBoot)
	h.want("Bus", "Serial", "sda", "480.0 GiB", "SAMSUNG MZ7LH480", "S45NNA0M123456", "nvme0n1", "Other device...")
	h.wantNot("sdc", "SanDisk") // the boot media is never listed
	h.want(`Holds now: GPT partition table with 1 partition(s): 100.0 GiB ext4 "old-root"`)
	h.press(tcell.KeyDown)
	h.want("/dev/sdb", "rotational", "Holds now: nothing")
	h.press(tcell.KeyF10)
	h.wantPage(pgData)
	if h.a.fd.BootDisk != "/dev/sdb" {
		t.Errorf("boot disk = %q, want /dev/sdb", h.a.fd.BootDisk)
	}
	// Back keeps the choice.
	h.press(tcell.KeyF3)
	h.want("/dev/sdb  2.0 TiB")
}

func TestBootDiskOtherDevice(t *testing.T) {
	opts := testOptions()
	probed := []string{}
	opts.Backend.ProbeDisk = func(p string) (storage.Disk, error) {
		probed = append(probed, p)
		if p == "/dev/sdz" {
			return storage.Disk{Name: "sdz", Path: "/dev/sdz", Size: 64 * gib, Transport: "scsi"}, nil
		}
		return storage.Disk{}, errors.New(p + ": no such device")
	}
	h := newHarness(t, opts)
	h.toPage(pgBoot)
	h.press(tcell.KeyDown, tcell.KeyDown, tcell.KeyDown, tcell.KeyEnter) // "Other device..." focuses the entry
	h.want("Another block device or image file")
	h.typeText("sdz")
	h.want("Other device (path): sdz") // what is typed is drawn (it was typed blind)
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	h.want(`"sdz": expected an absolute path`)
	for range 3 {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("/dev/nope")
	h.press(tcell.KeyF10)
	h.want("/dev/nope: no such device")
	h.wantPage(pgBoot)
	for range len("nope") {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("sdz")
	h.press(tcell.KeyF10)
	h.wantPage(pgData)
	if got := h.a.fd.BootPath(); got != "/dev/sdz" {
		t.Errorf("boot path = %q", got)
	}
	if len(probed) != 2 {
		t.Errorf("probed %v, want the two absolute paths", probed)
	}
}

func TestBootDiskRefusesInUse(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0].InUse = "mounted at /var"
	h := newHarness(t, opts)
	h.toPage(pgBoot)
	// The first usable disk is preselected; go up to the busy one.
	h.press(tcell.KeyUp)
	h.want("Cannot be used: in use: mounted at /var")
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	h.want("/dev/sda cannot be used: in use: mounted at /var")
}

func TestDataDisksMultiSelect(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgData)
	h.want("[ ] ata  sdb", "[ ] nvme nvme0n1")
	h.wantNot("sda      480") // the boot disk is not offered again
	h.key(tcell.KeyRune, ' ', 0)
	h.press(tcell.KeyDown)
	h.key(tcell.KeyRune, ' ', 0)
	h.want("[x] ata  sdb", "[x] nvme nvme0n1")
	h.key(tcell.KeyRune, ' ', 0)
	h.want("[ ] nvme nvme0n1")
	h.press(tcell.KeyF10)
	h.wantPage(pgSizes)
	if len(h.a.fd.DataDisks) != 1 || h.a.fd.DataDisks[0] != "/dev/sdb" {
		t.Errorf("data disks = %v", h.a.fd.DataDisks)
	}
	h.want("sdb 2.0 TiB (data disk)")
	h.press(tcell.KeyF3)
	h.want("[x] ata  sdb")
}

func TestSizesLiveArithmetic(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgSizes)
	h.want("sda 480.0 GiB (boot disk)", "EFI            512 MiB", "RootA         4096 MiB", "Swap         16384 MiB", "free", "Default swap for 16.0 GiB RAM: 16384 MiB")
	// Swap is the 5th field: type 0 there, the Data volume grows by 16 GiB.
	h.press(tcell.KeyTab, tcell.KeyTab, tcell.KeyTab, tcell.KeyTab)
	h.typeText("0")
	h.wantNot("Swap         16384 MiB")
	h.want("Data        480702 MiB") // 464318 + 16384
	h.typeText("x")
	h.want("Swap: \"0x\": expected a size in MiB")
	h.press(tcell.KeyF10)
	h.wantPage(pgSizes)
	h.press(tcell.KeyBackspace2, tcell.KeyBackspace2)
	h.typeText("900G")
	h.want("Swap")
	h.wantNot("Swap         16384 MiB")
	h.press(tcell.KeyF10)
	h.wantPage(pgSizes) // 900 GiB of swap does not fit on 480 GiB
	if !strings.Contains(h.screen(), "storage") && !strings.Contains(h.screen(), "does not fit") && !strings.Contains(h.screen(), "MiB") {
		t.Fatalf("no inline error:\n%s", h.screen())
	}
	h.press(tcell.KeyBackspace2, tcell.KeyBackspace2, tcell.KeyBackspace2, tcell.KeyBackspace2)
	h.typeText("8G")
	h.press(tcell.KeyF10)
	h.wantPage(pgNetwork)
	if h.a.fd.Vols[storage.VolSwap] != "8G" {
		t.Errorf("swap field = %q", h.a.fd.Vols[storage.VolSwap])
	}
	h.press(tcell.KeyF3)
	h.want("Swap          8192 MiB")
}

func TestNetworkPagePrefilled(t *testing.T) {
	opts := testOptions()
	opts.Config.Network = network.Config{BootIf: "eno2", Hostname: "node7.example.org", VLAN: 30,
		IPs: []network.IP{{Iface: "eno2", Method: "static", Address: netip.MustParsePrefix("192.0.2.7/24"), Gateway: netip.MustParseAddr("192.0.2.1")}},
		DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}}
	h := newHarness(t, opts)
	h.toPage(pgNetwork)
	h.want("eno1 up   52:54:00:12:34:56 1000 Mb/s igb", "eno2 down", "static", "192.0.2.7/24", "192.0.2.1", "node7.example.org", "192.0.2.53", "30")
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	if h.a.fd.NIC != "eno2" {
		t.Errorf("NIC = %q, want the pre-filled eno2", h.a.fd.NIC)
	}
}

func TestNetworkPageValidation(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgNetwork)
	// Table -> Addresses form: IPv4 drop-down, open it, pick static.
	h.press(tcell.KeyTab, tcell.KeyEnter, tcell.KeyDown, tcell.KeyEnter)
	h.press(tcell.KeyTab)
	h.typeText("192.0.2.300/24")
	h.press(tcell.KeyF10)
	h.wantPage(pgNetwork)
	h.want(`IPv4 address: "192.0.2.300/24": expected an IPv4 address`)
	// Esc inside the form asks before quitting; the page stays.
	h.press(tcell.KeyEscape)
	h.want("Quit the installer?")
	h.press(tcell.KeyEnter) // Stay
	h.wantNot("Quit the installer?")
	h.wantPage(pgNetwork)
}

// The management NIC started as the first row, a bridge without a link
// on a real machine: it is the BOOTIF NIC, else the first hardware NIC
// with a link.
func TestDefaultNIC(t *testing.T) {
	nics := []network.NIC{
		{Name: "virbr0", Virtual: true, Carrier: true},
		{Name: "eno1", MAC: "52:54:00:00:00:01"},
		{Name: "eno2", MAC: "52:54:00:00:00:02", Carrier: true},
	}
	for _, tt := range []struct{ chosen, bootif, want string }{
		{"", "", "eno2"},
		{"", "52:54:00:00:00:01", "eno1"},
		{"eno1", "52:54:00:00:00:02", "eno1"},
		{"bond0", "", "eno2"},
	} {
		if got := defaultNIC(nics, tt.chosen, tt.bootif); got != tt.want {
			t.Errorf("defaultNIC(chosen %q, BOOTIF %q) = %s, want %s", tt.chosen, tt.bootif, got, tt.want)
		}
	}
	if got := defaultNIC(nics[:2], "", ""); got != "eno1" {
		t.Errorf("no NIC with a link: %s, want the first hardware NIC eno1", got)
	}
}

// Moving the cursor does not choose: only Enter does, and the table
// marks the chosen NIC.
func TestNetworkChooseNIC(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgNetwork)
	h.want("mgmt [ ]  eno1")
	h.press(tcell.KeyDown)
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	if h.a.fd.NIC != "eno1" {
		t.Fatalf("the cursor on eno2 chose %s", h.a.fd.NIC)
	}
	h.press(tcell.KeyF3)
	h.wantPage(pgNetwork)
	h.press(tcell.KeyDown, tcell.KeyEnter)
	h.want("mgmt [ ]  eno2")
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	if h.a.fd.NIC != "eno2" {
		t.Errorf("Enter on eno2 chose %s", h.a.fd.NIC)
	}
}

func TestNetworkBondAndPing(t *testing.T) {
	opts := testOptions()
	var pinged []string
	opts.Backend.Ping = func(_ context.Context, host string) error {
		pinged = append(pinged, host)
		if host == "192.0.2.99" {
			return errors.New("100% packet loss")
		}
		return nil
	}
	h := newHarness(t, opts)
	h.toPage(pgNetwork)
	h.key(tcell.KeyRune, ' ', 0)
	h.press(tcell.KeyDown)
	h.key(tcell.KeyRune, ' ', 0)
	h.want("[x]  eno1", "[x]  eno2")
	// To the right form: Tab (left form) then Tab x7 through its items.
	h.press(tcell.KeyTab)
	for range 8 {
		h.press(tcell.KeyTab)
	}
	h.press(tcell.KeyTab, tcell.KeyTab, tcell.KeyTab, tcell.KeyTab) // hostname, dns, search, ntp -> bond checkbox
	h.key(tcell.KeyRune, ' ', 0)
	h.press(tcell.KeyTab, tcell.KeyTab, tcell.KeyTab) // name, options -> ping
	h.typeText("192.0.2.99")
	h.press(tcell.KeyF5)
	h.waitFor("192.0.2.99 does not answer: 100% packet loss", 2e9)
	for range len("99") {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("1")
	h.press(tcell.KeyF5)
	h.waitFor("192.0.2.1 answers.", 2e9)
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	if !h.a.fd.Bond || len(h.a.fd.BondNICs) != 2 || h.a.fd.NIC != "eno1" { // marking bond ports does not move the management NIC
		t.Errorf("bond %v %v nic %s", h.a.fd.Bond, h.a.fd.BondNICs, h.a.fd.NIC)
	}
	cfg, errs := h.a.fd.ToConfig(installer.Defaults(), "")
	if len(errs) > 0 || cfg.Network.Bond == nil || cfg.Network.BootIf != "bond0" {
		t.Errorf("config network %+v errors %v", cfg.Network, errs)
	}
	if len(pinged) != 2 {
		t.Errorf("pinged %v", pinged)
	}
}

func TestPasswordPage(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgNetwork)
	h.press(tcell.KeyF10)
	h.wantPage(pgPassword)
	h.press(tcell.KeyF10)
	h.want("Password: type the admin password twice")
	h.typeText("abc")
	h.want("too short: 3 characters")
	h.typeText("defghij")
	h.want("too weak")
	h.typeText("K9")
	h.want("strong")
	h.press(tcell.KeyTab)
	h.typeText("abcdefghijK8")
	h.want("The two passwords differ.")
	h.press(tcell.KeyF10)
	h.want("Password: the two passwords differ")
	h.wantPage(pgPassword)
	h.wantNot("abcdefghij") // never shown
	h.press(tcell.KeyBackspace2, tcell.KeyBackspace2)
	h.typeText("K9")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	// Back keeps both entries (masked).
	h.press(tcell.KeyF3)
	h.want("************")
	h.wantNot("abcdefghijK9")
}

func TestPasswordPresetHash(t *testing.T) {
	opts := testOptions()
	opts.Config.Host.AdminPW = "$6$saltsalt$UiZAIvF8j2OD3mvGf3mQf8hebp1gQymHTsu8JdvvmYwWCZbnG8MZCeEnvS0k3fs5inUcgMHe4OfggQlc5LeGZ/"
	h := newHarness(t, opts)
	h.toPage(pgNetwork)
	h.press(tcell.KeyF10)
	h.want("A password hash was given on the kernel command line")
	h.wantNot("saltsalt")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
}

func TestCurrentPassword(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0] = installed("4.4.1", false)
	hash, _ := HashPassword("Old-pass-1")
	opts.Backend.AdminHash = func(d storage.Disk) (string, error) {
		if d.Path != "/dev/sda" {
			return "", errors.New("wrong disk")
		}
		return hash, nil
	}
	h := newHarness(t, opts)
	h.press(tcell.KeyEnter)
	h.wantPage(pgCurrent)
	h.typeText("guess")
	h.press(tcell.KeyF10)
	h.want("Password: wrong password")
	h.wantPage(pgCurrent)
	for range 5 {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("Old-pass-1")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("Nothing is erased.", "Upgrade now")
}

// Wrong passwords in a row: from the third on, the next attempt waits,
// doubling; F2 (a shell) is not offered where the password is proved.
func TestCurrentPasswordAttempts(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0] = installed("4.4.1", false)
	opts.Backend.Shell = func() error { t.Error("a shell on the Current password page"); return nil }
	hash, _ := HashPassword("Old-pass-1")
	opts.Backend.AdminHash = func(storage.Disk) (string, error) { return hash, nil }
	h := newHarness(t, opts)
	page := h.a.pages[pgCurrent].(*currentPassword)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	page.now = func() time.Time { return now }
	h.press(tcell.KeyEnter)
	h.wantPage(pgCurrent)
	h.wantNot("F2 Shell")
	h.press(tcell.KeyF2)
	for i := range 3 {
		h.typeText("guess")
		h.press(tcell.KeyF10)
		for range 5 {
			h.press(tcell.KeyBackspace2)
		}
		if i < 2 {
			h.want("Password: wrong password")
		}
	}
	h.want("wrong password (3 in a row: the next attempt waits 5 s)")
	h.typeText("Old-pass-1")
	h.press(tcell.KeyF10)
	h.wantPage(pgCurrent)
	h.want("3 wrong passwords: wait 5 s before the next attempt")
	now = now.Add(5 * time.Second)
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("Upgrade. Nothing is erased.", "network configuration are kept")
}

// An install that stopped before it set a password can be uninstalled:
// there is no password to prove.
func TestUninstallUnfinished(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0] = installed("4.5.0", true)
	opts.Backend.AdminHash = func(storage.Disk) (string, error) { return "", errors.New("no /etc/shadow on the Config partition") }
	h := newHarness(t, opts)
	h.want("did not finish", "Uninstall")
	h.press(tcell.KeyDown, tcell.KeyEnter)
	h.wantPage(pgCurrent)
	h.want("did not finish")
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("Uninstall now")
}

func TestConfirmPage(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgConfirm)
	h.want(`ERASED          sda (/dev/sda, 480.0 GiB, ATA SAMSUNG MZ7LH480, boot disk) -`, `it holds GPT`, `100.0 GiB ext4 "old-root"`,
		"New GPT on sda (boot disk):", "RootA", "Erase and install", "Back")
	// No engine wired: the install is refused with a message, nothing runs.
	h.press(tcell.KeyF10)
	h.wantPage(pgConfirm)
	h.want("this build has no engine")
}

func TestConfirmShowsPlanProblems(t *testing.T) {
	opts := testOptions()
	opts.Config.Storage.Volumes = map[storage.Vol]int64{storage.VolSwap: 600 * 1024}
	opts.Backend.Run = func(context.Context, installer.Config, installer.Facts, event.Sink) error {
		t.Error("run with a bad plan")
		return nil
	}
	h := newHarness(t, opts)
	h.toPage(pgSizes)
	h.press(tcell.KeyF10) // refused here already
	h.wantPage(pgSizes)
}

// A disk that could not be read is shown as such, never as empty, and
// cannot be chosen.
func TestBootDiskUnreadable(t *testing.T) {
	opts := testOptions()
	opts.Facts.Disks[0].Table, opts.Facts.Disks[0].Partitions = "", nil
	opts.Facts.Disks[0].ReadError = "reading its first sectors: input/output error"
	h := newHarness(t, opts)
	h.toPage(pgBoot)
	h.press(tcell.KeyUp)
	h.want("could not be read", "input/output error")
	h.wantNot("Holds now: nothing")
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	h.want("/dev/sda cannot be used: cannot be read")
}

// The demo writes image files only: a device typed under "Other device"
// is refused, and a refused device is not listed on the next pages.
func TestDemoRefusesDevices(t *testing.T) {
	opts := testOptions()
	opts.Demo = true
	opts.Backend.ProbeDisk = func(p string) (storage.Disk, error) {
		switch p {
		case "/dev/loop7":
			return storage.Disk{Name: "loop7", Path: p, Size: 64 * gib, Transport: "loop"}, nil
		case "/var/tmp/ro.img":
			return storage.Disk{Name: "ro.img", Path: p, Size: 64 * gib, Transport: "file", ReadOnly: true}, nil
		}
		return storage.Disk{}, errors.New(p + ": no such file")
	}
	h := newHarness(t, opts)
	h.toPage(pgBoot)
	h.press(tcell.KeyDown, tcell.KeyDown, tcell.KeyDown, tcell.KeyEnter)
	h.typeText("/dev/loop7")
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	h.want("the demo writes image files only")
	for range len("/dev/loop7") {
		h.press(tcell.KeyBackspace2)
	}
	h.typeText("/var/tmp/ro.img")
	h.press(tcell.KeyF10)
	h.wantPage(pgBoot)
	h.want("cannot be used: read-only")
	for _, d := range h.a.opts.Facts.Disks {
		if d.Path == "/dev/loop7" || d.Path == "/var/tmp/ro.img" {
			t.Errorf("refused %s added to the disks", d.Path)
		}
	}
}

// F1 on every page of the installer says what the page does, its keys
// and the keys of every page (with the Ctrl keys for serial terminals);
// Close goes back to the page as it was.
func TestHelpOnEveryPage(t *testing.T) {
	h := newHarness(t, testOptions())
	for _, id := range []pageID{pgWelcome, pgKeyboard, pgBoot, pgData, pgSizes, pgNetwork, pgPassword, pgConfirm} {
		h.toPage(id)
		h.want("F1 Help")
		h.press(tcell.KeyF1)
		h.want("Help: ", "F10 or Ctrl-N next", "Ctrl-P back", "F1 closes this help")
		first := strings.Fields(pageHelps[id])[0]
		h.want(first)
		h.press(tcell.KeyEnter)
		h.wantNot("F1 closes this help")
		h.wantPage(id)
	}
}

// PgDn scrolls the Confirm page's plan with the focus on the buttons.
func TestConfirmScrollsFromButtons(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgConfirm)
	h.want("ERASED          sda")
	h.press(tcell.KeyPgDn, tcell.KeyPgDn)
	h.wantNot("ERASED          sda")
	h.press(tcell.KeyPgUp, tcell.KeyPgUp)
	h.want("ERASED          sda")
}

// The summary at the top of Confirm: what is erased or kept, and the VM
// storage that is lost named as such.
func TestSummaryText(t *testing.T) {
	d := installed("4.4.1", false)
	d.Partitions = []storage.Partition{{Number: 1, PartLabel: "EFI", Size: 512 << 20}, {Number: 7, PartLabel: "Data", Label: "node-data", Size: 400 * gib}}
	facts := installer.Facts{Disks: []storage.Disk{d}}
	media := MediaInfo{Version: "4.5.0"}
	for _, tt := range []struct {
		fd   FormData
		pv   PlanView
		want []string
	}{
		{FormData{Choice: ChoiceUninstall}, PlanView{Uninstall: []storage.Disk{d}}, []string{"Action   Uninstall", "CLEARED", "LOST", "the VM storage on sda: Data 400.0 GiB"}},
		{FormData{Choice: ChoiceUpgrade}, PlanView{}, []string{"Upgrade to 4.5.0, into the spare slot", "Kept", "VM storage (Data)"}},
		{FormData{Choice: ChoiceRepair}, PlanView{}, []string{"Repair: 4.5.0"}},
		{FormData{Choice: ChoiceReinstall, NIC: "eno1", IPv4Mode: "static", IPv4Addr: "192.0.2.10/24", IPv4GW: "192.0.2.1", Keyboard: "de", PresetHash: "x"},
			PlanView{Layout: storage.Layout{Disks: []storage.DiskLayout{{Disk: d, Role: "boot"}}}},
			[]string{"Reinstall 4.5.0", "ERASED", "LOST", "eno1, IPv4 192.0.2.10/24 via 192.0.2.1, IPv6 auto", "Keyboard        de", "a hash from the kernel command line"}},
	} {
		got := summaryText(tt.fd, tt.pv, facts, media)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: summary lacks %q:\n%s", tt.fd.Choice, w, got)
			}
		}
	}
}

// Welcome warns of what makes a poor hypervisor; the admin can go on.
func TestWelcomeHostWarnings(t *testing.T) {
	opts := testOptions()
	opts.Facts.Host = &installer.HostCaps{}
	opts.Facts.MemBytes = 2 * gib
	h := newHarness(t, opts)
	h.want("Warning: CPU virtualisation (Intel VT-x / AMD-V) is not available", "Warning: no IOMMU is active", "below the 4 GiB", "Install 4.5.0")
	h.press(tcell.KeyEnter)
	h.wantPage(pgKeyboard)
}

// Problems with what was typed name the page's field; a value from a
// kernel argument or the answer file names it as given.
func TestProblemError(t *testing.T) {
	for _, tt := range []struct {
		pr   installer.Problem
		want string
	}{
		{installer.Problem{Field: "storage.volumes.Swap", Msg: "too big"}, "Storage sizes, Swap: too big"},
		{installer.Problem{Field: "network.ips[0].gateway", Msg: "outside"}, "Network: outside"},
		{installer.Problem{Field: "network.hostname", Msg: "bad"}, "Network, hostname: bad"},
		{installer.Problem{Field: "storage.volumes.Swap", Arg: "storage_vol", Value: ":600000", Msg: "too big"}, "storage_vol=:600000: too big"},
		{installer.Problem{Field: "host.keyboard", Arg: "answer file line 3", Value: "xx", Msg: "unknown"}, "answer file line 3: unknown"},
		{installer.Problem{Msg: "no disk"}, "Plan: no disk"},
	} {
		if got := problemError(tt.pr).String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.pr, got, tt.want)
		}
	}
	cfg, _ := installer.ParseCmdline("storage_vol=:1024 hostname=pxe-node keyboard=de console=ttyS0")
	fd := FromConfig(cfg)
	fd.NIC, fd.BootDisk = "eno1", "/dev/sda"
	got, _ := fd.ToConfig(cfg, "")
	for _, f := range []string{"storage.volumes.Swap", "network.hostname", "host.keyboard"} {
		if o, ok := got.Origins[f]; ok {
			t.Errorf("%s still names %s although the pages set it", f, o.Arg)
		}
	}
}

// Many problems at once are all readable: the message area grows (it
// showed two lines, cut).
func TestManyProblemsReadable(t *testing.T) {
	h := newHarness(t, testOptions())
	h.toPage(pgNetwork)
	h.a.fd.Hostname, h.a.fd.VLAN, h.a.fd.DNS = "-bad-", "5000", "dns.example"
	h.a.fd.IPv4Mode, h.a.fd.IPv4Addr = "static", "192.0.2.0/24"
	h.a.pages[pgNetwork].enter(h.a)
	h.press(tcell.KeyF10)
	h.wantPage(pgNetwork)
	h.want("Hostname:", "IPv4 address: 192.0.2.0 is the network address", "VLAN:", "DNS:")
}
