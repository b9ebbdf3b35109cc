package nodeconfig

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"node-installer/network"
)

// DefaultConfirmWithin is how long a live network change waits for the
// admin to keep it before it is reverted.
const DefaultConfirmWithin = 60 * time.Second

// Live is a network change applied to the running system, with what it
// takes to put the previous one back.
type Live struct {
	Result network.Result
	// Took is the time from the first netlink change to the plan applied.
	Took time.Duration
	h    *netlink.Handle
	snap network.Snapshot
	// resolv is the live resolv.conf before the change (nil: absent).
	resolvPath string
	resolv     []byte
	files      Result
}

// ApplyLive applies plan through h as `net --apply` does, after
// removing the addresses the plan no longer has. files is the on-disk
// change that rendered plan: Revert undoes it too. On failure the live
// state is restored at once.
func ApplyLive(ctx context.Context, h *netlink.Handle, plan network.Plan, files Result, opts network.ApplyOptions) (*Live, error) {
	start := time.Now()
	snap, err := network.TakeSnapshot(h)
	if err != nil {
		return nil, err
	}
	lv := &Live{h: h, snap: snap, files: files, resolvPath: opts.ResolvConf}
	if opts.ResolvConf != "" {
		if b, err := os.ReadFile(opts.ResolvConf); err == nil {
			lv.resolv = b
		}
	}
	pruned, err := network.Prune(h, plan)
	if err == nil {
		lv.Result, err = network.Apply(ctx, h, plan, opts)
		lv.Result.Changes = append(pruned, lv.Result.Changes...)
	}
	lv.Took = time.Since(start)
	if err != nil {
		if rerr := lv.revertLive(); rerr != nil {
			err = fmt.Errorf("%w; restoring the previous network: %v", err, rerr)
		}
		return nil, err
	}
	return lv, nil
}

// Revert puts the previous network back, live and on disk.
func (lv *Live) Revert() ([]string, error) {
	changes, err := lv.snap.Restore(lv.h)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if err := lv.restoreResolv(); err != nil {
		errs = append(errs, err)
	}
	if err := lv.files.Undo(); err != nil {
		errs = append(errs, fmt.Errorf("restore the previous files: %w", err))
	}
	return changes, errors.Join(errs...)
}

func (lv *Live) revertLive() error {
	_, err := lv.snap.Restore(lv.h)
	return errors.Join(err, lv.restoreResolv())
}

func (lv *Live) restoreResolv() error {
	if lv.resolvPath == "" {
		return nil
	}
	if lv.resolv == nil {
		if err := os.Remove(lv.resolvPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeAtomic(lv.resolvPath, lv.resolv, 0o644)
}

// Confirmation: a waiting change writes the pending file (its pid and
// deadline) and keeps the change when the confirm file appears. The
// admin confirms with `node-installer config confirm`, from the console
// or from an SSH session on the new address.
const (
	pendingFile = "run/node-installer/network-pending"
	confirmFile = "run/node-installer/network-confirmed"
)

// AwaitConfirm waits up to within for a confirmation (the confirm file
// under root, or a value on keep) and reports whether it came. ctx's end
// counts as no confirmation.
func AwaitConfirm(ctx context.Context, root string, within time.Duration, keep <-chan bool) (bool, error) {
	pend, conf := filepath.Join(root, pendingFile), filepath.Join(root, confirmFile)
	_ = os.Remove(conf)
	deadline := time.Now().Add(within)
	if err := writeAtomic(pend, []byte(strconv.Itoa(os.Getpid())+" "+deadline.UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return false, fmt.Errorf("record the pending change: %w", err)
	}
	defer os.Remove(pend)
	defer os.Remove(conf)
	timer := time.NewTimer(within)
	defer timer.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-timer.C:
			return false, nil
		case ok := <-keep:
			return ok, nil
		case <-tick.C:
			if _, err := os.Stat(conf); err == nil {
				return true, nil
			}
		}
	}
}

// Confirm keeps the network change waiting under root; false when none
// is waiting.
func Confirm(root string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(root, pendingFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pid, _, ok := strings.Cut(strings.TrimSpace(string(b)), " "); ok {
		if n, err := strconv.Atoi(pid); err == nil && !alive(n) {
			return false, nil
		}
	}
	return true, writeAtomic(filepath.Join(root, confirmFile), []byte("confirmed\n"), 0o644)
}

func alive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}
