//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"node-installer/installer/bootmedia"
	"node-installer/installer/media"
	"node-installer/test/vm"
)

// bigBundle is the v1 test bundle with its root image replaced by
// size bytes of random data (manifest rewritten, unsigned): the size of
// a real node image.
func bigBundle(b *testing.B, e *env, size int64) string {
	b.Helper()
	src, dir := e.bundles[v1], filepath.Join(b.TempDir(), "bundle")
	m, err := media.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	man := m.Manifest
	for i, f := range man.Files {
		dst := filepath.Join(dir, f.Name)
		if f.Role != media.RoleRootfs {
			if err := os.Link(filepath.Join(src, f.Name), dst); err != nil {
				b.Fatal(err)
			}
			continue
		}
		out, err := os.Create(dst)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(out, h), rand.Reader, size); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
		man.Files[i].Size, man.Files[i].SHA256 = size, hex.EncodeToString(h.Sum(nil))
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, media.ManifestName), data, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkMediaBuild times `media build` (the live initrd, the hybrid
// ISO with xorriso, the PXE set) for the test bundle and for a 2 GiB
// root image, against `cp` of the ISO it wrote (the same bytes) in the
// same run. The live kernel comes from the VM cache.
func BenchmarkMediaBuild(b *testing.B) {
	e := setup(b)
	for _, c := range []struct {
		name string
		root int64 // 0: the test bundle as it is
	}{{"test-bundle", 0}, {"root-2GiB", 2 << 30}} {
		b.Run(c.name, func(b *testing.B) {
			bundle := e.bundles[v1]
			if c.root > 0 {
				bundle = bigBundle(b, e, c.root)
			}
			var build, cp time.Duration
			var size int64
			b.ResetTimer()
			for range b.N {
				out := filepath.Join(b.TempDir(), "media")
				t0 := time.Now()
				res, err := bootmedia.Build(context.Background(), bootmedia.Spec{Bundle: bundle, Out: out, Binary: e.binary,
					Flavor: vm.KernelFlavor(), Cache: e.tc.Cache})
				if err != nil {
					b.Fatal(err)
				}
				build += time.Since(t0)
				st, err := os.Stat(res.ISO)
				if err != nil {
					b.Fatal(err)
				}
				size = st.Size()
				t1 := time.Now()
				if out, err := exec.Command("cp", res.ISO, res.ISO+".copy").CombinedOutput(); err != nil {
					b.Fatalf("cp: %v\n%s", err, out)
				}
				cp += time.Since(t1)
				os.RemoveAll(out)
			}
			n := float64(b.N)
			b.ReportMetric(build.Seconds()/n, "s/build")
			b.ReportMetric(cp.Seconds()/n, "s/cp")
			b.ReportMetric(build.Seconds()/cp.Seconds(), "build/cp")
			b.ReportMetric(float64(size)/(1<<20), "MiB/iso")
		})
	}
}
