package main

import (
	"bufio"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"node-installer/installer/media"
)

// rssLimitKiB is the peak RSS budget of `auto` (issue: at most 64 MiB).
const rssLimitKiB = 64 << 10

// BenchmarkAutoPeakRSS runs the built binary's `auto` installing a 2 GiB
// and a 4 GiB root image onto sparse image files and reports the peak
// resident memory of the installer process (VmHWM, polled) and of the
// whole process tree (wait4's maxrss, mkfs.ext4 included). It fails when
// the installer exceeds 64 MiB or grows by more than 8 MiB when the image
// doubles.
func BenchmarkAutoPeakRSS(b *testing.B) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		b.Skip("needs mkfs.ext4")
	}
	dir := b.TempDir()
	bin := benchBinary(b, dir)
	hwm := map[int64]int64{}
	for _, gib := range []int64{2, 4} {
		bundle := benchBundle(b, filepath.Join(dir, "media"+strconv.FormatInt(gib, 10)), gib)
		disk := benchDisk(b, filepath.Join(dir, "disk.img"))
		cmdline := "storage_init=" + disk + " storage_vol=256:0:" + strconv.FormatInt(gib*1024+64, 10) + ":16:256:-1"
		start := time.Now()
		own, tree := runMeasured(b, bin, "auto", "--cmdline", cmdline, "--media", bundle, "--trust-key", filepath.Join(embeddedKeysDir, "demo.pub"), "--disk", disk, "--log", filepath.Join(dir, "install.log"))
		secs := time.Since(start).Seconds()
		hwm[gib] = own
		b.ReportMetric(float64(own)/1024, "MiB-VmHWM-"+strconv.FormatInt(gib, 10)+"G")
		b.ReportMetric(float64(tree)/1024, "MiB-maxrss-tree-"+strconv.FormatInt(gib, 10)+"G")
		b.Logf("%d GiB image: installer VmHWM %.1f MiB, process tree maxrss %.1f MiB, %.1f s (%.0f MiB/s overall)",
			gib, float64(own)/1024, float64(tree)/1024, secs, float64(gib<<10)/secs)
		os.RemoveAll(bundle)
		os.Remove(disk)
		if own > rssLimitKiB {
			b.Errorf("%d GiB image: installer peak RSS %d KiB over the %d KiB budget", gib, own, rssLimitKiB)
		}
	}
	if hwm[4] > hwm[2]+8<<10 {
		b.Errorf("peak RSS grows with the image: %d KiB for 2 GiB, %d KiB for 4 GiB", hwm[2], hwm[4])
	}
}

// benchBinary builds the installer into dir.
func benchBinary(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "node-installer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// benchBundle makes a signed bundle in dir with a gib GiB incompressible
// root image.
func benchBundle(b *testing.B, dir string, gib int64) string {
	b.Helper()
	if err := media.BuildDemo(dir, "3.0.0"); err != nil {
		b.Fatal(err)
	}
	writeRandom(b, filepath.Join(dir, "root.squashfs"), gib<<30)
	if err := media.Create(dir, "node", "3.0.0", "bench"); err != nil {
		b.Fatal(err)
	}
	if err := media.SignBundle(dir, media.DemoSigner()); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchDisk makes a new empty 16 GiB sparse image file at path.
func benchDisk(b *testing.B, path string) string {
	b.Helper()
	os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(16 << 30); err != nil {
		b.Fatal(err)
	}
	return path
}

// writeRandom writes size incompressible bytes.
func writeRandom(b *testing.B, path string, size int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 4<<20)
	if _, err := io.CopyN(w, rand.NewChaCha8([32]byte{'r', 's', 's'}), size); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// runMeasured runs the command to success and returns the process's peak
// RSS (VmHWM polled from /proc until exit) and wait4's maxrss, in KiB.
func runMeasured(b *testing.B, name string, args ...string) (vmHWM, treeMax int64) {
	b.Helper()
	cmd := exec.Command(name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("%s: %v\n%s", name, err, out.String())
			}
			treeMax = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
			return vmHWM, treeMax
		case <-tick.C:
			if v := readHWM(status); v > vmHWM {
				vmHWM = v
			}
		}
	}
}

func readHWM(status string) int64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
