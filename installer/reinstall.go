package installer

import (
	"context"
	"fmt"

	"node-installer/internal/event"
)

// WipeDisks is the first half of a wipe-reinstall: every disk of set
// (made by PlanWipeSet: the install targets and every disk holding this
// product) loses its loader entries first (from then on it no longer
// boots the old installation), then its ESP files, firmware boot entries,
// partition signatures and partition tables, exactly as an uninstall
// does. The install then writes the disks from scratch, with its own
// "not finished" marker and commit point. A set with problems (an
// installation spanning a disk storage_init does not name) writes nothing.
func WipeDisks(ctx context.Context, set DiskSet, o UninstallOptions, sink event.Sink) (UninstallReport, error) {
	rep, err := UninstallDisks(ctx, set, o, sink)
	if err != nil {
		return rep, fmt.Errorf("reinstall: wipe: %w", err)
	}
	return rep, nil
}
