package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
	"node-installer/storage/esp"
)

// stepper emits the step events of a lifecycle action. Every step
// boundary is an event, so a consumer (the crash-safety harness) sees
// each one before the next write starts. With expect set, each event
// carries the fraction of the whole action: every step weighs 1, a step
// of stepWeights more, and bytes move the bar within their step.
type stepper struct {
	sink   event.Sink
	step   string
	steps  int     // steps started so far
	expect float64 // the weight of all the steps the action will take
	doneW  float64 // of the steps before the current one
	curW   float64 // of the current step
}

// stepWeights are the steps that take much longer than the others: the
// slot image (a GiB) and the boot files (tens of MiB).
var stepWeights = map[string]float64{"write-slot": 20, "write-kernel": 2, "write-initrd": 3}

func stepWeight(name string) float64 {
	if w, ok := stepWeights[name]; ok {
		return w
	}
	return 1
}

// stepsWeight is the weight of the steps named.
func stepsWeight(names []string) float64 {
	w := 0.0
	for _, n := range names {
		w += stepWeight(n)
	}
	return w
}

func (s *stepper) fraction(within float64) float64 {
	if s.expect <= 0 {
		return 0
	}
	return min((s.doneW+s.curW*within)/s.expect, 1)
}

func (s *stepper) start(name, msg string) {
	s.doneW += s.curW
	s.step, s.curW = name, stepWeight(name)
	s.steps++
	s.sink.Emit(event.Event{Time: time.Now(), Kind: event.StepStarted, Step: name, Message: msg, Fraction: s.fraction(0)})
}

func (s *stepper) done(msg string) {
	s.sink.Emit(event.Event{Time: time.Now(), Kind: event.StepFinished, Step: s.step, Message: msg, Fraction: s.fraction(1)})
}

func (s *stepper) progress(n, total int64) {
	f := s.fraction(0)
	if total > 0 {
		f = s.fraction(float64(n) / float64(total))
	}
	s.sink.Emit(event.Event{Time: time.Now(), Kind: event.Progress, Step: s.step, Bytes: n, Total: total, Fraction: f})
}

func (s *stepper) log(msg string) {
	s.sink.Emit(event.Event{Time: time.Now(), Kind: event.Log, Step: s.step, Message: msg, Fraction: s.fraction(0)})
}

func (s *stepper) fail(err error) error {
	if err != nil {
		s.sink.Emit(event.Event{Time: time.Now(), Kind: event.Failed, Step: s.step, Err: err.Error(), Fraction: s.fraction(0)})
	}
	return err
}

// scaled maps the fractions of a part of a run into [lo, hi] of the
// whole: a reinstall's wipe is its first tenth, the install the rest.
func scaled(sink event.Sink, lo, hi float64) event.Sink {
	if sink == nil {
		return nil
	}
	return event.SinkFunc(func(e event.Event) {
		e.Fraction = lo + (hi-lo)*e.Fraction
		sink.Emit(e)
	})
}

// diskHandle is an exclusively claimed disk or image file: O_EXCL on a
// block device (the kernel refuses it while mounted or claimed) and an
// exclusive flock for the whole action, so two installers never write
// the same disk.
type diskHandle struct {
	*os.File
}

func claimDisk(p string) (*diskHandle, error) {
	flags := os.O_RDWR
	if st, err := os.Stat(p); err == nil && st.Mode()&os.ModeDevice != 0 {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(p, flags, 0)
	if err != nil {
		return nil, fmt.Errorf("open disk %s: %w", p, err)
	}
	if err := storage.LockFile(f, 5*time.Second); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock disk %s: another process holds it: %w", p, err)
	}
	return &diskHandle{f}, nil
}

// partitionByName finds a partition of d by its GPT name.
func partitionByName(d storage.Disk, name string) (storage.Partition, error) {
	for _, p := range d.Partitions {
		if p.PartLabel == name {
			if p.Start <= 0 || p.Size <= 0 {
				return p, fmt.Errorf("disk %s: partition %s has no extent", d.Path, name)
			}
			return p, nil
		}
	}
	return storage.Partition{}, fmt.Errorf("disk %s: no partition named %s: not an installation of this product", d.Path, name)
}

func sectorSize(d storage.Disk) int {
	if d.LogicalSector > 0 {
		return d.LogicalSector
	}
	return 512
}

// openESP opens the installation's ESP on an already claimed disk.
func openESP(h *diskHandle, d storage.Disk) (*esp.FS, error) {
	p, err := partitionByName(d, "EFI")
	if err != nil {
		return nil, err
	}
	fsys, err := esp.OpenDevice(h.File, p.Start, p.Size, sectorSize(d))
	if err != nil {
		return nil, fmt.Errorf("disk %s: ESP: %w", d.Path, err)
	}
	return fsys, nil
}

// verifyChunk is the read size of the read-back check.
const verifyChunk = 4 << 20

// verifyRange hashes [off, off+size) of dev and compares it with want.
func verifyRange(ctx context.Context, dev io.ReaderAt, off, size int64, want media.Digest) error {
	h := want.New()
	buf := make([]byte, verifyChunk)
	for n := int64(0); n < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := dev.ReadAt(buf[:min(int64(len(buf)), size-n)], off+n)
		h.Write(buf[:k])
		n += int64(k)
		if err != nil && !(errors.Is(err, io.EOF) && n == size) {
			return fmt.Errorf("read back at byte %d: %w", n, err)
		}
	}
	if got, ok := want.Check(h); !ok {
		return fmt.Errorf("read back %s %s, manifest says %s: the disk did not keep what was written", want.Name, got, want.Want)
	}
	return nil
}

// writeESPFile writes p from r (size bytes) and reads it back to check
// its digest (want.Want "" skips the check).
func writeESPFile(fsys *esp.FS, p string, r io.Reader, size int64, want media.Digest) error {
	if err := fsys.WriteFile(p, r, size); err != nil {
		return fmt.Errorf("ESP %s: %w", p, err)
	}
	if want.Want == "" {
		return nil
	}
	data, err := fsys.ReadFile(p)
	if err != nil {
		return fmt.Errorf("ESP %s: read back: %w", p, err)
	}
	h := want.New()
	h.Write(data)
	if got, ok := want.Check(h); !ok {
		return fmt.Errorf("ESP %s: read back %s %s, manifest says %s", p, want.Name, got, want.Want)
	}
	return nil
}

func writeESPBytes(fsys *esp.FS, p string, data []byte) error {
	return writeESPFile(fsys, p, bytes.NewReader(data), int64(len(data)), media.Digest{})
}

// removeIfExists removes an ESP file; a missing file is fine (a rerun).
func removeIfExists(fsys *esp.FS, p string) error {
	if err := fsys.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ESP remove %s: %w", p, err)
	}
	return nil
}

func slotFile(slot, name string) string { return path.Join(SlotDir(slot), name) }
