package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
)

// ErrNotSupported is returned by Run for an action the engine cannot
// run yet.
var ErrNotSupported = errors.New("not supported yet")

// RunOptions are the engine's knobs that are not part of the plan.
type RunOptions struct {
	// LogFile is the installer's log file, copied to the Logging
	// partition at the end. Empty: the engine writes the event stream
	// it recorded instead.
	LogFile string
	// EFIVarsDir is where the firmware's variables appear; the firmware
	// boot entry is created only when it exists (default
	// /sys/firmware/efi/efivars).
	EFIVarsDir string
	// Secrets are the real password hashes (a Plan's Config has them
	// masked); nil: the plan's Config is used as is.
	Secrets *Host
}

// steps of an install, with their share of the whole run (progress).
var installSteps = []struct {
	name   string
	weight float64
}{
	{"check", 0.01},
	{"partition", 0.09},
	{"root-image", 0.62},
	{"boot-files", 0.14},
	{"config", 0.05},
	{"firmware-entry", 0.02},
	{"logging", 0.05},
	{"finish", 0.02},
}

// uninstallSteps are the steps of an uninstall (and a reinstall's wipe)
// on each disk, then once "report".
var uninstallSteps = []string{"open", "marker", "remove-entries", "remove-files", "firmware-entries", "wipe-signatures", "wipe-table"}

// upgradeSteps are the steps of an upgrade into the spare slot.
var upgradeSteps = []string{"open", "marker", "remove-old-entries", "write-slot", "write-kernel", "write-initrd", "write-version", "commit", "finish"}

// Steps are the names of the steps a run of p takes, in order, each once:
// the TUI lists them before they start. A run may skip one (an upgrade
// that only finishes) or, on several disks, repeat them.
func (p Plan) Steps() []string {
	var out []string
	switch p.Action {
	case ActionUpgrade:
		return append(out, upgradeSteps...)
	case ActionUninstall:
		return append(append(out, uninstallSteps...), "report")
	case ActionReinstall:
		if p.Wipe != nil {
			out = append(append(out, uninstallSteps...), "report")
		}
	}
	for _, s := range installSteps {
		out = append(out, s.name)
	}
	return out
}

// progress emits the step events of a run with the fraction of the whole.
type progress struct {
	sink  event.Sink
	step  string
	base  float64 // fraction done before the current step
	share float64 // the current step's share

	mu  sync.Mutex
	rec []string // the event stream as text, for the install log
}

func (p *progress) Emit(e event.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Kind != event.Progress {
		p.mu.Lock()
		p.rec = append(p.rec, e.Time.UTC().Format(time.RFC3339)+" "+event.FormatLine(event.Redacted(e)))
		p.mu.Unlock()
	}
	p.sink.Emit(e)
}

func (p *progress) start(step, msg string) {
	p.base += p.share
	p.step, p.share = step, 0
	for _, s := range installSteps {
		if s.name == step {
			p.share = s.weight
		}
	}
	p.Emit(event.Event{Kind: event.StepStarted, Step: step, Message: msg, Fraction: p.base})
}

func (p *progress) bytes(n, total int64) {
	f := p.base
	if total > 0 {
		f += p.share * float64(n) / float64(total)
	}
	p.Emit(event.Event{Kind: event.Progress, Step: p.step, Bytes: n, Total: total, Fraction: f})
}

func (p *progress) done(msg string) {
	p.Emit(event.Event{Kind: event.StepFinished, Step: p.step, Message: msg, Fraction: p.base + p.share})
}

func (p *progress) log(msg string) {
	p.Emit(event.Event{Kind: event.Log, Step: p.step, Message: msg, Fraction: p.base})
}

func (p *progress) warn(msg string) {
	p.Emit(event.Event{Kind: event.Warning, Step: p.step, Message: msg, Fraction: p.base})
}

// sub is the sink for a sub-operation (storage.Apply): its steps become
// log lines of the current step and its fractions are replaced, so the
// whole run's fraction never goes back.
func (p *progress) sub() event.Sink {
	return event.SinkFunc(func(e event.Event) {
		e.Fraction = p.base
		msg := e.Step
		if e.Message != "" {
			msg = strings.TrimPrefix(msg+": "+e.Message, ": ")
		}
		switch e.Kind {
		case event.StepStarted, event.Log:
			e.Kind, e.Message = event.Log, msg
		case event.Failed, event.Warning:
			e.Kind, e.Message = event.Warning, strings.TrimSpace(msg+" "+e.Err)
			e.Err = ""
		case event.Progress:
		default: // StepFinished, Started, Done: the engine reports its own
			return
		}
		e.Step = p.step
		p.Emit(e)
	})
}

func (p *progress) record() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.rec...)
}

// cleanups is a LIFO stack of undo/close functions run when a run ends,
// successful or not (as elemental's install action does).
type cleanups struct{ fns []func() error }

func (c *cleanups) push(fn func() error) { c.fns = append(c.fns, fn) }

// run pops and runs every function, joining their errors.
func (c *cleanups) run() error {
	var errs []error
	for i := len(c.fns) - 1; i >= 0; i-- {
		if err := c.fns[i](); err != nil {
			errs = append(errs, err)
		}
	}
	c.fns = nil
	return errors.Join(errs...)
}

// partitionNamed finds a planned partition by GPT name.
func partitionNamed(dl storage.DiskLayout, name string) (storage.PlannedPartition, bool) {
	for _, p := range dl.Partitions {
		if p.Name == name {
			return p, true
		}
	}
	return storage.PlannedPartition{}, false
}

// byteRange is a partition's offset and size in bytes.
func byteRange(dl storage.DiskLayout, p storage.PlannedPartition) (off, size int64) {
	ss := int64(dl.SectorSize)
	if ss == 0 {
		ss = 512
	}
	return int64(p.Start) * ss, int64(p.Size) * ss
}

// InstallSpec is everything an install writes, decided by the plan: the
// disks' layouts, the Config to persist, the rendered network files and
// the kernel arguments passed through to the installed system.
type InstallSpec struct {
	Action     Action
	Layout     storage.Layout
	Config     Config
	NetFiles   []network.File
	BootParams []string
}

// Install runs an install or reinstall of spec with the files of bundle,
// emitting events to sink; it takes no decisions. Every error is also
// emitted as a Failed event; success ends with Done.
func Install(ctx context.Context, spec InstallSpec, bundle *media.Bundle, sink event.Sink, o RunOptions) error {
	if sink == nil {
		sink = event.Discard{}
	}
	switch spec.Action {
	case ActionInstall, ActionReinstall:
	default:
		err := fmt.Errorf("action %q: %w by the install engine", spec.Action, ErrNotSupported)
		sink.Emit(event.Event{Kind: event.Failed, Step: "check", Err: err.Error()})
		return err
	}
	job, err := newInstallJob(spec.Action, spec.Layout, spec.Config, spec.NetFiles, spec.BootParams, bundle, o)
	if err != nil {
		// The event's step says "check" already ("FAILED: check: ...").
		sink.Emit(event.Event{Kind: event.Failed, Step: "check", Err: err.Error()})
		return err
	}
	return job.run(ctx, sink)
}
