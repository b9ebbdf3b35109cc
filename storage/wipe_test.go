package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// put writes b at off of the image at p.
func apPut(t testing.TB, p string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func apLE32(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
func apLE64(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }

// hitKeys renders hits as "where kind@offset", sorted.
func apHitKeys(hs []SignatureHit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s@%d", h.Where, h.Kind, h.Offset))
	}
	sort.Strings(out)
	return out
}

func TestWipeImage(t *testing.T) {
	const odd = 64<<20 + 12345*512 // not 64 KiB aligned: the end offsets matter
	cases := []struct {
		name  string
		build func(t *testing.T) apBuilt
	}{
		{"applied layout, 512-byte sectors", func(t *testing.T) apBuilt { return apAppliedForWipe(t, 512) }},
		{"applied layout, 4096-byte sectors", func(t *testing.T) apBuilt { return apAppliedForWipe(t, 4096) }},
		{"mdraid superblocks 0.90, 1.0, 1.1, 1.2", func(t *testing.T) apBuilt {
			img := apSparse(t, odd)
			magic := apLE32(0xa92b4efc)
			// mdadm: 0.90 at the last 64 KiB-aligned 64 KiB block; 1.0 at
			// 8 KiB from the end rounded down to 4 KiB; 1.1 at 0; 1.2 at 4 KiB.
			at090 := int64(odd)&^(64<<10-1) - 64<<10
			at10 := (int64(odd) - 8192) &^ 4095
			for _, at := range []int64{at090, at10, 0, 4096} {
				apPut(t, img, at, magic)
			}
			return apBuilt{img, []string{"disk linux_raid_member@0", "disk linux_raid_member@4096",
				fmt.Sprintf("disk linux_raid_member@%d", at10), fmt.Sprintf("disk linux_raid_member@%d", at090)}}
		}},
		{"ZFS labels at start and end", func(t *testing.T) apBuilt {
			img := apSparse(t, odd)
			end := int64(odd) &^ (256<<10 - 1)
			var want []string
			for _, at := range []int64{0, 256 << 10, end - 512<<10, end - 256<<10} {
				apPut(t, img, at+128<<10+3*1024, apLE64(0x00bab10c))
				want = append(want, fmt.Sprintf("disk zfs_member@%d", at))
			}
			return apBuilt{img, want}
		}},
		{"LVM PV label in sector 1", func(t *testing.T) apBuilt {
			img := apSparse(t, 8<<20)
			apPut(t, img, 512, []byte("LABELONE"))
			apPut(t, img, 512+24, []byte("LVM2 001"))
			return apBuilt{img, []string{"disk LVM2_member@512"}}
		}},
		{"btrfs with a backup superblock", func(t *testing.T) apBuilt {
			img := apSparse(t, 128<<20)
			for _, at := range []int64{64 << 10, 64 << 20} {
				apPut(t, img, at+64, []byte("_BHRfS_M"))
			}
			return apBuilt{img, []string{"disk btrfs@65536", "disk btrfs@67108864"}}
		}},
		{"mkfs.btrfs", func(t *testing.T) apBuilt {
			apNeed(t, "mkfs.btrfs")
			img := apSparse(t, 300<<20)
			apRun(t, "mkfs.btrfs", "-q", "-f", img)
			return apBuilt{img, []string{"disk btrfs@65536", "disk btrfs@67108864"}}
		}},
		{"mkfs.xfs", func(t *testing.T) apBuilt {
			apNeed(t, "mkfs.xfs")
			img := apSparse(t, 320<<20)
			apRun(t, "mkfs.xfs", "-q", "-f", img)
			return apBuilt{img, []string{"disk xfs@0"}}
		}},
		{"DOS table with FAT and swap partitions", func(t *testing.T) apBuilt {
			apNeed(t, "mkfs.vfat")
			img := apSfdisk(t, "label: dos\nstart=2048,size=40960,type=c\nstart=43008,size=20480,type=82\n")
			apRun(t, "mkfs.vfat", "-F", "32", "--offset", "2048", img, "20480")
			if err := MakeSwap(apRW(t, img), 43008*512, 20480*512, "old-swap"); err != nil {
				t.Fatal(err)
			}
			return apBuilt{img, []string{"disk dos@0", "partition 1 vfat@1048576", "partition 1 vfat@1051648", "partition 2 swap@22020096"}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.build(t)
			d := Disk{Path: b.path}
			before := apSHA(t, b.path)
			dry, err := Wipe(context.Background(), d, WipeOptions{Chosen: []string{b.path}, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if apSHA(t, b.path) != before {
				t.Fatal("dry run changed the disk")
			}
			rep, err := Wipe(context.Background(), d, WipeOptions{Chosen: []string{b.path}})
			if err != nil {
				t.Fatalf("Wipe: %v", err)
			}
			got := apHitKeys(rep.Signatures)
			if b.want != nil && strings.Join(got, ",") != strings.Join(apSorted(b.want), ",") {
				t.Errorf("removed:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(apSorted(b.want), "\n  "))
			}
			if strings.Join(apHitKeys(dry.Signatures), ",") != strings.Join(got, ",") {
				t.Errorf("dry run found %v, wipe removed %v", apHitKeys(dry.Signatures), got)
			}
			// Nothing left, by our scan and by libblkid at every old offset.
			if left := scanAll(apTarget(t, b.path), apFileSize(t, b.path), 0); len(left) > 0 {
				t.Errorf("left after wipe: %v", apHitKeys(left))
			}
			if _, err := exec.LookPath("blkid"); err == nil {
				for _, h := range rep.Signatures {
					base := int64(0)
					if strings.HasPrefix(h.Where, "partition") {
						base = h.Offset - h.Offset%(1<<20) // partitions of these tests are MiB aligned
					}
					if m := apBlkid(t, b.path, base, 0); m["TYPE"] != "" || m["PTTYPE"] != "" {
						t.Errorf("blkid still finds %v at %d", m, base)
					}
				}
			}
			if !strings.Contains(rep.Text(), "signatures removed") {
				t.Errorf("Text: %s", rep.Text())
			}
		})
	}
}

// apBuilt is a test disk and the signature keys expected on it.
type apBuilt struct {
	path string
	want []string
}

// appliedForWipe applies the test layout; the signatures expected are
// derived from the plan: MBR, both GPT headers and entry arrays, the ESP
// boot sector and its backup (sector 6), ext4 superblocks at 1 KiB, swap
// headers.
func apAppliedForWipe(t *testing.T, ss int) apBuilt {
	apNeed(t, "mkfs.ext4")
	size := int64(1 << 30)
	img := apSparse(t, size)
	dl := apLayout(img, size, ss)
	if err := Apply(context.Background(), dl, nil); err != nil {
		t.Fatal(err)
	}
	s := int64(ss)
	last := size/s - 1
	want := []string{"disk PMBR@0", fmt.Sprintf("disk gpt@%d", s), fmt.Sprintf("disk gpt@%d", 2*s),
		fmt.Sprintf("disk gpt@%d", last*s), fmt.Sprintf("disk gpt@%d", last*s-16384)}
	for _, p := range dl.Partitions {
		w, at := fmt.Sprintf("partition %d ", p.Number), int64(p.Start)*s
		switch p.Content {
		case ContentESP:
			want = append(want, fmt.Sprintf("%svfat@%d", w, at), fmt.Sprintf("%svfat@%d", w, at+6*s))
		case ContentExt4:
			want = append(want, fmt.Sprintf("%sext4@%d", w, at+1024))
		case ContentSwap:
			want = append(want, fmt.Sprintf("%sswap@%d", w, at))
		}
	}
	return apBuilt{img, want}
}

func apSorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func apFileSize(t testing.TB, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func apRW(t testing.TB, p string) *os.File {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func apTarget(t testing.TB, p string) *Target {
	tg, err := openReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// TestWipeRefusals: each refused wipe leaves the disk byte for byte as it was.
func TestWipeRefusals(t *testing.T) {
	apNeed(t, "mkfs.ext4")
	img := apSparse(t, 512<<20)
	if err := Apply(context.Background(), apLayout(img, 512<<20, 512), nil); err != nil {
		t.Fatal(err)
	}
	other := apSparse(t, 8<<20)
	cases := []struct {
		name string
		disk Disk
		opts WipeOptions
		want error
	}{
		{"not chosen", Disk{Path: img}, WipeOptions{Chosen: []string{other}}, ErrNotChosen},
		{"nothing chosen", Disk{Path: img}, WipeOptions{}, ErrNotChosen},
		{"live boot media", Disk{Path: img, BootMedia: true}, WipeOptions{Chosen: []string{img}}, ErrBootMedia},
		{"in use per probe", Disk{Path: img, InUse: "sda2 mounted at /"}, WipeOptions{Chosen: []string{img}}, ErrBusy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := apSHA(t, img)
			_, err := Wipe(context.Background(), tc.disk, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Wipe error = %v, want %v", err, tc.want)
			}
			if apSHA(t, img) != before {
				t.Fatal("disk changed by a refused wipe")
			}
		})
	}
	t.Run("locked by another process", func(t *testing.T) {
		held, err := OpenDisk(img) // another installer holds the disk
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		old := lockWait
		lockWait = 100 * time.Millisecond
		defer func() { lockWait = old }()
		before := apSHA(t, img)
		if _, err := Wipe(context.Background(), Disk{Path: img}, WipeOptions{Chosen: []string{img}}); !errors.Is(err, ErrBusy) {
			t.Fatalf("Wipe of a locked disk: %v, want ErrBusy", err)
		}
		if err := Apply(context.Background(), apLayout(img, 512<<20, 512), nil); !errors.Is(err, ErrBusy) {
			t.Fatalf("Apply to a locked disk: %v, want ErrBusy", err)
		}
		if apSHA(t, img) != before {
			t.Fatal("disk changed")
		}
	})
}
