package installer

import (
	"context"
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
// the path and the manifest entry (SHA-256 and BLAKE3).
func benchImage(b *testing.B, dir string, size int64) (string, media.File) {
	b.Helper()
	p := filepath.Join(dir, "root.squashfs")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	src := rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'})
	if _, err := io.CopyN(f, src, size); err != nil {
		b.Fatal(err)
	}
	mf, err := media.Describe(dir, "root.squashfs", media.RoleRootfs)
	if err != nil {
		b.Fatal(err)
	}
	return p, mf
}

// BenchmarkSlotWriteVsDD writes the same 1 GiB image into the same loop
// device with `dd bs=4M oflag=direct conv=fsync` and with WriteSlot
// (verification included: BLAKE3, and SHA-256 for comparison), a round
// being one of each, and reports the throughputs and the median of the
// per-round ratios (slot/dd; the goal is >= 0.95). The backing file is
// preallocated, so neither side pays for block allocation, and one
// untimed round warms the caches. Run on a loop device of the page cache
// and on one with --direct-io=on. -benchtime 8x gives 8 rounds.
func BenchmarkSlotWriteVsDD(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: writes a loop device")
	}
	const size = 1 << 30
	dir := b.TempDir()
	img, mf := benchImage(b, dir, size)
	for _, mode := range []struct{ name, opt string }{{"buffered", "--direct-io=off"}, {"direct-io", "--direct-io=on"}} {
		b.Run(mode.name, func(b *testing.B) { benchSlotVsDD(b, dir, img, mf, mode.opt) })
	}
}

func benchSlotVsDD(b *testing.B, dir, img string, mf media.File, loopOpt string) {
	size := mf.Size
	const off = 4 << 20 // the slot starts 4 MiB into the device (dd seek=1 with bs=4M)
	backing := filepath.Join(dir, "loop.img")
	bf, err := os.Create(backing)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Fallocate(int(bf.Fd()), 0, 0, size+2*off); err != nil {
		b.Fatal(err)
	}
	bf.Close()
	loop := engLoopDevice(b, backing, loopOpt)
	shaOnly := mf
	shaOnly.BLAKE3 = "" // verified with SHA-256, as an older manifest

	runDD := func() (time.Duration, time.Duration) {
		start := time.Now()
		dd := exec.Command("dd", "if="+img, "of="+loop, "bs=4M", "oflag=direct", "conv=fsync", "seek=1", "status=none")
		if out, err := dd.CombinedOutput(); err != nil {
			b.Fatalf("dd: %v: %s", err, out)
		}
		return time.Since(start), dd.ProcessState.UserTime() + dd.ProcessState.SystemTime()
	}
	// runSlot writes with WriteSlot, verifying against f (nil: not at all).
	runSlot := func(f *media.File) (time.Duration, time.Duration) {
		start, cpu0 := time.Now(), selfCPU()
		fh, err := os.Open(img)
		if err != nil {
			b.Fatal(err)
		}
		defer fh.Close()
		var r io.Reader = fh
		var mr *media.Reader
		if f != nil {
			mr = media.NewReader(fh, *f)
			r = mr
		}
		if _, err := WriteSlot(context.Background(), loop, off, size+off, r, size, nil); err != nil {
			b.Fatal(err)
		}
		if mr != nil {
			if err := mr.Finish(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start), selfCPU() - cpu0
	}
	runDD()
	runSlot(&mf)

	var ddTime, slotTime, shaTime, rawTime, ddCPU, slotCPU time.Duration
	var ratios, shaRatios []float64
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, dc := runDD()
		s, sc := runSlot(&mf)
		sh, _ := runSlot(&shaOnly)
		raw, _ := runSlot(nil) // the I/O path alone
		ddTime, ddCPU, slotTime, slotCPU, shaTime, rawTime = ddTime+d, ddCPU+dc, slotTime+s, slotCPU+sc, shaTime+sh, rawTime+raw
		ratios = append(ratios, d.Seconds()/s.Seconds())
		shaRatios = append(shaRatios, d.Seconds()/sh.Seconds())
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / (1 << 20) }
	perGiB := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) / float64(size>>30) }
	median := func(v []float64) float64 {
		slices.Sort(v)
		m := v[len(v)/2]
		if len(v)%2 == 0 {
			m = (v[len(v)/2-1] + m) / 2
		}
		return m
	}
	b.ReportMetric(mbps(ddTime), "dd-MiB/s")
	b.ReportMetric(mbps(slotTime), "slot-MiB/s")
	b.ReportMetric(mbps(shaTime), "slot-sha256-MiB/s")
	b.ReportMetric(mbps(rawTime), "slot-noverify-MiB/s")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(shaRatios), "ratio-sha256")
	b.ReportMetric(perGiB(ddCPU), "dd-cpu-s/GiB")
	b.ReportMetric(perGiB(slotCPU), "slot-cpu-s/GiB")
	b.Logf("loop %s (%s), %d rounds: dd %.0f MiB/s (%.2f CPU s/GiB), WriteSlot+BLAKE3 %.0f MiB/s (%.2f CPU s/GiB), +SHA-256 %.0f MiB/s, without verification %.0f MiB/s; ratio median %.2f, range %.2f-%.2f; SHA-256 ratio %.2f",
		loop, loopOpt, b.N, mbps(ddTime), perGiB(ddCPU), mbps(slotTime), perGiB(slotCPU), mbps(shaTime), mbps(rawTime), median(ratios), ratios[0], ratios[len(ratios)-1], median(shaRatios))
}

// selfCPU is the CPU time (user+system) of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
