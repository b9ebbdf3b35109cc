package storage

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

const mib = 1 << 20

// gptEntriesBytes is the size of the GPT partition entry array (128
// entries of 128 bytes): 32 sectors of 512 bytes, 4 of 4096.
const gptEntriesBytes = 128 * 128

// SwapMiB is the oVirt swap formula: a base of 2/4/8/16 GiB for RAM below
// 4/16/64 GiB and above, plus RAM x overcommit.
func SwapMiB(memBytes int64, overcommit float64) int64 {
	var base int64
	switch g := memBytes >> 30; {
	case g < 4:
		base = 2
	case g < 16:
		base = 4
	case g < 64:
		base = 8
	default:
		base = 16
	}
	return base*1024 + int64(math.Ceil(float64(memBytes)*overcommit/mib))
}

// defaultMiB is the SPEC §4 default of a volume (-1 = the rest).
func defaultMiB(v Vol, memBytes int64, overcommit float64) int64 {
	switch v {
	case VolEFI:
		return 512
	case VolRoot:
		return 4096
	case VolConfig:
		return 64
	case VolLogging:
		return 2048
	case VolSwap:
		return SwapMiB(memBytes, overcommit)
	case VolData, VolData2:
		return -1
	}
	return 0 // Swap2
}

// minMiB is the smallest useful size of a present volume.
func minMiB(v Vol, sectorSize int) int64 {
	switch v {
	case VolEFI:
		if sectorSize >= 4096 {
			return minESP4K
		}
		return minESP512
	case VolRoot:
		return minRoot
	case VolConfig:
		return minConfig
	case VolLogging:
		return minLogging
	case VolData, VolData2:
		return minData
	}
	return 1
}

// volPlan is one volume to place on a disk.
type volPlan struct {
	vol     Vol
	name    string
	mib     int64 // -1 = fill
	typ     string
	content Content
	label   string
}

// PlanLayout lays out the chosen disks: the SPEC §4 table on the boot
// disk, Data2/Swap2 (then Data3/Swap3, ...) on the extra disks. Sizes are
// sector-exact and 1 MiB aligned, with room for the backup GPT. Every
// problem is returned at once.
func PlanLayout(spec Spec, choice Choice, memBytes int64) (Layout, error) {
	if !choice.HasBoot() {
		return Layout{}, errors.New("no boot disk chosen")
	}
	oc := spec.MemOvercommit
	size := func(v Vol) int64 {
		if n, ok := spec.Volumes[v]; ok {
			return n
		}
		return defaultMiB(v, memBytes, oc)
	}
	var errs []error
	for _, v := range VolOrder {
		n, ok := spec.Volumes[v]
		switch {
		case !ok:
		case n < -1:
			errs = append(errs, fmt.Errorf("storage_vol: %s=%d: want a size in MiB, -1 (the rest) or 0 (none)", v, n))
		case (v == VolEFI || v == VolRoot || v == VolConfig) && n <= 0:
			errs = append(errs, fmt.Errorf("storage_vol: %s=%d: %s is required and needs a fixed size (at least %d MiB)", v, n, v, minMiB(v, choice.Boot.LogicalSector)))
		}
	}
	if len(errs) > 0 {
		return Layout{}, errors.Join(errs...)
	}
	rootType := RootTypeGUID()
	boot := []volPlan{
		{VolEFI, "EFI", size(VolEFI), TypeESP, ContentESP, "NODE-EFI"},
		{VolRoot, "RootA", size(VolRoot), rootType, ContentSlot, ""},
		{VolRoot, "RootB", size(VolRoot), rootType, ContentSlot, ""},
		{VolConfig, "Config", size(VolConfig), TypeLinuxData, ContentExt4, "node-config"},
		{VolLogging, "Logging", size(VolLogging), TypeLinuxData, ContentExt4, "node-logging"},
		{VolSwap, "Swap", size(VolSwap), TypeSwap, ContentSwap, "node-swap"},
		{VolData, "Data", size(VolData), TypeSrv, ContentExt4, "node-data"},
	}
	// An explicit -1 on another volume takes the rest; Data then keeps
	// only an explicit size.
	if _, dataSet := spec.Volumes[VolData]; !dataSet {
		for _, v := range []Vol{VolConfig, VolLogging, VolSwap} {
			if spec.Volumes[v] == -1 {
				boot[6].mib = 0
			}
		}
	}
	var out Layout
	dl, err := layoutDisk(choice.Boot, "boot", boot)
	if err != nil {
		errs = append(errs, err)
	}
	out.Disks = append(out.Disks, dl)
	for k, d := range choice.Data {
		n := strconv.Itoa(k + 2)
		vols := []volPlan{
			{VolSwap2, "Swap" + n, size(VolSwap2), TypeSwap, ContentSwap, "node-swap" + n},
			{VolData2, "Data" + n, size(VolData2), TypeSrv, ContentExt4, "node-data" + n},
		}
		if vols[0].mib == -1 && vols[1].mib == -1 {
			vols[1].mib = 0 // Swap2=-1 asks for the whole disk as swap
		}
		dl, err := layoutDisk(d, "data", vols)
		if err != nil {
			errs = append(errs, err)
		}
		out.Disks = append(out.Disks, dl)
	}
	return out, errors.Join(errs...)
}

// geometry is where partitions may go on a disk, in logical sectors.
type geometry struct {
	ss    int64  // sector size
	align uint64 // sectors per MiB
	first uint64 // first usable, aligned
	limit uint64 // end of the usable area (exclusive), aligned down
}

func geometryOf(d Disk) (geometry, error) {
	ss := int64(d.LogicalSector)
	if ss == 0 {
		ss = 512
	}
	if ss != 512 && ss != 4096 {
		return geometry{}, fmt.Errorf("disk %s: sector size %d not supported (512 or 4096)", d.Name, ss)
	}
	total := uint64(d.Size / ss)
	g := geometry{ss: ss, align: uint64(mib / ss)}
	g.first = g.align
	// backup GPT: the header in the last sector, the entries before it
	reserved := 1 + uint64(gptEntriesBytes/ss)
	if total < g.first+reserved+g.align {
		return g, fmt.Errorf("disk %s: %d bytes is too small for a GPT", d.Name, d.Size)
	}
	g.limit = (total - reserved) / g.align * g.align
	return g, nil
}

// layoutDisk places vols (0 = omitted, -1 = fill, one at most) on d.
func layoutDisk(d Disk, role string, vols []volPlan) (DiskLayout, error) {
	dl := DiskLayout{Disk: d, Role: role}
	g, err := geometryOf(d)
	if err != nil {
		return dl, err
	}
	dl.SectorSize = int(g.ss)
	availMiB := int64(g.limit-g.first) * g.ss / mib
	var fixed int64
	fill := -1
	var errs []error
	for i, v := range vols {
		switch {
		case v.mib == -1 && fill >= 0:
			errs = append(errs, fmt.Errorf("storage_vol: both %s and %s are -1 (the rest); only one volume of a disk can take the rest", vols[fill].vol, v.vol))
		case v.mib == -1:
			fill = i
		case v.mib > 0:
			if m := minMiB(v.vol, int(g.ss)); v.mib < m {
				errs = append(errs, fmt.Errorf("storage_vol: %s=%d MiB is below the minimum of %d MiB%s", v.vol, v.mib, m, sectorNote(v.vol, g.ss)))
			}
			fixed += v.mib
		}
	}
	if len(errs) > 0 {
		return dl, errors.Join(errs...)
	}
	need := fixed
	if fill >= 0 {
		need += minMiB(vols[fill].vol, int(g.ss))
	}
	if need > availMiB {
		return dl, tooSmall(d, role, vols, need, availMiB, int(g.ss))
	}
	if role == "data" && fixed == 0 && fill < 0 {
		return dl, fmt.Errorf("disk %s: storage_vol gives it no volume (Swap2 and Data2 are 0)", d.Name)
	}
	next := g.first
	for _, v := range vols {
		n := v.mib
		if n == 0 {
			continue
		}
		sectors := uint64(n) * g.align
		if n == -1 {
			sectors = uint64(availMiB-fixed) * g.align
		}
		dl.Partitions = append(dl.Partitions, PlannedPartition{
			Number: len(dl.Partitions) + 1, Name: v.name, Vol: v.vol, TypeGUID: v.typ,
			Start: next, Size: sectors, Content: v.content, Label: v.label,
		})
		next += sectors
	}
	return dl, nil
}

func sectorNote(v Vol, ss int64) string {
	if v == VolEFI && ss == 4096 {
		return " on a disk with 4096-byte sectors (FAT32 needs 65525 clusters)"
	}
	return ""
}

// tooSmall explains a layout that does not fit: how much is missing and a
// storage_vol value that would fit, made by shrinking Swap, Logging, Data
// and the root slots in that order.
func tooSmall(d Disk, role string, vols []volPlan, need, avail int64, ss int) error {
	msg := fmt.Sprintf("disk %s (%d MiB usable) is too small for the layout: it needs %d MiB, %d MiB are missing", d.Name, avail, need, need-avail)
	if role != "boot" {
		return fmt.Errorf("%s; lower Swap2/Data2 with storage_vol=...:SWAP2:DATA2", msg)
	}
	cur := map[Vol]int64{}
	for _, v := range vols {
		cur[v.vol] = v.mib
	}
	missing := need - avail
	for _, v := range []Vol{VolSwap, VolLogging, VolData, VolRoot, VolEFI, VolConfig} {
		if missing <= 0 {
			break
		}
		n := cur[v]
		if n <= 0 {
			continue
		}
		floor := minMiB(v, ss)
		if v == VolSwap {
			floor = 0
		}
		times := int64(1)
		if v == VolRoot {
			times = 2
		}
		cut := min((n-floor)*times, missing)
		cut = (cut + times - 1) / times * times // whole MiB per slot
		cur[v] = n - cut/times
		missing -= cut
	}
	if missing > 0 {
		return fmt.Errorf("%s; even the minimum sizes do not fit (EFI %d, Root 2x%d, Config %d MiB)", msg, minMiB(VolEFI, ss), minRoot, minConfig)
	}
	var pos []string
	for _, v := range []Vol{VolEFI, VolSwap, VolRoot, VolConfig, VolLogging, VolData} {
		pos = append(pos, strconv.FormatInt(cur[v], 10))
	}
	return fmt.Errorf("%s; storage_vol=%s would fit", msg, strings.Join(pos, ":"))
}
