package bootmedia

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func certPEM(t *testing.T, isCA bool) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestCAImage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := certPEM(t, true)
	good := write("ca.pem", append(append([]byte{}, ca...), certPEM(t, true)...))
	img, err := CAImage(good)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := CAImage(good); !bytes.Equal(img, again) {
		t.Error("CAImage of one file gave two different images")
	}
	for _, c := range []struct{ name, path, want string }{
		{"leaf", write("leaf.pem", certPEM(t, false)), "is not a CA certificate"},
		{"key", write("key.pem", append(ca, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...)), "never a private key"},
		{"empty", write("empty.pem", nil), "no PEM certificate"},
		{"garbage", write("bad.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")})), "certificate 1"},
		{"missing", filepath.Join(dir, "gone.pem"), "gone.pem"},
	} {
		if _, err := CAImage(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
