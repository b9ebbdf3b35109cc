package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"node-installer/installer"
	"node-installer/network"
	"node-installer/storage"
)

// TestAutoAnswerFromDHCP: no action and no node.config on the kernel
// command line; the live network's lease carries DHCP option 250 with
// the answer file's URL, which names the action, the disk, the media and
// the done callback. `node-installer` without arguments runs auto, auto
// says where the answer came from (token masked) and installs.
func TestAutoAnswerFromDHCP(t *testing.T) {
	fx := newAutoFixture(t)
	old := leasesPath
	leasesPath = filepath.Join(t.TempDir(), "leases.json")
	t.Cleanup(func() { leasesPath = old })
	var done calls
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", http.FileServer(http.Dir(fx.bundle))))
	mux.HandleFunc("/built", func(w http.ResponseWriter, r *http.Request) { done.add(r) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/answers/node.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "action: install\nstorage:\n  init: true\n  disks: [{path: %s}]\n  volumes: {EFI: 128, Swap: 0, Root: 1024, Config: 16, Logging: 256, Data: -1}\n"+
			"host:\n  adminpw: %q\nunattended:\n  media: %s/media/\n  done_url: [%s/built]\n", fx.disk, autoHash, srv.URL, srv.URL)
	})
	if defaultCommand("console=ttyS0", nil) != "tui" {
		t.Fatal("without a lease, no action means the TUI")
	}
	if err := saveLeases([]network.Lease{{Iface: "eth0", Family: 4}, {Iface: "eth1", Family: 4, AnswerURL: srv.URL + "/answers/node.yaml?token=tok3n"}}); err != nil {
		t.Fatal(err)
	}
	if got := defaultCommand("console=ttyS0", nil); got != "auto" {
		t.Errorf("a lease naming an answer file: default command %q, want auto", got)
	}
	var out bytes.Buffer
	code, _ := autoMain([]string{"--cmdline", "console=ttyS0", "--disk", fx.disk, "--log", fx.log}, &out, &out)
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "answer file: DHCP option 250 (lease on eth1): "+srv.URL+"/answers/node.yaml?***") || strings.Contains(out.String(), "tok3n") {
		t.Errorf("auto does not say where the answer came from, or shows its token:\n%s", out.String())
	}
	rep := storage.Inspect(fx.disk)
	if rep.Installation == nil || rep.Installation.NotFinished {
		t.Errorf("inspect: %s", rep.Text())
	}
	if reqs, _, _, _ := done.snapshot(); len(reqs) != 1 {
		t.Errorf("done callback of the discovered answer file: %q", reqs)
	}

	// A URL that answers 404 is a problem naming the lease; nothing written.
	saveLeases([]network.Lease{{Iface: "eth1", Family: 4, AnswerURL: srv.URL + "/answers/missing.yaml"}})
	out.Reset()
	code, _ = autoMain([]string{"--cmdline", "console=ttyS0", "--disk", fx.disk, "--log", fx.log}, &out, &out)
	if code != installer.ExitInvalid || !strings.Contains(out.String(), "DHCP option 250 (lease on eth1)") {
		t.Errorf("a missing discovered answer file: exit %d:\n%s", code, out.String())
	}
}

// TestDiscoveredAnswerTXT: a lease without option 250 but with a domain:
// the URL comes from the TXT record _node-installer.DOMAIN, served by a
// real dnsmasq on loopback; a record that is no URL, or none, gives none.
func TestDiscoveredAnswerTXT(t *testing.T) {
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		t.Skip("needs dnsmasq (test/deps.sh installs dnsmasq-base)")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
		"--listen-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--pid-file="+filepath.Join(dir, "pid"), "--user=root", "--group=root",
		"--txt-record=_node-installer.test.lan,http://192.0.2.1/answers/node.yaml",
		"--txt-record=_node-installer.other.lan,not a url")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", fmt.Sprintf("127.0.0.1:%d", port))
	}}
	oldL, oldP, oldT := lookupTXT, leasesPath, txtTimeout
	lookupTXT, leasesPath, txtTimeout = r.LookupTXT, filepath.Join(dir, "leases.json"), 2*time.Second
	t.Cleanup(func() { lookupTXT, leasesPath, txtTimeout = oldL, oldP, oldT })
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := r.LookupTXT(context.Background(), "_node-installer.test.lan"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("dnsmasq does not answer: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []struct{ domain, url, from string }{
		{"test.lan", "http://192.0.2.1/answers/node.yaml", "DNS TXT _node-installer.test.lan"},
		{"other.lan", "", ""},
		{"missing.lan", "", ""},
	} {
		saveLeases([]network.Lease{{Iface: "eth0", Family: 4, Domain: c.domain}})
		if u, from := discoveredAnswer(); u != c.url || from != c.from {
			t.Errorf("domain %s: %q from %q, want %q from %q", c.domain, u, from, c.url, c.from)
		}
	}
	saveLeases([]network.Lease{{Iface: "eth0", Family: 4, Domain: "test.lan", AnswerURL: "http://192.0.2.9/opt250.yaml"}})
	if u, _ := discoveredAnswer(); u != "http://192.0.2.9/opt250.yaml" {
		t.Errorf("option 250 does not win over the TXT record: %q", u)
	}
}
