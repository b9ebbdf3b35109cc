package tui

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"node-installer/installer"
	"node-installer/installer/nodeconfig"
	"node-installer/internal/passwd"
	"node-installer/network"
)

// setupNode is an installed node's root: os-release, the kernel command
// line, two loader entries on the ESP, the Config partition as the
// installer wrote it, /etc/shadow and an install log.
func setupNode(t testing.TB) nodeconfig.Options {
	t.Helper()
	root := t.TempDir()
	w := func(p, data string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := passwd.Hash("Old-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	w("etc/os-release", "NAME=\"Node\"\nVERSION_ID=2.1\n")
	w("proc/cmdline", "root=PARTLABEL=RootB node.slot=B console=ttyS0,115200n8\n")
	w("boot/efi/loader/entries/node-B.conf", "title Node 2.1\nversion 2.1\nlinux /node-B/vmlinuz\ninitrd /node-B/initrd\noptions root=PARTLABEL=RootB node.slot=B console=tty0 console=ttyS0,115200n8\n")
	w("boot/efi/loader/entries/node-A.conf", "title Node 2.0\nversion 2.0\nlinux /node-A/vmlinuz\ninitrd /node-A/initrd\noptions root=PARTLABEL=RootA node.slot=A console=tty0 console=ttyS0,115200n8\n")
	w("etc/shadow", "root:!:20000:0:99999:7:::\nadmin:"+hash+":20000:0:99999:7:::\n")
	w("var/log/node-installer/install.log", "step partition finished\nstep slot finished\ninstall succeeded: Node 2.1 on /dev/sda, slot B\n")
	nics := []network.NIC{
		{Name: "eno1", MAC: "52:54:00:12:34:56", Carrier: true, SpeedMbps: 1000, Addrs: []string{"192.0.2.10/24"}},
		{Name: "eno2", MAC: "52:54:00:12:34:57"},
	}
	cfg, ps := installer.ParseCmdline("BOOTIF=eno1 ip=192.0.2.10::192.0.2.1:24:node1.example.org:eno1:none dns=192.0.2.53 ntp=ntp.example.org syslog=logs.example.org management_server=engine.example.org ssh_pwauth=0")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	cfg.Host.AdminPW = hash
	plan, err := network.MakePlan(cfg.Network, nics)
	if err != nil {
		t.Fatal(err)
	}
	o := nodeconfig.Options{Root: root, NICs: nics, ShadowDay: 20400}
	if err := os.MkdirAll(o.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := installer.PersistConfig(o.Dir(), cfg, network.Render(plan)); err != nil {
		t.Fatal(err)
	}
	return o
}

type setupHarness struct {
	t    testing.TB
	s    *Setup
	scr  tcell.SimulationScreen
	done chan error
}

func newSetupHarness(t testing.TB, o nodeconfig.Options, w, h int, ascii bool) *setupHarness {
	t.Helper()
	scr := tcell.NewSimulationScreen("UTF-8")
	s := NewSetup(SetupOptions{Screen: scr, ASCII: &ascii, Node: o, Backend: SetupBackend{Now: func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }}})
	scr.SetSize(w, h) // after SetScreen's Init
	sh := &setupHarness{t: t, s: s, scr: scr, done: make(chan error, 1)}
	go func() { sh.done <- s.Run() }()
	select {
	case <-s.FirstDraw():
	case <-time.After(5 * time.Second):
		t.Fatal("no first frame")
	}
	t.Cleanup(func() {
		s.tv.Stop()
		<-sh.done
	})
	return sh
}

// key routes one key as tview's event loop does and redraws.
func (h *setupHarness) key(k tcell.Key, r rune) {
	h.s.tv.QueueUpdate(func() { routeKey(h.s.tv, h.s.outer, tcell.NewEventKey(k, r, 0)) })
}

func (h *setupHarness) press(keys ...tcell.Key) {
	for _, k := range keys {
		h.key(k, 0)
	}
}

func (h *setupHarness) typeText(s string) {
	for _, r := range s {
		h.key(tcell.KeyRune, r)
	}
}

func (h *setupHarness) screen() string {
	var out string
	h.s.tv.QueueUpdate(func() { h.s.tv.ForceDraw(); out = simText(h.scr) })
	return out
}

func (h *setupHarness) want(subs ...string) {
	h.t.Helper()
	sc := h.screen()
	for _, sub := range subs {
		if !strings.Contains(sc, sub) {
			h.t.Fatalf("screen lacks %q:\n%s", sub, sc)
		}
	}
}

// page goes to menu entry i from the menu.
func (h *setupHarness) page(i int) {
	in := false
	h.s.tv.QueueUpdate(func() { in = h.s.inPage })
	if in {
		h.press(tcell.KeyEscape)
	}
	h.key(tcell.KeyHome, 0)
	for j := 0; j < i; j++ {
		h.press(tcell.KeyDown)
	}
}

// TestSetupFirstFrame: the first frame is drawn within 100 ms of the
// console's start (reading the node included).
func TestSetupFirstFrame(t *testing.T) {
	o := setupNode(t)
	var worst time.Duration
	for i := 0; i < 5; i++ {
		scr := tcell.NewSimulationScreen("UTF-8")
		start := time.Now()
		s := NewSetup(SetupOptions{Screen: scr, Node: o})
		scr.SetSize(80, 25)
		done := make(chan error, 1)
		go func() { done <- s.Run() }()
		<-s.FirstDraw()
		took := time.Since(start)
		s.tv.Stop()
		<-done
		worst = max(worst, took)
	}
	t.Logf("first frame within %v (worst of 5)", worst)
	if worst > 100*time.Millisecond {
		t.Errorf("first frame after %v, want < 100ms", worst)
	}
}

// TestSetupScreens: every page on the simulated screen, 80x25 and 132x43
// (golden files), and one in ASCII borders (LANG=C).
func TestSetupScreens(t *testing.T) {
	o := setupNode(t)
	for _, size := range [][2]int{{80, 25}, {132, 43}} {
		h := newSetupHarness(t, o, size[0], size[1], false)
		for i, p := range h.s.pages {
			h.page(i)
			name := strings.NewReplacer(" / ", "-", " ", "-").Replace(strings.ToLower(p.title()))
			goldenScreen(t, fmt.Sprintf("setup-%s-%dx%d", name, size[0], size[1]), h.screen())
		}
	}
	h := newSetupHarness(t, o, 80, 25, true)
	goldenScreen(t, "setup-status-ascii", h.screen())
}

func TestSetupTooSmall(t *testing.T) {
	h := newSetupHarness(t, setupNode(t), 70, 20, false)
	h.want("Terminal too small", "70x20, the setup console needs 80x24")
	h.press(tcell.KeyEnter, tcell.KeyF10) // blind keys do nothing
	h.scr.SetSize(80, 25)
	h.s.tv.QueueUpdate(func() {})
	h.want("Status", "Booted slot")
}

// TestSetupNetworkSave: the Network page pre-filled from the Config
// partition; a new hostname saved with F10 writes the files.
func TestSetupNetworkSave(t *testing.T) {
	o := setupNode(t)
	h := newSetupHarness(t, o, 80, 25, false)
	h.page(1)
	h.want("192.0.2.10/24", "node1.example.org")
	h.press(tcell.KeyEnter) // into the page
	for i := 0; i < 9; i++ {
		h.press(tcell.KeyTab) // to Hostname
	}
	h.press(tcell.KeyCtrlU)
	h.typeText("node9.example.org")
	h.press(tcell.KeyF10)
	h.want("Saved:", "Not applied live")
	b, err := os.ReadFile(filepath.Join(o.Root, "etc/hostname"))
	if err != nil || string(b) != "node9.example.org\n" {
		t.Errorf("/etc/hostname = %q, %v", b, err)
	}
	// a bad address is refused on the page, nothing written
	for range 9 {
		h.press(tcell.KeyTab) // from Hostname round to the IPv4 address
	}
	h.press(tcell.KeyCtrlU)
	h.typeText("192.0.2.300/24")
	h.press(tcell.KeyF10)
	h.want("IPv4 address")
}

// TestSetupSecurity: a wrong current password is refused naming the
// field and changes nothing; the right one sets the new hash.
func TestSetupSecurity(t *testing.T) {
	o := setupNode(t)
	shadow := filepath.Join(o.Root, "etc/shadow")
	before, _ := os.ReadFile(shadow)
	h := newSetupHarness(t, o, 80, 25, false)
	h.page(3)
	h.press(tcell.KeyEnter)
	h.typeText("wrong")
	h.press(tcell.KeyTab)
	h.typeText("New-pass-22")
	h.press(tcell.KeyTab, tcell.KeyTab)
	h.typeText("New-pass-22")
	h.press(tcell.KeyF10)
	h.want("host.adminpw: the current password is wrong")
	if after, _ := os.ReadFile(shadow); string(after) != string(before) {
		t.Errorf("/etc/shadow changed")
	}
	h.press(tcell.KeyBacktab, tcell.KeyBacktab, tcell.KeyBacktab)
	h.typeText("Old-pass-1")
	h.press(tcell.KeyTab)
	h.typeText("New-pass-22")
	h.press(tcell.KeyTab, tcell.KeyTab)
	h.typeText("New-pass-22")
	h.press(tcell.KeyF10)
	h.want("Saved:")
	cfg, _ := nodeconfig.Load(o)
	if ok, _ := passwd.Check("New-pass-22", cfg.Host.AdminPW); !ok {
		t.Errorf("the new password does not check")
	}
	if strings.Contains(h.screen(), "New-pass-22") {
		t.Errorf("the password is on the screen")
	}
}

// TestSetupKeysPage: the Logging page writes the rsyslog drop-in; a bad
// value names the key.
func TestSetupKeysPage(t *testing.T) {
	o := setupNode(t)
	h := newSetupHarness(t, o, 80, 25, false)
	h.page(8)
	h.want("Logging", "logs.example.org")
	h.press(tcell.KeyEnter, tcell.KeyCtrlU)
	h.typeText("logs2.example.org:1514")
	h.press(tcell.KeyF10)
	h.want("Saved:")
	b, _ := os.ReadFile(filepath.Join(o.Root, installer.RsyslogDropIn))
	if !strings.Contains(string(b), "@@logs2.example.org:1514") {
		t.Errorf("rsyslog drop-in: %q", b)
	}
	h.press(tcell.KeyTab, tcell.KeyTab, tcell.KeyTab)
	h.typeText("hourly")
	h.press(tcell.KeyF10)
	h.want("logrotate_interval")
}

// TestSetupLock: a locked console takes only the admin password.
func TestSetupLock(t *testing.T) {
	h := newSetupHarness(t, setupNode(t), 80, 25, false)
	h.page(3)
	h.s.tv.QueueUpdate(func() { h.s.lock() })
	h.want("Console locked")
	h.typeText("nope")
	h.press(tcell.KeyEnter)
	h.want("wrong password")
	h.press(tcell.KeyF10, tcell.KeyEscape)
	h.want("Console locked")
	h.typeText("Old-pass-1")
	h.press(tcell.KeyEnter)
	if strings.Contains(h.screen(), "Console locked") {
		t.Errorf("still locked after the right password")
	}
}

// TestFetchFingerprint: the fingerprint shown is the SHA-256 of the
// certificate the manager presents.
func TestFetchFingerprint(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	got, err := fetchFingerprint(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(srv.Certificate().Raw)
	if want := strings.ToUpper(strings.Join(hexBytes(sum[:]), ":")); got != want {
		t.Errorf("fingerprint %s, want %s", got, want)
	}
	if _, err := fetchFingerprint("127.0.0.1:1"); err == nil {
		t.Error("no server: no error")
	}
}

func hexBytes(b []byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = fmt.Sprintf("%02x", x)
	}
	return out
}
