package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

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
