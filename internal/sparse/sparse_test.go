package sparse

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyRange(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int64{0, 3 << 20, 40 << 20, 64<<20 - 5} {
		if _, err := f.WriteAt([]byte("data!"), at); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	want, _ := os.ReadFile(src)
	for _, r := range []struct{ off, size int64 }{{0, 64 << 20}, {2 << 20, 40 << 20}, {41 << 20, 1 << 20}} {
		dst := filepath.Join(dir, "dst")
		if err := CopyRange(dst, src, r.off, r.size); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(dst)
		if !bytes.Equal(got, want[r.off:r.off+r.size]) {
			t.Errorf("range %d+%d differs", r.off, r.size)
		}
	}
}
