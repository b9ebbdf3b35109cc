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
	"slices"
	"syscall"
	"testing"
	"time"

	"node-installer/installer/media"

	"golang.org/x/sys/unix"
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
// (verification included), alternately, a round being one of each, and
// reports the throughputs and the median of the per-round ratios
// (slot/dd; the goal is >= 0.9). The backing file is preallocated, so
// neither side pays for block allocation, and one untimed round warms
// the caches. -benchtime 8x gives 8 rounds.
func BenchmarkSlotWriteVsDD(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: writes a loop device")
	}
	const size = 1 << 30
	const off = 4 << 20 // the slot starts 4 MiB into the device (dd seek=1 with bs=4M)
	dir := b.TempDir()
	img, mf := benchImage(b, dir, size)
	backing := filepath.Join(dir, "loop.img")
	bf, err := os.Create(backing)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Fallocate(int(bf.Fd()), 0, 0, size+2*off); err != nil {
		b.Fatal(err)
	}
	bf.Close()
	loop := engLoopDevice(b, backing)

	runDD := func() (time.Duration, time.Duration) {
		start := time.Now()
		dd := exec.Command("dd", "if="+img, "of="+loop, "bs=4M", "oflag=direct", "conv=fsync", "seek=1", "status=none")
		if out, err := dd.CombinedOutput(); err != nil {
			b.Fatalf("dd: %v: %s", err, out)
		}
		return time.Since(start), dd.ProcessState.UserTime() + dd.ProcessState.SystemTime()
	}
	runSlot := func(verify bool) (time.Duration, time.Duration) {
		start, cpu0 := time.Now(), selfCPU()
		fh, err := os.Open(img)
		if err != nil {
			b.Fatal(err)
		}
		defer fh.Close()
		var r io.Reader = fh
		mr := media.NewReader(fh, mf)
		if verify {
			r = mr
		}
		if _, err := WriteSlot(context.Background(), loop, off, size+off, r, size, nil); err != nil {
			b.Fatal(err)
		}
		if verify {
			if err := mr.Finish(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start), selfCPU() - cpu0
	}
	runDD()
	runSlot(true)

	var ddTime, slotTime, rawTime, ddCPU, slotCPU time.Duration
	var ratios []float64
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, dc := runDD()
		s, sc := runSlot(true)
		raw, _ := runSlot(false) // the I/O path alone
		ddTime, ddCPU, slotTime, slotCPU, rawTime = ddTime+d, ddCPU+dc, slotTime+s, slotCPU+sc, rawTime+raw
		ratios = append(ratios, d.Seconds()/s.Seconds())
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / (1 << 20) }
	perGiB := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) / (size >> 30) }
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + median) / 2
	}
	b.ReportMetric(mbps(ddTime), "dd-MiB/s")
	b.ReportMetric(mbps(slotTime), "slot-MiB/s")
	b.ReportMetric(mbps(rawTime), "slot-noverify-MiB/s")
	b.ReportMetric(median, "ratio")
	b.ReportMetric(perGiB(ddCPU), "dd-cpu-s/GiB")
	b.ReportMetric(perGiB(slotCPU), "slot-cpu-s/GiB")
	b.Logf("loop %s, %d rounds: dd %.0f MiB/s (%.2f CPU s/GiB), WriteSlot+SHA-256 %.0f MiB/s (%.2f CPU s/GiB), without verification %.0f MiB/s; ratio median %.2f, range %.2f-%.2f",
		loop, b.N, mbps(ddTime), perGiB(ddCPU), mbps(slotTime), perGiB(slotCPU), mbps(rawTime), median, ratios[0], ratios[len(ratios)-1])
}

// selfCPU is the CPU time (user+system) of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
