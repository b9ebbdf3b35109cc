package tui

import (
	"context"

	"node-installer/installer"
	"node-installer/internal/event"
	"node-installer/storage"
)

// MediaInfo describes the media bundle the installer runs from.
type MediaInfo struct {
	Product string
	Version string
	// Signature says who signed the media (media.Verdict's text).
	Signature string
	// Insecure: accepted unverified (node.insecure_media).
	Insecure bool
}

// PlanView is a plan as the pages show it: made by Backend.Plan from the
// Config the form produced.
type PlanView struct {
	// Text is the plan in words (installer.Plan.Text()).
	Text string
	// Layout is the planned partition tables; empty when the plan failed.
	Layout storage.Layout
	// Problems block the install; each names its field.
	Problems installer.Problems
	// Wipe are the disks a reinstall wipes (its installation's whole disk
	// set); Uninstall the disks an uninstall clears.
	Wipe      []storage.Disk
	Uninstall []storage.Disk
	// Steps are the run's steps in order (installer.Plan.Steps): the
	// Progress page lists those still to come.
	Steps []string
}

// Backend is everything the TUI needs done outside the screen. The command
// wires the real machine, the demo wires image files, and tests wire the
// same real functions on temporary files. A nil func means "not available".
type Backend struct {
	// Plan makes the plan of cfg against the machine's facts; pure and fast
	// (called on every keystroke of the Storage sizes page). PlanFacts is
	// the installer's planning; tests and the commands use it.
	Plan func(cfg installer.Config, facts installer.Facts) PlanView
	// Run applies cfg's plan on facts, emitting events to sink; it returns
	// when the run is over. It is called from its own goroutine.
	// EngineRun is the installer's engine.
	Run func(ctx context.Context, cfg installer.Config, facts installer.Facts, sink event.Sink) error
	// ProbeDisk reads the device or image file the admin typed as "other device".
	ProbeDisk func(path string) (storage.Disk, error)
	// Ping checks that host answers from the live network.
	Ping func(ctx context.Context, host string) error
	// AdminHash returns the admin password hash of the installation on disk.
	AdminHash func(disk storage.Disk) (string, error)
	// SetKeymap loads a console keymap live (the Keyboard page, as the
	// admin moves through the list); nil: this console's keymap is not
	// changed (the demo, a terminal that is not a console).
	SetKeymap func(name string) error
	// Shell runs an interactive shell on the terminal (F2); nil: not allowed.
	Shell func() error
	// Reprobe reads the machine again after a failed run, so the Confirm
	// page of a retry says what the disks hold now; nil keeps the facts.
	Reprobe func() (installer.Facts, error)
}

// Outcome is what the admin chose at the end.
type Outcome string

// Outcomes returned by Run.
const (
	OutcomeQuit     Outcome = "quit" // left before anything was written
	OutcomeReboot   Outcome = "reboot"
	OutcomePowerOff Outcome = "poweroff"
	OutcomeShell    Outcome = "shell"
	// OutcomeInterrupted: SIGTERM, SIGHUP or SIGINT; a run was stopped.
	OutcomeInterrupted Outcome = "interrupted"
)
