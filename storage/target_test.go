package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestSlotWriter(t *testing.T) {
	apNeed(t, "mkfs.ext4")
	size := int64(512 << 20)
	img := apSparse(t, size)
	dl := apLayout(img, size, 512)
	if err := Apply(context.Background(), dl, nil); err != nil {
		t.Fatal(err)
	}
	tg, err := OpenDisk(img)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	w, err := tg.SlotWriter("B")
	if err != nil {
		t.Fatal(err)
	}
	rootB := dl.Partitions[2]
	if w.Offset != int64(rootB.Start)*512 || w.Size != int64(rootB.Size)*512 {
		t.Fatalf("slot B section %+v, planned start %d size %d sectors", w.Section, rootB.Start, rootB.Size)
	}
	img1 := bytes.Repeat([]byte("hsqs-root-image-"), 70000) // ~1.1 MiB
	if n, err := io.Copy(w, bytes.NewReader(img1)); err != nil || n != int64(len(img1)) {
		t.Fatalf("copy: %d %v", n, err)
	}
	if _, err := w.WriteAt([]byte("x"), w.Size); err == nil {
		t.Error("write past the slot's end accepted")
	}
	if _, err := tg.SlotWriter("C"); err == nil {
		t.Error("slot C found")
	}
	if _, err := tg.PartitionWriter(9); err == nil {
		t.Error("partition 9 found")
	}
	if s, err := tg.Partition(4); err != nil || s.Offset != int64(dl.Partitions[3].Start)*512 {
		t.Errorf("Partition(4) = %+v, %v", s, err)
	}
	if err := tg.Sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(img1))
	if _, err := apOpen(t, img).ReadAt(got, w.Offset); err != nil || !bytes.Equal(got, img1) {
		t.Fatalf("slot content differs: %v", err)
	}
	if _, err := tg.WriteAt([]byte("x"), size); err == nil {
		t.Error("write past the disk's end accepted")
	}
}

func TestOpenDiskErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path, want string
	}{
		{"missing", dir + "/nope", "no such file"},
		{"directory", dir, "not a block device or regular file"},
		{"character device", "/dev/null", "not a block device or regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := OpenDisk(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenDisk(%s) = %v, want %q", tc.path, err, tc.want)
			}
		})
	}
}

// TestApplyMkfsFailure: a failing mkfs.ext4 stops Apply with its output.
func TestApplyMkfsFailure(t *testing.T) {
	img := apSparse(t, 512<<20)
	boom := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return []byte("mkfs.ext4: no space"), errors.New("exit status 1")
	}
	rec := &apRecorder{}
	err := ApplyWith(context.Background(), apLayout(img, 512<<20, 512), rec, ApplyOptions{Run: boom})
	if err == nil || !strings.Contains(err.Error(), "no space") || !strings.Contains(err.Error(), "Config") {
		t.Fatalf("error = %v", err)
	}
	if apCount(rec.events, "failed") != 1 {
		t.Errorf("events: %+v", rec.events)
	}
	_ = os.Remove(img)
}

func TestMakeExt4Args(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name        string
		off, size   int64
		label, pop  string
		wantErr     string
		wantContain string
	}{
		{"plain", 1 << 20, 64 << 20, "node-config", "", "", "offset=1048576,nodiscard -L node-config IMG 65536k"},
		{"populate", 1 << 20, 64 << 20, "x", dir, "", "-d " + dir},
		{"unaligned offset", 1000, 64 << 20, "", "", "offset 1000", ""},
		{"tiny", 0, 4096, "", "", "at least 1 MiB", ""},
		{"long label", 0, 64 << 20, "a-very-long-label-x", "", "longer than 16", ""},
		{"populate missing", 0, 64 << 20, "", dir + "/nope", "not a directory", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, err := ext4Args("IMG", tc.off, tc.size, tc.label, tc.pop)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(strings.Join(args, " "), tc.wantContain) {
				t.Fatalf("args %v, err %v", args, err)
			}
		})
	}
}

// TestMakeExt4Populate: -d fills the filesystem without mounting it.
func TestMakeExt4Populate(t *testing.T) {
	apNeed(t, "mkfs.ext4", "debugfs")
	src := t.TempDir()
	os.MkdirAll(src+"/installer", 0o755)
	os.WriteFile(src+"/hostname", []byte("node1\n"), 0o644)
	os.WriteFile(src+"/installer/config.json", []byte("{}\n"), 0o600)
	img := apSparse(t, 80<<20)
	if err := MakeExt4(img, 8<<20, 64<<20, "node-config", src); err != nil {
		t.Fatal(err)
	}
	part := apExtract(t, img, 8<<20, 64<<20)
	apRun(t, "e2fsck", "-fn", part)
	if out := apRun(t, "debugfs", "-R", "cat /hostname", part); !strings.Contains(out, "node1") {
		t.Errorf("debugfs cat /hostname: %s", out)
	}
	if m := apBlkid(t, img, 8<<20, 64<<20); m["LABEL"] != "node-config" {
		t.Errorf("blkid: %v", m)
	}
}
