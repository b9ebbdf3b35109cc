package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAutoVsScript: a whole unattended install of a 2 GiB root image
// by `auto` (signature, partitioning, ESP, filesystems, the slot written
// and verified with BLAKE3, loader entries) against the same work done by
// testdata/install-by-script.sh with standard tools (sgdisk, mkfs.vfat,
// mkfs.ext4, mcopy, dd with fsync, sha256sum of the slot after the write),
// alternately on a fresh sparse image file each. It reports both times and
// the median of the per-round ratios installer/script (goal: <= 1.0).
func BenchmarkAutoVsScript(b *testing.B) {
	for _, tool := range []string{"mkfs.ext4", "mkfs.vfat", "sgdisk", "mcopy", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("needs %s (test/deps.sh installs it)", tool)
		}
	}
	const gib = 2
	dir := b.TempDir()
	bin := benchBinary(b, dir)
	bundle := benchBundle(b, filepath.Join(dir, "media"), gib)
	script, err := filepath.Abs("testdata/install-by-script.sh")
	if err != nil {
		b.Fatal(err)
	}
	rootMiB := strconv.Itoa(gib*1024 + 64)
	disk := filepath.Join(dir, "disk.img")
	run := func(name string, args ...string) time.Duration {
		benchDisk(b, disk)
		start := time.Now()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
		}
		return time.Since(start)
	}
	install := func() time.Duration {
		return run(bin, "auto", "--cmdline", "storage_init="+disk+" storage_vol=256:0:"+rootMiB+":16:256:-1",
			"--media", bundle, "--trust-key", filepath.Join(embeddedKeysDir, "demo.pub"), "--disk", disk, "--log", filepath.Join(dir, "install.log"))
	}
	byScript := func() time.Duration { return run("sh", script, disk, bundle, rootMiB) }
	install() // warm the page cache with the bundle
	var ti, ts time.Duration
	var ratios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := byScript()
		in := install()
		ti, ts = ti+in, ts+s
		ratios = append(ratios, in.Seconds()/s.Seconds())
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(ti.Seconds()/float64(b.N), "installer-s")
	b.ReportMetric(ts.Seconds()/float64(b.N), "script-s")
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.Logf("%d GiB image, %d rounds: installer %.2f s, script %.2f s; installer/script median %.2f (range %.2f-%.2f)",
		gib, b.N, ti.Seconds()/float64(b.N), ts.Seconds()/float64(b.N), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
}
