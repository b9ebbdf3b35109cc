package installer

import (
	"context"
	"errors"

	"node-installer/installer/media"
)

// Exit codes of unattended runs (`node-installer auto`), stable for
// provisioning systems; docs/exit-codes.md is their reference.
const (
	ExitOK           = 0   // the action finished
	ExitFailed       = 1   // the action failed while writing; the disk carries the unfinished marker
	ExitUsage        = 2   // bad command-line flags of node-installer itself
	ExitInvalid      = 3   // the kernel arguments or the plan have problems; nothing written
	ExitMedia        = 4   // the media bundle is missing or invalid; nothing written
	ExitVerify       = 5   // an image did not match the manifest while streaming; no boot entry written
	ExitNoAction     = 6   // the kernel command line names no unattended action
	ExitInstalled    = 7   // node.halt_if_installed and an installation exists; nothing written
	ExitNotSupported = 8   // the action is not supported yet; nothing written
	ExitInterrupted  = 130 // stopped by SIGINT/SIGTERM
)

// ErrMedia marks errors opening the media bundle.
var ErrMedia = errors.New("media bundle unusable")

// ErrInstalled: the plan halts (node.halt_if_installed and an
// installation exists); nothing was written.
var ErrInstalled = errors.New("node.halt_if_installed: an installation exists")

// ExitCode maps the error of a run to its exit code.
func ExitCode(err error) int {
	var ps Problems
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, media.ErrVerify):
		return ExitVerify
	case errors.Is(err, ErrMedia):
		return ExitMedia
	case errors.Is(err, ErrNotSupported):
		return ExitNotSupported
	case errors.Is(err, ErrInstalled):
		return ExitInstalled
	case errors.As(err, &ps), errors.Is(err, ErrRefused):
		return ExitInvalid
	}
	return ExitFailed
}
