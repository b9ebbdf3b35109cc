package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	"node-installer/internal/event"
	"node-installer/storage/esp"
)

// apRecorder is an event.Sink that keeps what it got.
type apRecorder struct{ events []event.Event }

func (r *apRecorder) Emit(e event.Event) { r.events = append(r.events, e) }

func TestApplyImage(t *testing.T) {
	apNeed(t, "sgdisk", "sfdisk", "blkid", "fsck.vfat", "e2fsck", "mkfs.ext4")
	for _, ss := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", ss), func(t *testing.T) {
			size := int64(1 << 30)
			img := apSparse(t, size)
			dl := apLayout(img, size, ss)
			rec := &apRecorder{}
			if err := Apply(context.Background(), dl, rec); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			apCheckApplied(t, img, dl)
			if n := apCount(rec.events, event.StepFinished); n != 7 { // signatures, GPT, ESP, 3x ext4, swap
				t.Errorf("%d steps finished, want 7: %+v", n, rec.events)
			}
			if ss == 512 {
				// sfdisk reads image files with 512-byte sectors only.
				apGolden(t, "apply/sfdisk-512.dump", apNormDump(apRun(t, "sfdisk", "--dump", img), img))
			}
			// Applying again over an installed disk gives the same result.
			if err := Apply(context.Background(), dl, nil); err != nil {
				t.Fatalf("second Apply: %v", err)
			}
			apCheckApplied(t, img, dl)
		})
	}
}

func apCount(es []event.Event, k event.Kind) int {
	n := 0
	for _, e := range es {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// apCheckApplied checks an applied image with the external tools.
func apCheckApplied(t *testing.T, img string, dl DiskLayout) {
	t.Helper()
	ss := int64(dl.SectorSize)
	if ss == 512 {
		if out := apRun(t, "sgdisk", "-v", img); !strings.Contains(out, "No problems found") {
			t.Errorf("sgdisk -v:\n%s", out)
		}
	}
	whole := apBlkid(t, img, 0, 0)
	if ss == 512 && whole["PTTYPE"] != "gpt" {
		t.Errorf("blkid on the disk: PTTYPE %q, want gpt (%v)", whole["PTTYPE"], whole)
	}
	for _, p := range dl.Partitions {
		off, size := int64(p.Start)*ss, int64(p.Size)*ss
		got := apBlkid(t, img, off, size)
		want := map[Content]string{ContentESP: "vfat", ContentExt4: "ext4", ContentSwap: "swap", ContentSlot: ""}[p.Content]
		if got["TYPE"] != want {
			t.Errorf("partition %s: blkid TYPE %q, want %q", p.Name, got["TYPE"], want)
		}
		if p.Label != "" && got["LABEL"] != p.Label {
			t.Errorf("partition %s: blkid LABEL %q, want %q", p.Name, got["LABEL"], p.Label)
		}
		switch p.Content {
		case ContentESP:
			part := apExtract(t, img, off, size)
			if out, err := apExecOut("fsck.vfat", "-n", part); err != nil || strings.Contains(out, "Fixing") || strings.Contains(out, "should be") {
				t.Errorf("fsck.vfat -n %s: %v\n%s", p.Name, err, out)
			}
			fsys, err := esp.Open(img, off, size, int(ss))
			if err != nil {
				t.Fatalf("esp.Open: %v", err)
			}
			if fsys.Label() != p.Label {
				t.Errorf("ESP label %q", fsys.Label())
			}
			fsys.Close()
		case ContentExt4:
			part := apExtract(t, img, off, size)
			if out, err := apExecOut("e2fsck", "-fn", part); err != nil {
				t.Errorf("e2fsck -fn %s: %v\n%s", p.Name, err, out)
			}
		}
	}
	tab := readPartTable(apOpen(t, img), dl.Disk.Size, 0)
	if tab.Kind != "gpt" || tab.SectorSize != dl.SectorSize || len(tab.Problems) > 0 || len(tab.Parts) != len(dl.Partitions) {
		t.Errorf("table read back: %+v", tab)
	}
}

func apExecOut(name string, args ...string) (string, error) {
	out, err := apCmd(name, args...)
	return string(out), err
}

func apOpen(t testing.TB, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestApplyRefusesBadLayout: an invalid plan writes nothing.
func TestApplyRefusesBadLayout(t *testing.T) {
	size := int64(400 << 20)
	cases := []struct {
		name   string
		mutate func(*DiskLayout)
		want   string
	}{
		{"overlap", func(dl *DiskLayout) { dl.Partitions[2].Start = dl.Partitions[1].Start + 1 }, "overlaps"},
		{"beyond the end", func(dl *DiskLayout) { dl.Partitions[6].Size += 1 << 20 }, "outside the usable"},
		{"bad sector size", func(dl *DiskLayout) { dl.SectorSize = 1024 }, "sector size"},
		{"bad type GUID", func(dl *DiskLayout) { dl.Partitions[0].TypeGUID = "ESP" }, "type GUID"},
		{"duplicate number", func(dl *DiskLayout) { dl.Partitions[1].Number = 1 }, "unique"},
		{"long FAT label", func(dl *DiskLayout) { dl.Partitions[0].Label = "TOO-LONG-LABEL" }, "FAT label"},
		{"unknown content", func(dl *DiskLayout) { dl.Partitions[1].Content = "zfs" }, "unknown content"},
		{"tiny swap", func(dl *DiskLayout) { dl.Partitions[5].Size = 8 }, "swap"},
		{"empty name", func(dl *DiskLayout) { dl.Partitions[3].Name = "" }, "name"},
		{"ESP too small for FAT32", func(dl *DiskLayout) { dl.Partitions[0].Size = 16 << 20 / 512 }, "too small for FAT32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := apSparse(t, size)
			if err := os.WriteFile(img, []byte("previous content"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(img, size); err != nil {
				t.Fatal(err)
			}
			before := apSHA(t, img)
			dl := apLayout(img, size, 512)
			tc.mutate(&dl)
			err := Apply(context.Background(), dl, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Apply error = %v, want one containing %q", err, tc.want)
			}
			if apSHA(t, img) != before {
				t.Fatal("the disk changed although the layout was refused")
			}
		})
	}
}

// TestApplyHugeDisk: past 2 TiB the protective MBR must say 0xFFFFFFFF
// sectors (go-diskfs truncates to 32 bits; Apply fixes it).
func TestApplyHugeDisk(t *testing.T) {
	apNeed(t, "sgdisk")
	size := int64(3 << 40)
	img := apSparse(t, size)
	dl := DiskLayout{Disk: Disk{Path: img, Size: size}, SectorSize: 512, Partitions: []PlannedPartition{
		{Number: 1, Name: "EFI", TypeGUID: TypeESP, Start: 2048, Size: 64 << 20 / 512, Content: ContentESP, Label: "NODE-EFI"},
		{Number: 2, Name: "Data", TypeGUID: TypeSrv, Start: 2048 + 64<<20/512, Size: uint64(size/512) - 4096 - 64<<20/512, Content: ContentEmpty},
	}}
	if err := Apply(context.Background(), dl, nil); err != nil {
		t.Fatal(err)
	}
	mbr := make([]byte, 512)
	apOpen(t, img).ReadAt(mbr, 0)
	if got := binary.LittleEndian.Uint32(mbr[446+12:]); got != 0xFFFFFFFF {
		t.Errorf("protective MBR size %#x, want 0xffffffff", got)
	}
	if out := apRun(t, "sgdisk", "-v", img); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
}
