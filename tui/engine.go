package tui

import (
	"context"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
)

// EngineRun is a Backend.Run on the installer's engine with bundle: it
// plans cfg on facts (installer.MakePlan, pure) and hands the plan to
// installer.RunWith, which takes no decisions. The commands and the
// full-flow tests wire it; the pages only ever see Backend.Run.
func EngineRun(bundle *media.Bundle, o installer.RunOptions) func(context.Context, installer.Config, installer.Facts, event.Sink) error {
	return func(ctx context.Context, cfg installer.Config, facts installer.Facts, sink event.Sink) error {
		plan := installer.MakePlan(cfg, facts)
		// The plan masks the hashes; the engine gets the real ones apart.
		host := cfg.Host
		o.Secrets = &host
		return installer.RunWith(ctx, plan, bundle, sink, o)
	}
}
