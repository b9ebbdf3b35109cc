package installer

import (
	"context"
	"errors"
	"fmt"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/network"
)

// Run executes plan.Action with the files of bundle, emitting events to
// sink. It takes no decisions: the plan says which disks, partitions and
// files. A plan with problems writes nothing. Install and reinstall run
// the install engine (a reinstall wipes its disk set first); upgrade runs
// UpgradeDisk on the plan's disk; uninstall runs UninstallDisks on the
// plan's disk set and needs no bundle.
//
// The plan's Config has its password hashes masked: pass the real ones
// with RunWith and RunOptions.Secrets when the plan sets a password.
func Run(ctx context.Context, plan Plan, bundle *media.Bundle, sink event.Sink) error {
	return RunWith(ctx, plan, bundle, sink, RunOptions{})
}

// RunWith is Run with options.
func RunWith(ctx context.Context, plan Plan, bundle *media.Bundle, sink event.Sink, o RunOptions) error {
	if sink == nil {
		sink = event.Discard{}
	}
	fail := func(err error) error {
		sink.Emit(event.Event{Kind: event.Failed, Step: "check", Err: err.Error()})
		return err
	}
	if !plan.OK() {
		return fail(fmt.Errorf("the plan has problems, nothing written:\n%w", plan.Problems))
	}
	if plan.Halt != "" {
		// A halting plan lays out nothing: it is never applied.
		return fmt.Errorf("%w on %s, nothing written", ErrInstalled, plan.Halt)
	}
	if bundle == nil && plan.Action != ActionUninstall {
		return fail(fmt.Errorf("no media bundle: %w", ErrMedia))
	}
	cfg := plan.Config
	if o.Secrets != nil {
		cfg.Host.AdminPW, cfg.Host.RootPW = o.Secrets.AdminPW, o.Secrets.RootPW
	}
	if cfg.Host.AdminPW == masked || cfg.Host.RootPW == masked {
		return fail(errors.New("the plan's Config has its password hashes masked: pass them in RunOptions.Secrets"))
	}
	// The bundle handed in is checked against the plan with the plan's own
	// fit rule before the first write: a reinstall that cannot fill the
	// disk must not wipe it.
	if bundle != nil {
		if ps := fitProblems(&plan, bundle.Manifest); len(ps) > 0 {
			return fail(fmt.Errorf("%w: the media do not fit the plan, nothing written:\n%w", ErrRefused, ps))
		}
	}
	// The claim of every disk comes first and is held to the end; under it
	// each disk is read again and must still hold what the plan judged.
	held, err := claimPlan(plan, string(plan.Action))
	if err != nil {
		return fail(err)
	}
	defer held.release()
	switch plan.Action {
	case ActionInstall, ActionReinstall:
		if len(plan.Layout.Disks) == 0 {
			return fail(errors.New("the plan lays out no disk: nothing to install"))
		}
		if plan.Action == ActionReinstall && plan.Wipe != nil {
			// The run's firmware variables, as the install's entry uses.
			wo := UninstallOptions{EFIVarsDir: o.EFIVarsDir, Product: bundle.Manifest.Product}
			if _, err := WipeDisks(ctx, *plan.Wipe, wo, scaled(sink, 0, wipeShare)); err != nil {
				return err
			}
			sink = scaled(sink, wipeShare, 1)
		}
		spec := InstallSpec{Action: plan.Action, Layout: plan.Layout, Config: cfg,
			NetFiles: network.Render(plan.Network), BootParams: plan.BootParams}
		return Install(ctx, spec, bundle, sink, o)
	case ActionUpgrade:
		if plan.Upgrade == nil {
			return fail(errors.New("the plan names no disk to upgrade"))
		}
		_, err := UpgradeDisk(ctx, *plan.Upgrade, bundle, cfg, sink)
		return err
	case ActionUninstall:
		if plan.Uninstall == nil {
			return fail(errors.New("the plan names no disk set to uninstall"))
		}
		o := UninstallOptions{EFIVarsDir: o.EFIVarsDir}
		if bundle != nil {
			o.Product = bundle.Manifest.Product
		}
		_, err := UninstallDisks(ctx, *plan.Uninstall, o, sink)
		return err
	}
	return fail(fmt.Errorf("action %q: %w", plan.Action, ErrNotSupported))
}

// wipeShare is the part of a reinstall's progress its wipe takes.
const wipeShare = 0.1
