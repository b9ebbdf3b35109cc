package installer

import (
	"context"

	"node-installer/internal/event"
	"node-installer/storage"
)

// The storage operations of an install (package storage applies, the
// engine only sequences).
var (
	applyDisk = func(ctx context.Context, dl storage.DiskLayout, sink event.Sink) error {
		return storage.Apply(ctx, dl, sink)
	}
	makeExt4 = storage.MakeExt4
)
