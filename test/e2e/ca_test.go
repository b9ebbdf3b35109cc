//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"node-installer/test/vm"
)

// testCA makes a CA and a server certificate it signs for the guest's
// view of the host (vm.UserNetHost); it returns the CA's PEM and the
// server's TLS certificate.
func testCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node e2e test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: vm.UserNetHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP(vm.UserNetHost), net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMediaCA: the answer file comes from an https server whose
// certificate a private CA signed. The ISO without the CA refuses it
// (unknown authority) and writes nothing; `media customize --ca` embeds
// the CA and the same boot installs.
func TestMediaCA(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	t.Parallel()
	e.needCommand(t, "media", "media customize --ca")
	m := e.media(t)
	caPEM, cert := testCA(t)
	var fetched atomic.Int32
	answer := "action: install\nstorage:\n  init: true\n  disks: [{path: /dev/vda}]\nhost:\n  adminpw: '" + adminHash + "'\n"
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/answer.yaml" {
			fetched.Add(1)
			w.Write([]byte(answer))
			return
		}
		http.NotFound(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	url := "https://" + vm.UserNetHost + ":" + srv.URL[strings.LastIndex(srv.URL, ":")+1:] + "/answer.yaml"
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	plain, withCA := filepath.Join(dir, "plain.iso"), filepath.Join(dir, "ca.iso")
	sh(t, e.binary, "media", "customize", m.ISO, "--out", plain, "--karg", "node.config="+url, "--karg", "node.after=poweroff", "--timeout", "1")
	sh(t, e.binary, "media", "customize", plain, "--out", withCA, "--ca", caFile)

	var blank string
	run := func(name, iso string) (*vm.Result, string) {
		disk := filepath.Join(t.TempDir(), "disk.img")
		if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
			t.Fatal(err)
		}
		blank, _ = vm.Digest(disk)
		res, _ := boot(t, vm.Machine{Name: name, UEFI: true, CDROM: iso, Disks: []vm.Disk{{Path: disk, Serial: "NODE0010"}},
			Timeout: 4 * time.Minute, StopOn: append([]string{"The node stays here", "Welcome"}, vm.DefaultStopOn...),
			Extra: vm.UserNetArgs})
		return res, disk
	}
	res, disk := run("media-https-noca", plain)
	if res.StoppedOn != "The node stays here" || res.Find(regexp.MustCompile(`certificate signed by unknown authority`)) == nil {
		t.Errorf("without the CA: %s, want the installer to refuse the https answer file for its unknown authority; last lines:\n%s", res.Summary(), res.Tail(30))
	}
	if after, _ := vm.Digest(disk); after != blank {
		t.Errorf("without the CA the disk was written: digest %s -> %s", blank, after)
	}
	if fetched.Load() != 0 {
		t.Errorf("the answer file was served %d times without a trusted connection", fetched.Load())
	}
	res, disk = run("media-https-ca", withCA)
	if res.TimedOut || res.StoppedOn != "" || res.ExitCode != 0 {
		t.Fatalf("with the CA the installer must fetch the answer file, install and power off: %s; last lines:\n%s", res.Summary(), res.Tail(40))
	}
	if fetched.Load() == 0 {
		t.Error("the server never served the answer file")
	}
	e.checkInstalled(t, disk)
}
