package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
)

const autoHash = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"

// hook is a loopback webhook receiver.
type hook struct {
	mu  sync.Mutex
	got []event.Payload
	srv *httptest.Server
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p event.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for _, p := range h.got {
		if p.Event != "progress" && p.Event != "log" {
			names = append(names, p.Event)
		}
	}
	return names
}

func (h *hook) last() event.Payload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[len(h.got)-1]
}

type autoFixture struct {
	dir, disk, bundle, log string
}

func newAutoFixture(t *testing.T) autoFixture {
	t.Helper()
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("needs mkfs.ext4 (test/deps.sh installs it)")
	}
	dir := t.TempDir()
	fx := autoFixture{dir: dir, disk: filepath.Join(dir, "disk.img"), bundle: filepath.Join(dir, "media"), log: filepath.Join(dir, "install.log")}
	if err := media.BuildDemo(fx.bundle, "2.0.1"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(fx.disk)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(4 << 30)
	f.Close()
	return fx
}

func (fx autoFixture) run(t *testing.T, cmdline string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code, _ := autoMain([]string{"--cmdline", cmdline, "--media", fx.bundle, "--disk", fx.disk, "--log", fx.log}, &out, &out)
	return code, out.String()
}

const smallVols = " storage_vol=128:0:1024:16:256:-1"

func TestAutoInstallsImage(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	code, out := fx.run(t, "console=ttyS0 storage_init="+fx.disk+smallVols+" adminpw="+autoHash+
		" hostname=node7.example.org node.webhook="+h.srv.URL)
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "saltsalt") {
		t.Errorf("the password hash reached the console:\n%s", out)
	}
	if !strings.Contains(out, "[100%] installed node 2.0.1 on "+fx.disk) {
		t.Errorf("no final line:\n%s", out)
	}
	rep := storage.Inspect(fx.disk)
	if rep.Installation == nil || rep.Installation.NotFinished || len(rep.Installation.Slots) == 0 || rep.Installation.Slots[0].Version != "2.0.1" {
		t.Errorf("inspect: %s", rep.Text())
	}
	ev := h.events()
	for len(ev) > 0 && ev[0] == "warning" {
		ev = ev[1:] // the plan's (this machine's CPU, IOMMU, links) come first
	}
	if len(ev) < 3 || ev[0] != "started" || ev[len(ev)-1] != "succeeded" {
		t.Errorf("webhook events %v, want started ... succeeded", ev)
	}
	if last := h.last(); last.Percent != 100 || last.Node["hostname"] != "node7.example.org" {
		t.Errorf("last webhook payload %+v", last)
	}
	log, _ := os.ReadFile(fx.log)
	if !strings.Contains(string(log), "root-image") || strings.Contains(string(log), "saltsalt") {
		t.Errorf("log file lacks the steps or holds the hash:\n%s", log)
	}
}

func TestAutoRefusesInvalidArgumentsWritingNothing(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	code, out := fx.run(t, "storage_init="+fx.disk+" adminpw=plaintext storage_vol=128:0:1024:16:256:-1 node.after=sleep node.webhook="+h.srv.URL)
	if code != installer.ExitInvalid {
		t.Fatalf("exit %d, want %d:\n%s", code, installer.ExitInvalid, out)
	}
	for _, want := range []string{"adminpw", "node.after", "nothing was written"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "plaintext") {
		t.Errorf("the plain password was echoed:\n%s", out)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(fx.disk, &st); err != nil || st.Blocks != 0 {
		t.Errorf("disk image has %d blocks allocated: written despite the problems", st.Blocks)
	}
	if ev := h.events(); len(ev) == 0 || ev[len(ev)-1] != "failed" || !strings.Contains(h.last().Error, "node.after") {
		t.Errorf("webhook events %v, last %+v: want failed naming the problems", ev, h.last())
	}
}

func TestAutoCorruptImageFailsBeforeBootEntry(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	root := filepath.Join(fx.bundle, "root.squashfs")
	f, _ := os.OpenFile(root, os.O_RDWR, 0)
	f.WriteAt([]byte{0x55}, 1<<20)
	f.Close()
	code, out := fx.run(t, "storage_init="+fx.disk+smallVols+" node.webhook="+h.srv.URL)
	if code != installer.ExitVerify {
		t.Fatalf("exit %d, want %d:\n%s", code, installer.ExitVerify, out)
	}
	if !strings.Contains(out, "--- last lines of") || !strings.Contains(out, "has BLAKE3") {
		t.Errorf("failure output lacks the log tail or the cause:\n%s", out)
	}
	rep := storage.Inspect(fx.disk)
	if rep.Installation == nil || !rep.Installation.NotFinished {
		t.Errorf("inspect does not report the disk as not finished:\n%s", rep.Text())
	}
	for _, s := range rep.Installation.Slots {
		if s.Default || s.Version != "" {
			t.Errorf("slot %+v has a boot entry after a failed verification", s)
		}
	}
	last := h.last()
	if last.Event != "failed" || len(last.LogTail) == 0 || !strings.Contains(last.Error, "has BLAKE3") {
		t.Errorf("webhook last %+v: want failed with the error and the log tail", last)
	}
}

func TestAutoExitCodes(t *testing.T) {
	fx := newAutoFixture(t)
	empty := httptest.NewServer(http.NotFoundHandler()) // loopback: answers 404 to everything
	defer empty.Close()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no action", []string{"--cmdline", "console=ttyS0 quiet", "--disk", fx.disk, "--log", fx.log}, installer.ExitNoAction},
		{"missing media", []string{"--cmdline", "storage_init=" + fx.disk + smallVols, "--media", filepath.Join(fx.dir, "nope"), "--disk", fx.disk, "--log", fx.log}, installer.ExitMedia},
		{"media URL without a bundle", []string{"--cmdline", "storage_init=" + fx.disk + smallVols + " node.media=" + empty.URL + "/b/", "--disk", fx.disk, "--log", fx.log}, installer.ExitMedia},
		{"answer file URL not found", []string{"--cmdline", "storage_init=" + fx.disk + smallVols + " node.config=" + empty.URL + "/${hostname}.yaml hostname=n1", "--media", fx.bundle, "--disk", fx.disk, "--log", fx.log}, installer.ExitInvalid},
		{"bad flag", []string{"--bogus"}, installer.ExitUsage},
		{"stray argument", []string{"storage_init"}, installer.ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code, _ := autoMain(tt.args, &out, &out); code != tt.want {
				t.Errorf("exit %d, want %d:\n%s", code, tt.want, out.String())
			}
		})
	}
	var st syscall.Stat_t
	if err := syscall.Stat(fx.disk, &st); err != nil || st.Blocks != 0 {
		t.Errorf("disk image has %d blocks allocated", st.Blocks)
	}
}

func TestPID1AfterAction(t *testing.T) {
	for after, power := range map[string]bool{"": true, "reboot": true, "poweroff": true, "halt": true, "shell": false} {
		if _, ok := pid1AfterOf(after); ok != power {
			t.Errorf("node.after=%q: power action %v, want %v", after, ok, power)
		}
	}
}

// TestAutoLifecycle runs install, upgrade and uninstall through auto.
func TestAutoLifecycle(t *testing.T) {
	fx := newAutoFixture(t)
	if code, out := fx.run(t, "storage_init="+fx.disk+smallVols); code != installer.ExitOK {
		t.Fatalf("install: exit %d:\n%s", code, out)
	}
	if err := media.BuildDemo(fx.bundle, "2.1.0"); err != nil {
		t.Fatal(err)
	}
	if code, out := fx.run(t, "upgrade"); code != installer.ExitOK {
		t.Fatalf("upgrade: exit %d:\n%s", code, out)
	}
	rep := storage.Inspect(fx.disk)
	versions := map[string]string{}
	for _, s := range rep.Installation.Slots {
		versions[s.Name] = s.Version
	}
	if versions["A"] != "2.0.1" || versions["B"] != "2.1.0" {
		t.Errorf("after upgrade slots %v, want A 2.0.1 and B 2.1.0:\n%s", versions, rep.Text())
	}
	if code, out := fx.run(t, "uninstall storage_init="+fx.disk); code != installer.ExitOK {
		t.Fatalf("uninstall: exit %d:\n%s", code, out)
	}
	if rep := storage.Inspect(fx.disk); rep.Installation != nil || rep.Table != "" {
		t.Errorf("after uninstall:\n%s", rep.Text())
	}
}

func TestDefaultCommand(t *testing.T) {
	tests := []struct{ cmdline, want string }{
		{"BOOT_IMAGE=/vmlinuz console=ttyS0 quiet\n", "tui"},
		{"install", "tui"},
		{"storage_init=/dev/vda adminpw=$6$x$y", "auto"},
		{"storage_init", "auto"},
		{"reinstall storage_init=/dev/sda", "auto"},
		{"upgrade", "auto"},
		{"uninstall", "auto"},
		{"", "tui"},
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"install.yaml": "action: install\n", "tui.yaml": "network:\n  hostname: n1\n", "bad.yaml": "bogus: 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests = append(tests, []struct{ cmdline, want string }{
		{"node.config=" + dir + "/install.yaml", "auto"}, // the Automated entry of boot media
		{"node.config=" + dir + "/tui.yaml", "tui"},      // names no action
		{"node.config=" + dir + "/bad.yaml", "auto"},     // auto says what is wrong
		{"node.config=" + dir + "/missing.yaml", "auto"},
		{"node.config=http://192.0.2.1/node.yaml", "auto"},
	}...)
	for _, tt := range tests {
		if got := defaultCommand(tt.cmdline, nil); got != tt.want {
			t.Errorf("defaultCommand(%q) = %s, want %s", tt.cmdline, got, tt.want)
		}
	}
}

// TestAutoOverHTTP is a PXE-style run: the answer file and the media
// bundle both come from an HTTP server (on loopback), the answer file's
// URL built from the hostname placeholder.
func TestAutoOverHTTP(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", http.FileServer(http.Dir(fx.bundle))))
	mux.HandleFunc("/cfg/node9.example.org.yaml", func(w http.ResponseWriter, r *http.Request) {
		// The webhook is only in the answer file; the hostname it sets is
		// overridden by the kernel argument.
		fmt.Fprintf(w, "network:\n  hostname: from-answer.example.org\nunattended:\n  webhook: %s\n", h.srv.URL)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var out bytes.Buffer
	code, _ := autoMain([]string{"--cmdline", "storage_init=" + fx.disk + smallVols + " adminpw=" + autoHash +
		" hostname=node9.example.org node.config=" + srv.URL + "/cfg/${hostname}.yaml node.media=" + srv.URL + "/media/",
		"--disk", fx.disk, "--log", fx.log}, &out, &out)
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	rep := storage.Inspect(fx.disk)
	if rep.Installation == nil || rep.Installation.NotFinished || rep.Installation.Slots[0].Version != "2.0.1" {
		t.Errorf("inspect: %s", rep.Text())
	}
	ev := h.events()
	if len(ev) < 3 || ev[len(ev)-1] != "succeeded" {
		t.Fatalf("webhook from the answer file got %v", ev)
	}
	if last := h.last(); last.Node["hostname"] != "node9.example.org" {
		t.Errorf("hostname %q, want the kernel argument's", last.Node["hostname"])
	}
}

// TestAutoAnswerFromVolume: no action on the kernel command line; a disk
// image holding an ext4 filesystem labelled NODECFG carries the answer
// file, which names the action, the disk and the webhook. The volume is
// only mounted read-only: its bytes are unchanged.
func TestAutoAnswerFromVolume(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts the NODECFG volume (a loop device)")
	}
	fx := newAutoFixture(t)
	h := newHook(t)
	src := filepath.Join(fx.dir, "nodecfg")
	os.Mkdir(src, 0o755)
	answer := fmt.Sprintf("action: install\nstorage:\n  init: true\n  disks: [{path: %s}]\n  volumes: {EFI: 128, Swap: 0, Root: 1024, Config: 16, Logging: 256, Data: -1}\n"+
		"host:\n  adminpw: %q\nnetwork:\n  hostname: vol.example.org\nunattended:\n  webhook: %s\n", fx.disk, autoHash, h.srv.URL)
	os.WriteFile(filepath.Join(src, installer.ConfigVolumeFile), []byte(answer), 0o644)
	vol := filepath.Join(fx.dir, "nodecfg.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-L", installer.ConfigVolumeLabel, "-d", src, vol, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	before := fileSum(t, vol)
	if got := defaultCommand("console=ttyS0", func() (installer.Facts, error) { return autoFacts("", []string{fx.disk, vol}) }); got != "auto" {
		t.Errorf("defaultCommand with a NODECFG volume = %s, want auto", got)
	}
	var out bytes.Buffer
	code, _ := autoMain([]string{"--cmdline", "console=ttyS0", "--media", fx.bundle, "--disk", fx.disk, "--disk", vol, "--log", fx.log}, &out, &out)
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "answer file: node-config.yaml on the NODECFG volume "+vol) {
		t.Errorf("the console does not say where the answer file came from:\n%s", out.String())
	}
	if rep := storage.Inspect(fx.disk); rep.Installation == nil || rep.Installation.NotFinished {
		t.Errorf("inspect: %s", rep.Text())
	}
	if ev := h.events(); len(ev) == 0 || ev[len(ev)-1] != "succeeded" || h.last().Node["hostname"] != "vol.example.org" {
		t.Errorf("webhook of the answer file: events %v, last %+v", ev, h.last())
	}
	if fileSum(t, vol) != before {
		t.Error("the NODECFG volume changed")
	}
	// Never a target, even when named with reinstall.
	var pout, perr bytes.Buffer
	if code := planMain([]string{"--disk", vol, "--cmdline", "reinstall storage_init=" + vol}, &pout, &perr); code != 1 || !strings.Contains(pout.String(), "NODECFG answer file volume") {
		t.Errorf("plan naming the NODECFG volume: exit %d, want 1 with the reason:\n%s%s", code, pout.String(), perr.String())
	}

	// A NODECFG volume without the answer file stops the run before any write.
	os.Remove(filepath.Join(src, installer.ConfigVolumeFile))
	os.WriteFile(filepath.Join(src, "other.txt"), []byte("x"), 0o644)
	os.Remove(vol)
	exec.Command("mkfs.ext4", "-q", "-L", installer.ConfigVolumeLabel, "-d", src, vol, "8M").Run()
	fresh := filepath.Join(fx.dir, "fresh.img")
	os.WriteFile(fresh, nil, 0o644)
	os.Truncate(fresh, 4<<30)
	out.Reset()
	code, _ = autoMain([]string{"--cmdline", "storage_init=" + fresh + smallVols, "--media", fx.bundle, "--disk", fresh, "--disk", vol, "--log", fx.log}, &out, &out)
	if code != installer.ExitInvalid || !strings.Contains(out.String(), "no node-config.yaml at its root") {
		t.Errorf("exit %d, want %d naming the missing file:\n%s", code, installer.ExitInvalid, out.String())
	}
	var st syscall.Stat_t
	if err := syscall.Stat(fresh, &st); err != nil || st.Blocks != 0 {
		t.Errorf("the disk got %d blocks written", st.Blocks)
	}
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}
