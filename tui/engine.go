package tui

import (
	"context"
	"errors"
	"fmt"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/network"
	"node-installer/storage"
)

// EngineRun is a Backend.Run on the installer's engine with bundle: it
// plans cfg on facts (pure) and hands the plan to the engine, which takes
// no decisions. The commands and the full-flow tests wire it; the pages
// only ever see Backend.Run.
func EngineRun(bundle *media.Bundle, o installer.RunOptions) func(context.Context, installer.Config, installer.Facts, event.Sink) error {
	return func(ctx context.Context, cfg installer.Config, facts installer.Facts, sink event.Sink) error {
		switch cfg.Action {
		case installer.ActionInstall, installer.ActionReinstall:
			spec, err := installSpec(cfg, facts)
			if err != nil {
				sink.Emit(event.Event{Kind: event.Failed, Step: "plan", Err: err.Error()})
				return err
			}
			return installer.Install(ctx, spec, bundle, sink, o)
		case installer.ActionUpgrade:
			inst := detect(facts.Disks)
			if len(inst) == 0 {
				return errors.New("upgrade: no installation of this product on the disks")
			}
			_, err := installer.UpgradeDisk(ctx, inst[0].Disk, bundle, cfg, sink)
			return err
		case installer.ActionUninstall:
			set := installer.PlanUninstallSet(cfg.Storage, facts.Disks)
			if len(set.Problems) > 0 {
				return set.Problems
			}
			rep, err := installer.UninstallDisks(ctx, set, installer.UninstallOptions{Product: bundle.Manifest.Product, EFIVarsDir: o.EFIVarsDir}, sink)
			if err == nil {
				sink.Emit(event.Event{Kind: event.Log, Message: rep.Text()})
			}
			return err
		}
		return fmt.Errorf("action %q: nothing to run", cfg.Action)
	}
}

// installSpec is the engine's input for an install: the layout of the
// chosen disks, the Config and the rendered network files.
func installSpec(cfg installer.Config, facts installer.Facts) (installer.InstallSpec, error) {
	disks := append([]storage.Disk(nil), facts.Disks...)
	storage.SortDisks(disks)
	choice, err := storage.Choose(cfg.Storage, disks)
	if err != nil {
		return installer.InstallSpec{}, fmt.Errorf("choose disks: %w", err)
	}
	layout, err := storage.PlanLayout(cfg.Storage, choice, facts.MemBytes)
	if err != nil {
		return installer.InstallSpec{}, fmt.Errorf("plan layout: %w", err)
	}
	spec := installer.InstallSpec{Action: cfg.Action, Layout: layout, Config: cfg, BootParams: cfg.BootParams}
	if len(facts.NICs) > 0 {
		np, err := network.MakePlan(cfg.Network, facts.NICs)
		if err != nil {
			return installer.InstallSpec{}, fmt.Errorf("plan network: %w", err)
		}
		spec.NetFiles = network.Render(np)
	}
	return spec, nil
}
