package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"node-installer/installer/media"
)

// benchImage writes size pseudo-random (incompressible) bytes and returns
// the path and the manifest entry.
func benchImage(b *testing.B, dir string, size int64) (string, media.File) {
	b.Helper()
	p := filepath.Join(dir, "root.squashfs")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, size); err != nil {
		b.Fatal(err)
	}
	return p, media.File{Name: "root.squashfs", Role: media.RoleRootfs, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
}

// BenchmarkSlotWriteVsDD writes the same 1 GiB image into the same loop
// device with `dd bs=4M oflag=direct conv=fsync` and with WriteSlot
// (verification included), alternately, and reports both throughputs
// and their ratio (slot/dd; the goal is >= 0.9).
func BenchmarkSlotWriteVsDD(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: writes a loop device")
	}
	const size = 1 << 30
	const off = 4 << 20 // the slot starts 4 MiB into the device (dd seek=1 with bs=4M)
	dir := b.TempDir()
	img, mf := benchImage(b, dir, size)
	backing := filepath.Join(dir, "loop.img")
	if err := os.WriteFile(backing, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Truncate(backing, size+2*off); err != nil {
		b.Fatal(err)
	}
	loop := engLoopDevice(b, backing)
	var ddTime, slotTime, rawTime time.Duration
	var ddCPU, slotCPU time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		dd := exec.Command("dd", "if="+img, "of="+loop, "bs=4M", "oflag=direct", "conv=fsync", "seek=1", "status=none")
		if out, err := dd.CombinedOutput(); err != nil {
			b.Fatalf("dd: %v: %s", err, out)
		}
		ddTime += time.Since(start)
		ddCPU += dd.ProcessState.UserTime() + dd.ProcessState.SystemTime()

		start, cpu0 := time.Now(), selfCPU()
		fh, err := os.Open(img)
		if err != nil {
			b.Fatal(err)
		}
		r := media.NewReader(fh, mf)
		if _, err := WriteSlot(context.Background(), loop, off, size+off, r, size, nil); err != nil {
			b.Fatal(err)
		}
		if err := r.Finish(); err != nil {
			b.Fatal(err)
		}
		r.Close()
		slotTime += time.Since(start)
		slotCPU += selfCPU() - cpu0

		// The same write without verification: the I/O path alone.
		start = time.Now()
		fh, _ = os.Open(img)
		if _, err := WriteSlot(context.Background(), loop, off, size+off, fh, size, nil); err != nil {
			b.Fatal(err)
		}
		fh.Close()
		rawTime += time.Since(start)
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / (1 << 20) }
	perGiB := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) / (size >> 30) }
	b.ReportMetric(mbps(ddTime), "dd-MiB/s")
	b.ReportMetric(mbps(slotTime), "slot-MiB/s")
	b.ReportMetric(mbps(rawTime), "slot-noverify-MiB/s")
	ratio := mbps(slotTime) / mbps(ddTime)
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(perGiB(ddCPU), "dd-cpu-s/GiB")
	b.ReportMetric(perGiB(slotCPU), "slot-cpu-s/GiB")
	b.Logf("loop %s: dd %.0f MiB/s (%.2f CPU s/GiB), WriteSlot+SHA-256 %.0f MiB/s (%.2f CPU s/GiB), without verification %.0f MiB/s; ratio %s",
		loop, mbps(ddTime), perGiB(ddCPU), mbps(slotTime), perGiB(slotCPU), mbps(rawTime), strconv.FormatFloat(ratio, 'f', 2, 64))
}

// selfCPU is the CPU time (user+system) of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
