package vm

import (
	"context"
	"os/exec"

	"node-installer/internal/live"
)

// The live-environment builders (Debian packages, kernel modules, the
// initramfs) are the product's, in internal/live; the test bed uses them.
type (
	Cache     = live.Cache
	Kernel    = live.Kernel
	Initramfs = live.Initramfs
	File      = live.File
)

var (
	DefaultCache = live.DefaultCache
	FindBusybox  = live.FindBusybox
	IsStatic     = live.IsStatic
	Key          = live.Key
	BuilderID    = live.BuilderID
)

func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	return live.Run(ctx, dir, name, args...)
}

func safeName(s string) string { return live.SafeName(s) }

func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}
