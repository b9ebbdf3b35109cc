package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"node-installer/internal/event"
	"node-installer/storage/esp"
)

// gptEntrySectors is the size of the GPT entry array (128 entries of 128
// bytes) in sectors of ss bytes: the first and last usable sectors follow.
func gptEntrySectors(ss int) uint64 { return 128 * 128 / uint64(ss) }

// checkLayout validates dl against a disk of size bytes without any I/O.
func checkLayout(dl DiskLayout, size int64) error {
	ss := dl.SectorSize
	if dl.Disk.Path == "" {
		return errors.New("layout: disk path is empty")
	}
	if ss != 512 && ss != 4096 {
		return fmt.Errorf("layout of %s: sector size %d: want 512 or 4096", dl.Disk.Path, ss)
	}
	sectors := uint64(size) / uint64(ss)
	first := 2 + gptEntrySectors(ss)
	if sectors < 2*first+2 {
		return fmt.Errorf("layout of %s: disk of %d bytes is too small for a GPT", dl.Disk.Path, size)
	}
	last := sectors - 2 - gptEntrySectors(ss)
	if len(dl.Partitions) == 0 || len(dl.Partitions) > 128 {
		return fmt.Errorf("layout of %s: %d partitions: want 1 to 128", dl.Disk.Path, len(dl.Partitions))
	}
	seen := map[int]bool{}
	for i, p := range dl.Partitions {
		where := fmt.Sprintf("layout of %s: partition %d (%s)", dl.Disk.Path, p.Number, p.Name)
		switch {
		case p.Number < 1 || p.Number > 128 || seen[p.Number]:
			return fmt.Errorf("%s: number must be unique and 1..128", where)
		case p.Name == "" || len(utf16.Encode([]rune(p.Name))) > 36:
			return fmt.Errorf("%s: name must be 1..36 UTF-16 characters", where)
		case !validGUID(p.TypeGUID):
			return fmt.Errorf("%s: type GUID %q is not a GUID", where, p.TypeGUID)
		case p.Size == 0:
			return fmt.Errorf("%s: size is 0 sectors", where)
		case p.Start < first || p.End() > last:
			return fmt.Errorf("%s: sectors %d-%d outside the usable %d-%d of a %d-byte disk", where, p.Start, p.End(), first, last, size)
		}
		seen[p.Number] = true
		for _, q := range dl.Partitions[:i] {
			if p.Start <= q.End() && q.Start <= p.End() {
				return fmt.Errorf("%s overlaps partition %d (%s)", where, q.Number, q.Name)
			}
		}
		bytes := int64(p.Size) * int64(ss)
		switch p.Content {
		case ContentESP:
			if len(p.Label) > 11 {
				return fmt.Errorf("%s: FAT label %q longer than 11 characters", where, p.Label)
			}
			if err := esp.CheckSize(bytes, ss); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		case ContentExt4:
			if _, err := ext4Args(dl.Disk.Path, int64(p.Start)*int64(ss), bytes, p.Label, ""); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		case ContentSwap:
			if _, err := swapHeader(bytes, p.Label); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		case ContentSlot, ContentEmpty:
		default:
			return fmt.Errorf("%s: unknown content %q", where, p.Content)
		}
	}
	return nil
}

func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// ApplyOptions tunes Apply; the zero value is what the installer uses.
type ApplyOptions struct {
	Run Runner // runs mkfs.ext4; default ExecRunner
}

// Apply writes the planned partition table dl to its disk (block device
// or image file) and formats the partitions: ESP (FAT32), ext4, swap;
// slots are left raw for the image. It takes no decisions: the plan says
// everything, and an invalid plan writes nothing.
func Apply(ctx context.Context, dl DiskLayout, sink event.Sink) error {
	return ApplyWith(ctx, dl, sink, ApplyOptions{})
}

// ApplyWith is Apply with options.
func ApplyWith(ctx context.Context, dl DiskLayout, sink event.Sink, o ApplyOptions) error {
	if sink == nil {
		sink = event.Discard{}
	}
	if o.Run == nil {
		o.Run = ExecRunner
	}
	if dl.Disk.Size > 0 {
		if err := checkLayout(dl, dl.Disk.Size); err != nil {
			return err
		}
	}
	t, err := OpenDisk(dl.Disk.Path)
	if err != nil {
		return err
	}
	defer t.Close()
	if t.Block && t.SectorSize != dl.SectorSize {
		return fmt.Errorf("layout of %s is for %d-byte sectors, the disk has %d", dl.Disk.Path, dl.SectorSize, t.SectorSize)
	}
	if err := checkLayout(dl, t.Size); err != nil {
		return err
	}
	if t.SectorSize == 0 {
		t.SectorSize = dl.SectorSize
	}
	a := &applier{ctx: ctx, t: t, dl: dl, sink: sink, run: o.Run}
	return a.do()
}

type applier struct {
	ctx  context.Context
	t    *Target
	dl   DiskLayout
	sink event.Sink
	run  Runner
}

func (a *applier) emit(kind event.Kind, step, msg string, err error) {
	e := event.Event{Time: time.Now(), Kind: kind, Step: step, Message: msg}
	if err != nil {
		e.Err = err.Error()
	}
	a.sink.Emit(e)
}

// step runs fn as one named step with its events.
func (a *applier) step(name string, fn func() (string, error)) error {
	if err := a.ctx.Err(); err != nil {
		return err
	}
	a.emit(event.StepStarted, name, "", nil)
	msg, err := fn()
	if err != nil {
		a.emit(event.Failed, name, msg, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	a.emit(event.StepFinished, name, msg, nil)
	return nil
}

func (a *applier) do() error {
	disk := a.dl.Disk.Path
	ss := int64(a.dl.SectorSize)
	if err := a.step("clear old signatures on "+disk, a.clearSignatures); err != nil {
		return err
	}
	if err := a.step("write GPT on "+disk, a.writeGPT); err != nil {
		return err
	}
	if a.t.Block {
		if err := a.step("kernel partitions of "+disk, func() (string, error) {
			nums, secs := a.sections()
			_, how, err := a.t.syncKernel(nums, secs)
			return how, err
		}); err != nil {
			return err
		}
	}
	for _, p := range a.dl.Partitions {
		off, size := int64(p.Start)*ss, int64(p.Size)*ss
		var fn func() (string, error)
		switch p.Content {
		case ContentESP:
			fn = func() (string, error) {
				return "FAT32 " + p.Label, esp.Format(a.t, off, size, a.dl.SectorSize, p.Label)
			}
		case ContentExt4:
			fn = func() (string, error) {
				return "ext4 " + p.Label, a.t.withoutClaim(func() error {
					return makeExt4(a.ctx, a.run, disk, off, size, p.Label, "")
				})
			}
		case ContentSwap:
			fn = func() (string, error) { return "swap " + p.Label, MakeSwap(a.t, off, size, p.Label) }
		default:
			continue
		}
		if err := a.step(fmt.Sprintf("format %s (partition %d)", p.Name, p.Number), fn); err != nil {
			return err
		}
	}
	return a.t.Sync()
}

func (a *applier) sections() ([]int, []Section) {
	ss := int64(a.dl.SectorSize)
	var nums []int
	var secs []Section
	for _, p := range a.dl.Partitions {
		nums = append(nums, p.Number)
		secs = append(secs, Section{int64(p.Start) * ss, int64(p.Size) * ss})
	}
	return nums, secs
}

// clearSignatures zeroes every known signature on the whole disk and in
// each planned partition, so nothing old shows through (blkid would
// otherwise report a stale filesystem in a slot, or md would assemble).
func (a *applier) clearSignatures() (string, error) {
	hits := append(tableSignatures(a.t, a.t.Size), findSignatures(a.t, 0, a.t.Size, "disk")...)
	_, secs := a.sections()
	for i, s := range secs {
		hits = append(hits, findSignatures(a.t, s.Offset, s.Size, fmt.Sprintf("partition %d", a.dl.Partitions[i].Number))...)
	}
	if err := zeroHits(a.t, hits); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d signatures removed", len(hits)), nil
}

// writeGPT writes the GPT and protective MBR with go-diskfs, then reads
// the table back and checks it sector by sector against the plan.
func (a *applier) writeGPT() (string, error) {
	ss := a.dl.SectorSize
	tab := &gpt.Table{LogicalSectorSize: ss, PhysicalSectorSize: ss, ProtectiveMBR: true}
	for _, p := range a.dl.Partitions {
		tab.Partitions = append(tab.Partitions, &gpt.Partition{Index: p.Number, Start: p.Start, End: p.End(),
			Type: gpt.Type(strings.ToUpper(p.TypeGUID)), Name: p.Name})
	}
	w, err := file.New(a.t.File(), false).Writable()
	if err != nil {
		return "", err
	}
	if err := tab.Write(w, a.t.Size); err != nil {
		return "", fmt.Errorf("write GPT: %w", err)
	}
	// go-diskfs truncates the protective MBR's size to 32 bits; the UEFI
	// spec wants 0xFFFFFFFF when the disk is larger.
	if n := uint64(a.t.Size/int64(ss)) - 1; n > 0xFFFFFFFF {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], 0xFFFFFFFF)
		if _, err := a.t.WriteAt(b[:], 446+12); err != nil {
			return "", fmt.Errorf("protective MBR: %w", err)
		}
	}
	if err := a.t.Sync(); err != nil {
		return "", err
	}
	got := readPartTable(a.t, a.t.Size, ss)
	if got.Kind != "gpt" || got.SectorSize != ss || len(got.Problems) > 0 {
		return "", fmt.Errorf("GPT read back: kind %q, %d-byte sectors, problems %v", got.Kind, got.SectorSize, got.Problems)
	}
	if len(got.Parts) != len(a.dl.Partitions) {
		return "", fmt.Errorf("GPT read back: %d partitions, planned %d", len(got.Parts), len(a.dl.Partitions))
	}
	for _, p := range a.dl.Partitions {
		ok := false
		for _, g := range got.Parts {
			ok = ok || (g.Number == p.Number && g.Start == int64(p.Start)*int64(ss) && g.Size == int64(p.Size)*int64(ss) &&
				g.Name == p.Name && strings.EqualFold(g.TypeGUID, p.TypeGUID))
		}
		if !ok {
			return "", fmt.Errorf("GPT read back: partition %d (%s) differs from the plan", p.Number, p.Name)
		}
	}
	return fmt.Sprintf("%d partitions, %d-byte sectors", len(got.Parts), ss), nil
}

// zeroHits overwrites each signature with zeros.
func zeroHits(w interface {
	WriteAt([]byte, int64) (int, error)
}, hits []SignatureHit) error {
	for _, h := range hits {
		if _, err := w.WriteAt(make([]byte, h.Length), h.Offset); err != nil {
			return fmt.Errorf("zero %s %s at %d: %w", h.Where, h.Kind, h.Offset, err)
		}
	}
	return nil
}
