package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestTUIPrefill: defaults < answer file < kernel arguments, as the TUI
// pre-fills its pages.
func TestTUIPrefill(t *testing.T) {
	answer := filepath.Join(t.TempDir(), "answer.yaml")
	if err := os.WriteFile(answer, []byte("host:\n  keyboard: fr\nnetwork:\n  hostname: from-file\n  dns: [192.0.2.2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ps := loadConfig("node.config="+answer+" hostname=from-args", nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	if cfg.Network.Hostname != "from-args" || cfg.Host.Keyboard != "fr" || len(cfg.Network.DNS) != 1 || cfg.Network.DNS[0].String() != "192.0.2.2" {
		t.Errorf("hostname %q keyboard %q dns %v: want the kernel's hostname over the file's, the file's keyboard and DNS",
			cfg.Network.Hostname, cfg.Host.Keyboard, cfg.Network.DNS)
	}

	_, ps = loadConfig("node.config="+filepath.Join(t.TempDir(), "missing.yaml"), nil)
	if len(ps) != 1 || ps[0].Arg != "node.config" {
		t.Errorf("missing answer file: problems %v, want one naming node.config", ps)
	}
	// A remote answer file (served on loopback) pre-fills the TUI too.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cfg/from-args.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("host:\n  keyboard: fr\nnetwork:\n  ntp: [ntp.example.org]\n"))
	}))
	defer srv.Close()
	cfg, ps = loadConfig("node.config="+srv.URL+"/cfg/${hostname}.yaml hostname=from-args keyboard=de", nil)
	if len(ps) > 0 || cfg.Host.Keyboard != "de" || len(cfg.Network.NTP) != 1 || cfg.Network.NTP[0] != "ntp.example.org" {
		t.Errorf("remote answer file: %v keyboard %q ntp %v, want the kernel's keyboard and the file's NTP", ps, cfg.Host.Keyboard, cfg.Network.NTP)
	}
	if _, ps = loadConfig("node.config="+srv.URL+"/cfg/${hostname}.yaml hostname=other", nil); len(ps) != 1 || ps[0].Arg != "node.config" {
		t.Errorf("remote answer file not found: problems %v, want one naming node.config", ps)
	}
}

// TestPrepareDemo: sparse image files and the demo bundle, nothing else.
func TestPrepareDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	d, disks, err := prepareDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d != dir || len(disks) != 2 {
		t.Fatalf("dir %s disks %v", d, disks)
	}
	for i, p := range disks {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if min := []int64{32 << 30, 16 << 30}[i]; st.Size() < min {
			t.Errorf("%s: %d bytes, want at least %d", p, st.Size(), min)
		}
		// Sparse: the 48 GiB cost (almost) no disk space.
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Blocks*512 > 1<<20 {
			t.Errorf("%s uses %d bytes on disk: not sparse", p, sys.Blocks*512)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "media", "manifest.json")); err != nil {
		t.Errorf("no demo bundle: %v", err)
	}
	// Running it again keeps what is there (a second demo run upgrades or repairs).
	if _, _, err := prepareDemo(dir); err != nil {
		t.Errorf("second prepare: %v", err)
	}
}
