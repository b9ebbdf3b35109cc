package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/installer/media"
)

func engDemoBundle(t testing.TB) *media.Bundle {
	t.Helper()
	dir := t.TempDir()
	if err := media.BuildDemo(dir, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	b, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// regionSum hashes n bytes of path at off.
func engRegionSum(t testing.TB, path string, off, n int64) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, off, n)); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func engFilledFile(t testing.TB, size int64, fill byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(p, bytes.Repeat([]byte{fill}, int(size)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testWriteSlot(t *testing.T, disk string, off, size int64) {
	b := engDemoBundle(t)
	r, err := b.Open(media.RoleRootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var calls int
	var last int64
	n, err := WriteSlot(context.Background(), disk, off, size, r, r.Size(), func(w int64) { calls++; last = w })
	if err != nil {
		t.Fatalf("WriteSlot: %v", err)
	}
	if n != r.Size() || last != n || calls != int((n+streamChunk-1)/streamChunk) {
		t.Errorf("wrote %d (progress %d, %d calls), want %d", n, last, calls, r.Size())
	}
	if !r.Verified() {
		t.Error("stream not verified at the end")
	}
	f, _ := b.Manifest.File(media.RoleRootfs)
	if got := engRegionSum(t, disk, off, f.Size); got != f.SHA256 {
		t.Errorf("slot SHA-256 %s, manifest %s", got, f.SHA256)
	}
	// Bytes around the slot are untouched.
	raw, _ := os.ReadFile(disk)
	if len(raw) > 0 && (raw[off-1] != 0xAA || raw[off+size] != 0xAA) {
		t.Errorf("bytes outside the slot changed: before %#x after %#x", raw[off-1], raw[off+size])
	}
}

func TestWriteSlotImageFile(t *testing.T) {
	disk := engFilledFile(t, 16<<20, 0xAA)
	testWriteSlot(t, disk, 1<<20, 8<<20)
}

func TestWriteSlotLoopDevice(t *testing.T) {
	loop := engLoopDevice(t, engFilledFile(t, 16<<20, 0xAA))
	testWriteSlot(t, loop, 1<<20, 8<<20)
}

// loopDevice attaches img to a loop device for the test (root only).
func engLoopDevice(t testing.TB, img string, opts ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: attaches a loop device")
	}
	out, err := exec.Command("losetup", append(append([]string{"--find", "--show"}, opts...), img)...).Output()
	if err != nil {
		t.Skipf("no loop device: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return dev
}

func TestWriteSlotRefusesBadImages(t *testing.T) {
	tests := []struct {
		name    string
		size    int64 // slot size
		damage  bool
		wantErr string
		wantIs  error
	}{
		{name: "too big for the slot", size: 1 << 20, wantErr: "does not fit"},
		{name: "corrupted byte", size: 8 << 20, damage: true, wantIs: media.ErrVerify},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := engDemoBundle(t)
			if tt.damage {
				f, _ := os.OpenFile(b.Path(media.RoleRootfs), os.O_RDWR, 0)
				f.WriteAt([]byte{0x42, 0x42}, 4<<20-1)
				f.Close()
			}
			disk := engFilledFile(t, 16<<20, 0xAA)
			r, _ := b.Open(media.RoleRootfs)
			defer r.Close()
			_, err := WriteSlot(context.Background(), disk, 1<<20, tt.size, r, r.Size(), nil)
			if err == nil || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteSlot = %v, want %v / %q", err, tt.wantIs, tt.wantErr)
			}
			if tt.wantIs == nil {
				raw, _ := os.ReadFile(disk)
				if !bytes.Equal(raw, bytes.Repeat([]byte{0xAA}, len(raw))) {
					t.Error("a refused image wrote to the disk")
				}
			}
		})
	}
}

func TestWriteSlotCancelled(t *testing.T) {
	b := engDemoBundle(t)
	r, _ := b.Open(media.RoleRootfs)
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteSlot(ctx, engFilledFile(t, 16<<20, 0), 1<<20, 8<<20, r, r.Size(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteSlot on a cancelled context = %v", err)
	}
}

// TestWriteSlotGatesTheLastChunk: hashing runs beside the writes, so a bad
// image is only known at its end; the chunk that would complete it must
// not land, whatever the image's length against the 4 MiB chunk.
func TestWriteSlotGatesTheLastChunk(t *testing.T) {
	const chunk = streamChunk
	tests := []struct {
		name    string
		size    int64 // image bytes
		serve   func(img []byte) []byte
		wantErr string
	}{
		{name: "good, whole chunks", size: 3 * chunk, serve: same},
		{name: "good, partial last chunk", size: 2*chunk + 12345, serve: same},
		{name: "last byte flipped, whole chunks", size: 3 * chunk, serve: flipAt(3*chunk - 1), wantErr: "SHA-256"},
		{name: "last byte flipped, partial chunk", size: 2*chunk + 12345, serve: flipAt(2*chunk + 12344), wantErr: "SHA-256"},
		{name: "first byte flipped", size: 3 * chunk, serve: flipAt(0), wantErr: "SHA-256"},
		{name: "longer than the manifest", size: 2 * chunk, serve: func(b []byte) []byte { return append(b, 1, 2, 3) }, wantErr: "longer"},
		{name: "shorter than the manifest", size: 2*chunk + 7, serve: func(b []byte) []byte { return b[:len(b)-9] }, wantErr: "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := make([]byte, tt.size)
			for i := range img {
				img[i] = byte(i*7 + i>>12)
			}
			sum := sha256.Sum256(img)
			f := media.File{Name: "root.squashfs", Role: media.RoleRootfs, Size: tt.size, SHA256: hex.EncodeToString(sum[:])}
			r := media.NewReader(io.NopCloser(bytes.NewReader(tt.serve(bytes.Clone(img)))), f)
			slot := tt.size + 2*chunk
			disk := engFilledFile(t, slot+(1<<20), 0xAA)
			n, err := WriteSlot(context.Background(), disk, 1<<20, slot, r, f.Size, nil)
			raw, _ := os.ReadFile(disk)
			if tt.wantErr == "" {
				if err != nil || n != tt.size || r.Finish() != nil {
					t.Fatalf("WriteSlot = %d, %v; Finish %v", n, err, r.Finish())
				}
				if !bytes.Equal(raw[1<<20:1<<20+tt.size], img) {
					t.Error("the slot does not hold the image")
				}
				return
			}
			if !errors.Is(err, media.ErrVerify) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteSlot = %v, want a verification error with %q", err, tt.wantErr)
			}
			// Everything from the start of the chunk that would have
			// completed the image is as it was.
			lastStart := (min(tt.size, int64(len(tt.serve(img))))-1)/chunk*chunk + 1<<20
			if !bytes.Equal(raw[lastStart:], bytes.Repeat([]byte{0xAA}, len(raw)-int(lastStart))) {
				t.Errorf("bytes from %d on changed: the completing chunk landed", lastStart)
			}
		})
	}
}

func same(b []byte) []byte { return b }

func flipAt(i int64) func([]byte) []byte {
	return func(b []byte) []byte { b[i] ^= 0xFF; return b }
}
