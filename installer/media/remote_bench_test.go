package media

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkRemoteStream reads a 512 MiB file through the verifying Reader
// (BLAKE3, as the manifests media.Create writes) from an HTTP server on
// loopback and from the local file, and fetches it with `curl -o
// /dev/null` from the same server, round after round. It reports the
// throughputs and the median of the per-round ratios of the verified
// HTTP stream to curl (issue target: at least 0.9), hashed in the reading
// goroutine (http) and beside it as the slot writer does (http-split).
func BenchmarkRemoteStream(b *testing.B) {
	const size = 512 << 20
	dir := b.TempDir()
	p := filepath.Join(dir, "root.squashfs")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.NewChaCha8([32]byte{'r'}), size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fh, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	_, sha, b3, err := sums(fh)
	fh.Close()
	if err != nil {
		b.Fatal(err)
	}
	file := File{Name: "root.squashfs", Role: RoleRootfs, Size: size, SHA256: sha, BLAKE3: b3}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	curl, _ := exec.LookPath("curl")
	rm := Remote{}.withDefaults()
	buf := make([]byte, 4<<20)
	// 4 MiB reads, as the slot writer's (io.Copy to io.Discard would
	// read 8 KiB at a time).
	drain := func(r *Reader) {
		defer r.Close()
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				return
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	// split reads the raw stream into a ring of 4 MiB buffers and hashes
	// each in a goroutine of its own while the next is read, as the slot
	// writer does (Reader.Split).
	split := func(r *Reader) {
		defer r.Close()
		raw, v := r.Split()
		const depth = 4
		ring := make([][]byte, depth)
		for i := range ring {
			ring[i] = make([]byte, 4<<20)
		}
		full, free := make(chan []byte, depth), make(chan []byte, depth)
		for _, b := range ring {
			free <- b
		}
		done := make(chan error, 1)
		go func() {
			for buf := range full {
				v.Write(buf)
				free <- buf[:cap(buf)]
			}
			done <- v.Check()
		}()
		for {
			buf := <-free
			n, err := io.ReadFull(raw, buf)
			if n > 0 {
				full <- buf[:n]
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		close(full)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	var local, remote, remoteSplit, viaCurl time.Duration
	var splitRatios []float64
	var ratios []float64
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
		r := time.Since(start)
		remote += r
		start = time.Now()
		split(NewReader(rm.open(srv.URL+"/root.squashfs", size), file))
		rs := time.Since(start)
		remoteSplit += rs
		if curl != "" {
			start = time.Now()
			if out, err := exec.Command(curl, "-sSf", "-o", "/dev/null", srv.URL+"/root.squashfs").CombinedOutput(); err != nil {
				b.Fatalf("curl: %v: %s", err, out)
			}
			c := time.Since(start)
			viaCurl += c
			ratios = append(ratios, c.Seconds()/r.Seconds())
			splitRatios = append(splitRatios, c.Seconds()/rs.Seconds())
		}
	}
	mibs := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / (1 << 20) }
	b.ReportMetric(mibs(local), "local-MiB/s")
	b.ReportMetric(mibs(remote), "http-MiB/s")
	b.ReportMetric(mibs(remoteSplit), "http-split-MiB/s")
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		b.ReportMetric(mibs(viaCurl), "curl-MiB/s")
		b.ReportMetric(ratios[len(ratios)/2], "http/curl")
		sort.Float64s(splitRatios)
		b.ReportMetric(splitRatios[len(splitRatios)/2], "http-split/curl")
	}
}
