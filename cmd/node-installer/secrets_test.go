package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"node-installer/installer"
)

// TestAutoSecretArgsNeverLeave installs with a marked value in every
// secret-bearing argument real oVirt lines carry, and greps every
// output for the marks: console, install log, webhook payloads and
// every byte written to the disk (loader entry, effective config, log
// copy on the target).
func TestAutoSecretArgsNeverLeave(t *testing.T) {
	fx := newAutoFixture(t)
	h := newHook(t)
	var line []string
	for i, k := range []string{"rhevm_admin_password", "engine_admin_password", "rhn_password", "rhn_proxypassword",
		"rhn_activationkey", "cim_passwd", "snmp_password", "luks_passphrase", "api_token", "client_secret"} {
		line = append(line, fmt.Sprintf("%s=SECRETMARK%02dZ", k, i))
	}
	code, out := fx.run(t, "console=ttyS0 storage_init="+fx.disk+smallVols+" adminpw="+autoHash+
		" root=live:CDLABEL=old rootflags=ro liveimg node.webhook="+h.srv.URL+" "+strings.Join(line, " "))
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	log, _ := os.ReadFile(fx.log)
	h.mu.Lock()
	hooks, _ := json.Marshal(h.got)
	h.mu.Unlock()
	for name, s := range map[string][]byte{"console": []byte(out), "log": log, "webhook": hooks, "disk": dataOf(t, fx.disk)} {
		if bytes.Contains(s, []byte("SECRETMARK")) {
			i := bytes.Index(s, []byte("SECRETMARK"))
			t.Errorf("%s holds a secret value: ...%q...", name, s[max(0, i-80):i+12])
		}
	}
	if !bytes.Contains(log, []byte(`msg="boot parameters passed through: console=ttyS0"`)) || !bytes.Contains(log, []byte("root=live:CDLABEL=old (belongs to the boot of the live media")) {
		t.Errorf("the log does not show the live arguments dropped:\n%s", log)
	}
	if !strings.Contains(string(log), "rhn_password=***") {
		t.Errorf("the log does not list the dropped arguments (masked):\n%s", log)
	}
}

// dataOf reads the data extents of a sparse image (dataExtents).
func dataOf(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []byte
	for _, e := range dataExtents(t, f) {
		b := make([]byte, e[1]-e[0])
		if _, err := f.ReadAt(b, e[0]); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// dataExtents lists the [start, end) ranges of f that hold data
// (SEEK_DATA/SEEK_HOLE): a sparse image is read without its holes.
func dataExtents(t *testing.T, f *os.File) [][2]int64 {
	t.Helper()
	const seekData, seekHole = 3, 4
	var out [][2]int64
	for off := int64(0); ; {
		start, err := syscall.Seek(int(f.Fd()), off, seekData)
		if err != nil {
			return out // ENXIO: no data after off
		}
		end, err := syscall.Seek(int(f.Fd()), start, seekHole)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]int64{start, end})
		off = end
	}
}
