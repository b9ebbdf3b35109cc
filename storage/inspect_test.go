package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"node-installer/internal/bls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/storage/esp"
)

// installedImage applies the test layout and writes the ESP files of an
// installation as the engine does; files maps ESP paths to contents.
func apInstalled(t *testing.T, ss int, files map[string]string) (string, DiskLayout) {
	t.Helper()
	size := int64(1 << 30)
	img := apSparse(t, size)
	dl := apLayout(img, size, ss)
	if err := Apply(context.Background(), dl, nil); err != nil {
		t.Fatal(err)
	}
	p := dl.Partitions[0]
	fsys, err := esp.Open(img, int64(p.Start)*int64(ss), int64(p.Size)*int64(ss), ss)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := fsys.WriteFile(name, strings.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}
	return img, dl
}

func apEntry(slot, version string) string {
	return "title Node " + version + "\nversion " + version + "\nlinux /node/" + slot + "/vmlinuz\ninitrd /node/" + slot +
		"/initrd.img\noptions root=PARTLABEL=Root" + slot + " node.slot=" + slot + "\n"
}

func TestInspectInstallation(t *testing.T) {
	base := map[string]string{
		"/loader/loader.conf": "timeout 3\n",
		"/node/product":       "node\n",
		"/node/A/version":     "4.5.1\n",
		"/node/B/version":     "4.5.2\n",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name        string
		ss          int
		files       map[string]string
		wantSlots   string // name:version:default:left:done ...
		notFinished bool
	}{
		{"fresh install, slot A only", 512, with(map[string]string{"/loader/entries/node-A.conf": apEntry("A", "4.5.1")}),
			"A:4.5.1:true:-1:-1 B:4.5.2:false:-1:-1", false},
		{"upgrade being tried", 4096, with(map[string]string{
			"/loader/entries/node-A.conf":     apEntry("A", "4.5.1"),
			"/loader/entries/node-B+2-1.conf": apEntry("B", "4.5.2")}),
			"A:4.5.1:false:-1:-1 B:4.5.2:true:2:1", false},
		{"upgrade failed, fall back", 512, with(map[string]string{
			"/loader/entries/node-A.conf":     apEntry("A", "4.5.1"),
			"/loader/entries/node-B+0-3.conf": apEntry("B", "4.5.2")}),
			"A:4.5.1:true:-1:-1 B:4.5.2:false:0:3", false},
		{"unfinished install", 512, with(map[string]string{"/node/unfinished": "install\n"}),
			"A:4.5.1:false:-1:-1 B:4.5.2:false:-1:-1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, _ := apInstalled(t, tc.ss, tc.files)
			rep := Inspect(img)
			if rep.Error != "" || rep.Table != "gpt" || rep.SectorSize != tc.ss || len(rep.Partitions) != 7 {
				t.Fatalf("report: %s", rep.Text())
			}
			in := rep.Installation
			if in == nil {
				t.Fatalf("no installation found:\n%s", rep.Text())
			}
			var got []string
			for _, s := range in.Slots {
				got = append(got, strings.Join([]string{s.Name, s.Version, apBool(s.Default), apItoaInt(s.TriesLeft), apItoaInt(s.TriesDone)}, ":"))
			}
			if g := strings.Join(got, " "); g != tc.wantSlots {
				t.Errorf("slots = %s, want %s\n%s", g, tc.wantSlots, rep.Text())
			}
			if in.NotFinished != tc.notFinished || in.Product != "node" {
				t.Errorf("installation %+v", in)
			}
			for _, p := range rep.Partitions {
				if p.Name == "Config" && (p.FSType != "ext4" || p.Label != "node-config") {
					t.Errorf("Config partition: %+v", p)
				}
			}
		})
	}
}

func apBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func apItoaInt(n int) string { return apItoa(int64(n)) }

func TestInspectText(t *testing.T) {
	img, _ := apInstalled(t, 512, map[string]string{
		"/node/product":                   "node\n",
		"/loader/entries/node-A.conf":     apEntry("A", "4.5.1"),
		"/loader/entries/node-B+1-2.conf": apEntry("B", "4.5.2"),
	})
	rep := Inspect(img)
	txt := guidRe.ReplaceAllString(strings.ReplaceAll(rep.Text(), img, "IMG"), "GUID")
	apGolden(t, "inspect/installed.txt", txt)
	var back Report
	b, _ := json.Marshal(rep)
	if err := json.Unmarshal(b, &back); err != nil || back.Installation == nil || len(back.Partitions) != 7 {
		t.Errorf("JSON round trip: %v %s", err, b)
	}
}

// TestInspectGarbage: odd and broken disks give a readable report.
func TestInspectGarbage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, size int64) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if size > int64(len(data)) {
			if err := os.Truncate(p, size); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	rnd := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(rnd)
	gptImg := func(t *testing.T) string {
		return apGPTImage(t, 64<<20, 512)
	}
	cases := []struct {
		name string
		path func(t *testing.T) string
		want []string // substrings of the text report
		gpt  bool
	}{
		{"zero-length file", func(*testing.T) string { return write("empty", nil, 0) }, []string{"empty: 0 bytes"}, false},
		{"random bytes", func(*testing.T) string { return write("random", rnd, 0) }, []string{"no partition table"}, false},
		{"all zeros", func(*testing.T) string { return write("zeros", nil, 8<<20) }, []string{"no known signature"}, false},
		{"missing file", func(*testing.T) string { return filepath.Join(dir, "nope") }, []string{"cannot read"}, false},
		{"corrupt primary GPT", func(t *testing.T) string {
			p := gptImg(t)
			apCorrupt(t, p, 512+60) // in the disk GUID: the header CRC fails
			return p
		}, []string{"using the backup GPT", "read from the backup"}, true},
		{"corrupt entry array", func(t *testing.T) string {
			p := gptImg(t)
			apCorrupt(t, p, 1024+56)
			return p
		}, []string{"entry array at LBA 2: CRC mismatch"}, true},
		{"truncated GPT image", func(t *testing.T) string {
			p := gptImg(t)
			if err := os.Truncate(p, 32<<20); err != nil {
				t.Fatal(err)
			}
			return p
		}, []string{"backup GPT"}, true},
		{"both GPTs corrupt", func(t *testing.T) string {
			p := gptImg(t)
			apCorrupt(t, p, 512+60)
			apCorrupt(t, p, 64<<20-512+60)
			return p
		}, []string{"protective MBR (type 0xee) but no valid GPT"}, false},
		{"foreign OS: DOS table with logical partitions", func(t *testing.T) string {
			return apSfdisk(t, "label: dos\n,10M,7\n,10M,83\n,,5\n,5M,83\n,5M,82\n")
		}, []string{"DOS partition table", "NTFS/exFAT", "extended", "Linux swap"}, false},
		{"whole-disk ext4", func(t *testing.T) string {
			p := write("ext4", nil, 16<<20)
			apRun(t, "mkfs.ext4", "-q", "-F", "-L", "plain", p)
			return p
		}, []string{"whole disk: ext4", `"plain"`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Inspect(tc.path(t))
			txt := rep.Text()
			for _, w := range tc.want {
				if !strings.Contains(txt, w) {
					t.Errorf("report lacks %q:\n%s", w, txt)
				}
			}
			if strings.Contains(txt, "internal error") {
				t.Errorf("panic recovered:\n%s", txt)
			}
			if tc.gpt && (rep.Table != "gpt" || len(rep.Partitions) != 2) {
				t.Errorf("want the GPT's 2 partitions:\n%s", txt)
			}
		})
	}
}

// writeGPTImage writes a GPT with two partitions through Apply's GPT path.
func apGPTImage(t *testing.T, size int64, ss int) string {
	t.Helper()
	img := apSparse(t, size)
	dl := DiskLayout{Disk: Disk{Path: img, Size: size}, SectorSize: ss, Partitions: []PlannedPartition{
		{Number: 1, Name: "one", TypeGUID: TypeLinuxData, Start: uint64(1 << 20 / ss), Size: uint64(8 << 20 / ss), Content: ContentEmpty},
		{Number: 2, Name: "two", TypeGUID: TypeSwap, Start: uint64(9 << 20 / ss), Size: uint64(8 << 20 / ss), Content: ContentSwap, Label: "s"},
	}}
	if err := Apply(context.Background(), dl, nil); err != nil {
		t.Fatal(err)
	}
	return img
}

func apCorrupt(t *testing.T, p string, off int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	f.ReadAt(b, off)
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// sfdiskImage makes a 64 MiB image partitioned by an sfdisk script.
func apSfdisk(t *testing.T, script string) string {
	t.Helper()
	apNeed(t, "sfdisk")
	p := apSparse(t, 64<<20)
	cmd := exec.Command("sfdisk", "-q", p)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	return p
}

// TestBootDefault: the entry systemd-boot boots when loader.conf has no
// default line, and with one.
func TestBootDefault(t *testing.T) {
	e := func(file, body string) bls.Entry {
		t.Helper()
		le, err := bls.Parse(file, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return le
	}
	v := func(ver string) string { return "version " + ver + "\nlinux /vmlinuz\n" }
	cases := []struct {
		name    string
		entries []bls.Entry
		pattern string
		want    string
	}{
		{"newest id wins", []bls.Entry{e("node-A.conf", v("1")), e("node-B.conf", v("2"))}, "", "node-B.conf"},
		{"bad entry sorts last", []bls.Entry{e("node-A.conf", v("1")), e("node-B+0-3.conf", v("2"))}, "", "node-A.conf"},
		{"entry with tries left stays first", []bls.Entry{e("node-A.conf", v("1")), e("node-B+1-2.conf", v("2"))}, "", "node-B+1-2.conf"},
		{"all bad: first bad", []bls.Entry{e("node-A+0-3.conf", v("1")), e("node-B+0-3.conf", v("2"))}, "", "node-B+0-3.conf"},
		{"default pattern", []bls.Entry{e("node-A.conf", v("1")), e("node-B.conf", v("2"))}, "node-A.conf", "node-A.conf"},
		{"default glob", []bls.Entry{e("node-A.conf", v("1")), e("node-B.conf", v("2"))}, "node-a*", "node-A.conf"},
		{"sort-key orders by version", []bls.Entry{
			e("node-A.conf", "version 4.10\nsort-key node\nlinux /vmlinuz\n"),
			e("node-B.conf", "version 4.9\nsort-key node\nlinux /vmlinuz\n")}, "", "node-A.conf"},
		{"lower sort-key wins over slot name", []bls.Entry{
			e("node-A.conf", "version 2\nsort-key node-999997\nlinux /vmlinuz\n"),
			e("node-B.conf", "version 1\nsort-key node-999998\nlinux /vmlinuz\n")}, "", "node-A.conf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := bootDefault(tc.entries, tc.pattern)
			if got == nil || got.File != tc.want {
				t.Fatalf("default = %+v, want %s", got, tc.want)
			}
		})
	}
}

// FuzzInspect: mutated GPT and MBR images never panic.
func FuzzInspect(f *testing.F) {
	seed := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	tmp := f.TempDir()
	for _, ss := range []int{512, 4096} {
		p := filepath.Join(tmp, "gpt"+apItoaInt(ss))
		fd, _ := os.Create(p)
		fd.Truncate(int64(ss) * 20)
		fd.Close()
		// The smallest GPT images: 34+33 sectors of 512 bytes, 6+5 of 4096.
		first, n := uint64(34), uint64(10)
		if ss == 4096 {
			first, n = 6, 1
			fd, _ := os.OpenFile(p, os.O_RDWR, 0)
			fd.Truncate(int64(ss) * 14)
			fd.Close()
		} else {
			fd, _ := os.OpenFile(p, os.O_RDWR, 0)
			fd.Truncate(int64(ss) * (34 + 33 + 20))
			fd.Close()
		}
		dl := DiskLayout{Disk: Disk{Path: p}, SectorSize: ss, Partitions: []PlannedPartition{
			{Number: 1, Name: "EFI", TypeGUID: TypeESP, Start: first, Size: n, Content: ContentEmpty},
			{Number: 2, Name: "RootA", TypeGUID: TypeRootX86_64, Start: first + n, Size: n, Content: ContentEmpty},
		}}
		if err := Apply(context.Background(), dl, nil); err != nil {
			f.Fatal(err)
		}
		seed(p)
	}
	mbr := make([]byte, 16<<10)
	mbr[510], mbr[511] = 0x55, 0xAA
	copy(mbr[446:], []byte{0x80, 0, 0, 0, 0x83, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0})
	copy(mbr[462:], []byte{0, 0, 0, 0, 0x05, 0, 0, 0, 24, 0, 0, 0, 64, 0, 0, 0})
	f.Add(mbr)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := Report{Path: "fuzz", Size: int64(len(data))}
		if rep.Size == 0 {
			return
		}
		inspectReader(&rep, bytes.NewReader(data), 0)
		_ = rep.Text()
	})
}
