package storage

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const gib64 = int64(1) << 30

func disk(name string, size int64, ss int) Disk {
	return Disk{Name: name, Path: "/dev/" + name, Size: size, LogicalSector: ss, PhysicalSector: ss, Transport: "ata"}
}

// checkGeometry asserts what every layout must hold: 1 MiB aligned,
// ordered, no overlap, inside the usable area (backup GPT kept free).
func checkGeometry(t *testing.T, dl DiskLayout) {
	t.Helper()
	ss := uint64(dl.SectorSize)
	align := uint64(1<<20) / ss
	total := uint64(dl.Disk.Size) / ss
	lastUsable := total - 1 - 1 - 16384/ss
	next := align
	for i, p := range dl.Partitions {
		if p.Number != i+1 {
			t.Errorf("%s: partition %d numbered %d", p.Name, i+1, p.Number)
		}
		if p.Start%align != 0 || p.Size%align != 0 {
			t.Errorf("%s: start %d size %d not 1 MiB aligned", p.Name, p.Start, p.Size)
		}
		if p.Start < next {
			t.Errorf("%s: starts at %d, before the end of the previous one (%d)", p.Name, p.Start, next)
		}
		if p.End() > lastUsable {
			t.Errorf("%s: ends at %d, past the last usable sector %d", p.Name, p.End(), lastUsable)
		}
		next = p.Start + p.Size
	}
}

func TestSwapMiB(t *testing.T) {
	cases := []struct {
		mem  int64
		oc   float64
		want int64
	}{
		{2 * gib64, 0.5, 2048 + 1024},
		{4 * gib64, 0.5, 4096 + 2048},
		{8 * gib64, 0.5, 4096 + 4096},
		{16 * gib64, 0.5, 8192 + 8192},
		{64 * gib64, 0.5, 16384 + 32768},
		{512 * gib64, 0, 16384},
		{3 * gib64, 1.5, 2048 + 4608},
	}
	for _, c := range cases {
		if got := SwapMiB(c.mem, c.oc); got != c.want {
			t.Errorf("SwapMiB(%d GiB, %v) = %d, want %d", c.mem>>30, c.oc, got, c.want)
		}
	}
}

func TestPlanLayout(t *testing.T) {
	type part struct {
		Name         string
		Start, Sects uint64
	}
	cases := []struct {
		name    string
		vols    map[Vol]int64
		boot    Disk
		data    []Disk
		mem     int64
		want    [][]part // per disk; nil = not checked
		wantErr string
	}{
		{name: "defaults 512", boot: disk("sda", 100*gib64, 512), mem: 8 * gib64, want: [][]part{{
			{"EFI", 2048, 1048576}, {"RootA", 1050624, 8388608}, {"RootB", 9439232, 8388608}, {"Config", 17827840, 131072},
			{"Logging", 17958912, 4194304}, {"Swap", 22153216, 16777216}, {"Data", 38930432, 170782720},
		}}},
		{name: "defaults 4Kn", boot: disk("sdb", 100*gib64, 4096), mem: 8 * gib64, want: [][]part{{
			{"EFI", 256, 131072}, {"RootA", 131328, 1048576}, {"RootB", 1179904, 1048576}, {"Config", 2228480, 16384},
			{"Logging", 2244864, 524288}, {"Swap", 2769152, 2097152}, {"Data", 4866304, 21347840},
		}}},
		{name: "swap 0 data fixed", vols: map[Vol]int64{VolSwap: 0, VolData: 1024}, boot: disk("sda", 100*gib64, 512), mem: 8 * gib64, want: [][]part{{
			{"EFI", 2048, 1048576}, {"RootA", 1050624, 8388608}, {"RootB", 9439232, 8388608}, {"Config", 17827840, 131072},
			{"Logging", 17958912, 4194304}, {"Data", 22153216, 2097152},
		}}},
		{name: "logging takes the rest", vols: map[Vol]int64{VolLogging: -1, VolSwap: 0}, boot: disk("sda", 20*gib64, 512), mem: gib64, want: [][]part{{
			{"EFI", 2048, 1048576}, {"RootA", 1050624, 8388608}, {"RootB", 9439232, 8388608}, {"Config", 17827840, 131072},
			{"Logging", 17958912, 23982080},
		}}},
		{name: "data disks", vols: map[Vol]int64{VolSwap2: 1024}, boot: disk("sda", 100*gib64, 512), data: []Disk{disk("sdb", 10*gib64, 512), disk("sdc", 10*gib64, 4096)}, mem: 8 * gib64,
			want: [][]part{nil, {{"Swap2", 2048, 2097152}, {"Data2", 2099200, 18870272}}, {{"Swap3", 256, 262144}, {"Data3", 262400, 2358784}}}},
		{name: "odd size disk keeps the backup GPT free", boot: disk("sda", 30*gib64+12345*512, 512), mem: 2 * gib64, want: [][]part{nil}},
		{name: "too small suggests a swap size", boot: disk("sda", 16*gib64, 512), mem: 8 * gib64,
			wantErr: "disk sda (16382 MiB usable) is too small for the layout: it needs 19264 MiB, 2882 MiB are missing; storage_vol=512:5310:4096:64:2048:-1 would fit"},
		{name: "too small shrinks logging and roots", boot: disk("sda", 8*gib64, 512), mem: 8 * gib64,
			wantErr: "it needs 19264 MiB, 11074 MiB are missing; storage_vol=512:0:3647:64:64:-1 would fit"},
		{name: "too small for anything", boot: disk("sda", 2*gib64, 512), mem: 8 * gib64, wantErr: "even the minimum sizes do not fit"},
		{name: "two fill volumes", vols: map[Vol]int64{VolLogging: -1, VolData: -1}, boot: disk("sda", 100*gib64, 512), wantErr: "both Logging and Data are -1"},
		{name: "root 0", vols: map[Vol]int64{VolRoot: 0}, boot: disk("sda", 100*gib64, 512), wantErr: "storage_vol: Root=0: Root is required"},
		{name: "esp below minimum on 4Kn", vols: map[Vol]int64{VolEFI: 200}, boot: disk("sda", 100*gib64, 4096), wantErr: "EFI=200 MiB is below the minimum of 260 MiB on a disk with 4096-byte sectors"},
		{name: "esp 200 is fine on 512", vols: map[Vol]int64{VolEFI: 200}, boot: disk("sda", 100*gib64, 512), want: [][]part{nil}},
		{name: "data below minimum", vols: map[Vol]int64{VolData: 100}, boot: disk("sda", 100*gib64, 512), wantErr: "Data=100 MiB is below the minimum of 256 MiB"},
		{name: "rest too small for data", vols: map[Vol]int64{VolSwap: 0}, boot: disk("sda", 10800<<20, 512), wantErr: "disk sda (10798 MiB usable) is too small for the layout: it needs 11072 MiB, 274 MiB are missing; storage_vol=512:0:4096:64:1774:-1 would fit"},
		{name: "data disk gets nothing", vols: map[Vol]int64{VolData2: 0}, boot: disk("sda", 100*gib64, 512), data: []Disk{disk("sdb", 10*gib64, 512)}, wantErr: "disk sdb: storage_vol gives it no volume"},
		{name: "negative size", vols: map[Vol]int64{VolConfig: -5}, boot: disk("sda", 100*gib64, 512), wantErr: "Config=-5: want a size in MiB"},
		{name: "sector size 520", boot: disk("sda", 100*gib64, 520), wantErr: "sector size 520 not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := Spec{Init: true, Volumes: c.vols, MemOvercommit: 0.5}
			l, err := PlanLayout(spec, Choice{Boot: c.boot, Data: c.data}, c.mem)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
				}
				checkSuggestion(t, err.Error(), Choice{Boot: c.boot, Data: c.data}, c.mem)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Disks) != len(c.want) {
				t.Fatalf("%d disk layouts, want %d", len(l.Disks), len(c.want))
			}
			for i, dl := range l.Disks {
				checkGeometry(t, dl)
				if c.want[i] == nil {
					continue
				}
				var got []part
				for _, p := range dl.Partitions {
					got = append(got, part{p.Name, p.Start, p.Size})
				}
				if diff := cmp.Diff(c.want[i], got); diff != "" {
					t.Errorf("disk %s (-want +got):\n%s", dl.Disk.Name, diff)
				}
			}
		})
	}
}

// checkSuggestion re-plans with the storage_vol value an error suggests:
// it must fit.
func checkSuggestion(t *testing.T, msg string, ch Choice, mem int64) {
	t.Helper()
	i := strings.Index(msg, "storage_vol=")
	j := strings.Index(msg, " would fit")
	if i < 0 || j < i {
		return
	}
	vols := map[Vol]int64{}
	for k, f := range strings.Split(msg[i+len("storage_vol="):j], ":") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("suggestion %q: %v", msg[i:j], err)
		}
		vols[VolOrder[k]] = n
	}
	if _, err := PlanLayout(Spec{Volumes: vols, MemOvercommit: 0.5}, ch, mem); err != nil {
		t.Errorf("the suggested %s does not fit: %v", msg[i:j], err)
	}
}

func TestPlanLayoutTypesAndLabels(t *testing.T) {
	l, err := PlanLayout(Spec{MemOvercommit: 0.5}, Choice{Boot: disk("sda", 100*gib64, 512), Data: []Disk{disk("sdb", 10*gib64, 512)}}, 4*gib64)
	if err != nil {
		t.Fatal(err)
	}
	type tl struct{ Name, Type, Label string }
	var got []tl
	for _, dl := range l.Disks {
		for _, p := range dl.Partitions {
			got = append(got, tl{p.Name, p.TypeGUID, p.Label})
		}
	}
	want := []tl{
		{"EFI", TypeESP, "NODE-EFI"}, {"RootA", RootTypeGUID(), ""}, {"RootB", RootTypeGUID(), ""},
		{"Config", TypeLinuxData, "node-config"}, {"Logging", TypeLinuxData, "node-logging"},
		{"Swap", TypeSwap, "node-swap"}, {"Data", TypeSrv, "node-data"}, {"Data2", TypeSrv, "node-data2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if l.Disks[0].Role != "boot" || l.Disks[1].Role != "data" {
		t.Errorf("roles %q %q", l.Disks[0].Role, l.Disks[1].Role)
	}
}

func BenchmarkPlanLayout(b *testing.B) {
	spec := Spec{Init: true, MemOvercommit: 0.5, Volumes: map[Vol]int64{VolSwap2: 2048}}
	ch := Choice{Boot: disk("sda", 960*gib64, 512)}
	for i := 0; i < 8; i++ {
		ch.Data = append(ch.Data, disk("sd"+string(rune('b'+i)), 4096*gib64, 4096))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanLayout(spec, ch, 256*gib64); err != nil {
			b.Fatal(err)
		}
	}
}
