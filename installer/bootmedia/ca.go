package bootmedia

import (
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"node-installer/installer/media"
	"node-installer/internal/live"
)

// CAPath is where the CA initrd puts the certificate in the live
// system: Go's TLS client (node.config, node.media over https) reads
// every file of /etc/ssl/certs as trusted roots.
const CAPath = "etc/ssl/certs/node-media-ca.pem"

// caMax bounds a CA file: a few certificates.
const caMax = 1 << 20

// CAImage reads the PEM file at path (every block a CA certificate that
// parses) and returns the initrd that adds it to the live system. The
// bytes depend only on the file (no times): customize twice is once.
func CAImage(path string) ([]byte, error) {
	data, err := media.ReadSmall(path, caMax)
	if err != nil {
		return nil, fmt.Errorf("--ca %s: %w", path, err)
	}
	n := 0
	for rest := data; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("--ca %s: a %s block: want only CERTIFICATE blocks (never a private key)", path, blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--ca %s: certificate %d: %w", path, n+1, err)
		}
		if !c.IsCA {
			return nil, fmt.Errorf("--ca %s: certificate %d (%s) is not a CA certificate", path, n+1, c.Subject)
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--ca %s: no PEM certificate in it", path)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	cw := live.NewCPIOWriter(zw)
	if err := cw.Bytes(CAPath, 0o644, data); err != nil {
		return nil, err
	}
	if err := cw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
