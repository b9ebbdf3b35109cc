package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"node-installer/installer"
	"node-installer/installer/nodeconfig"
)

func init() {
	commands["status"] = command{summary: "the running node's slots, versions, boot counting and staged boot (--json for a manager)", run: func(a []string) int { return statusMain(a, os.Stdout, os.Stderr) }}
	commands["rollback"] = command{summary: "boot the other slot again: by default, or --once on the next boot only", run: func(a []string) int { return rollbackMain(a, os.Stdout, os.Stderr) }}
}

// nodeFlags are the flags locating the running node's files.
func nodeFlags(fs *flag.FlagSet) func() nodeconfig.Options {
	root := fs.String("root", "/", "the node's root (another folder in tests)")
	esp := fs.String("esp", "", "the mounted ESP (default ROOT/boot/efi)")
	vars := fs.String("efivars", "", "efivarfs (default "+nodeconfig.DefaultEFIVars+")")
	return func() nodeconfig.Options { return nodeconfig.Options{Root: *root, ESPDir: *esp, EFIVarsDir: *vars} }
}

// nodeStatus is `status --json`: what a manager polls.
type nodeStatus struct {
	Product    string                 `json:"product,omitempty"`
	Version    string                 `json:"version,omitempty"`
	BootedSlot string                 `json:"booted_slot,omitempty"`
	Slots      []nodeconfig.SlotState `json:"slots"`
	RolledBack bool                   `json:"rolled_back"`
	// OneShot is LoaderEntryOneShot: the entry the next boot only boots
	// (a staged upgrade or a one-shot rollback).
	OneShot string `json:"one_shot,omitempty"`
	// DefaultOverride is LoaderEntryDefault (rollback, the Boot page).
	DefaultOverride string   `json:"default_override,omitempty"`
	LastRun         string   `json:"last_run,omitempty"`
	Problems        []string `json:"problems,omitempty"`
}

func statusMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := nodeFlags(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: node-installer status [--json] [--root DIR] [--esp DIR] [--efivars DIR]")
		return installer.ExitUsage
	}
	o := opts()
	st := nodeconfig.ReadStatus(o)
	ns := nodeStatus{Product: st.Product, Version: st.Version, BootedSlot: st.Slot, Slots: nodeconfig.Slots(o, st),
		RolledBack: st.RolledBack, LastRun: st.LastRun, Problems: st.Problems}
	var err error
	if ns.OneShot, err = nodeconfig.LoaderVar(o, "LoaderEntryOneShot"); err != nil {
		ns.Problems = append(ns.Problems, err.Error())
	}
	if ns.DefaultOverride, err = nodeconfig.LoaderVar(o, "LoaderEntryDefault"); err != nil {
		ns.Problems = append(ns.Problems, err.Error())
	}
	if !*asJSON {
		fmt.Fprint(stdout, nodeconfig.StatusText(st))
		if ns.OneShot != "" {
			fmt.Fprintf(stdout, "Next boot only %s\n", ns.OneShot)
		}
		if ns.DefaultOverride != "" {
			fmt.Fprintf(stdout, "Default set to %s (LoaderEntryDefault)\n", ns.DefaultOverride)
		}
		return installer.ExitOK
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ns); err != nil {
		return installer.ExitFailed
	}
	return installer.ExitOK
}

func rollbackMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := nodeFlags(fs)
	once := fs.Bool("once", false, "boot the other slot on the next boot only (LoaderEntryOneShot)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: node-installer rollback [--once] [--root DIR] [--esp DIR] [--efivars DIR]")
		return installer.ExitUsage
	}
	e, err := nodeconfig.Rollback(opts(), *once)
	if err != nil {
		fmt.Fprintf(stderr, "node-installer %v\n", err)
		if errors.Is(err, nodeconfig.ErrRollbackRefused) {
			return installer.ExitInvalid
		}
		return installer.ExitFailed
	}
	what := "by default from the next boot on (LoaderEntryDefault)"
	if *once {
		what = "on the next boot only (LoaderEntryOneShot)"
	}
	fmt.Fprintf(stdout, "slot %s (%s, %s) boots %s; reboot when ready\n", nodeconfig.EntrySlot(e), e.Version, e.File, what)
	return installer.ExitOK
}
