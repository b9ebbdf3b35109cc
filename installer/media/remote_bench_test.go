package media

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRemoteStream reads a 512 MiB file through the verifying Reader
// from an HTTP server on loopback and from the local file, alternately,
// and reports both throughputs: what fetching the bundle over the network
// costs beyond the hash, the network itself aside.
func BenchmarkRemoteStream(b *testing.B) {
	const size = 512 << 20
	dir := b.TempDir()
	p := filepath.Join(dir, "root.squashfs")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8([32]byte{'r'}), size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	file := File{Name: "root.squashfs", Role: RoleRootfs, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	rm := Remote{}.withDefaults()
	buf := make([]byte, 4<<20)
	drain := func(r *Reader) {
		defer r.Close()
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			b.Fatal(err)
		}
	}
	var local, remote time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fh, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		drain(NewReader(fh, file))
		local += time.Since(start)
		start = time.Now()
		drain(NewReader(rm.open(srv.URL+"/root.squashfs", size), file))
		remote += time.Since(start)
	}
	mibs := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / (1 << 20) }
	b.ReportMetric(mibs(local), "local-MiB/s")
	b.ReportMetric(mibs(remote), "http-MiB/s")
}
