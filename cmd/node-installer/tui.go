package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	// The Linux console's terminfo, compiled in: the live system may have none.
	_ "github.com/gdamore/tcell/v2/terminfo/l/linux"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/installer/nodeconfig"
	"node-installer/internal/event"
	"node-installer/storage"
	"node-installer/tui"
)

func init() {
	commands["tui"] = command{summary: "the interactive installer (--media DIR, --disk PATH ...)", run: runTUI}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runTUI(args []string) int {
	fs := flag.NewFlagSet("tui", flag.ContinueOnError)
	mediaDir := fs.String("media", "", "media bundle directory (default: node.media= or the demo bundle is refused)")
	cmdline := fs.String("cmdline", "", "kernel command line to pre-fill from (default: /proc/cmdline)")
	var disks, trustKeys stringList
	fs.Var(&disks, "disk", "image file or block device to offer (repeatable; default: the machine's disks)")
	fs.Var(&trustKeys, "trust-key", "trusted public key file for the media's signature (repeatable)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if *cmdline == "" {
		*cmdline, _ = kernelCmdline("", false) // none: nothing pre-filled
	}
	s, err := newSession(*cmdline, *mediaDir, disks, "", trustKeys...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-installer tui: %v\n", err)
		return 1
	}
	out, err := tui.Run(s.opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-installer tui: %v\n", err)
		return 1
	}
	return afterTUI(out, false)
}

// session is what a TUI run needs: facts, the pre-filled Config, media and backend.
type session struct {
	opts   tui.Options
	bundle *media.Bundle
}

// newSession probes the machine (or the given image files) and wires the
// real backend functions; the run's events also go to logPath (default
// /run/node-installer/install.log) and to node.webhook.
func newSession(cmdline, mediaDir string, disks []string, logPath string, trustKeys ...string) (*session, error) {
	facts, err := probeFacts(disks)
	if err != nil {
		return nil, err
	}
	cfg, problems := loadConfig(cmdline, &facts, trustKeys...)
	// The keys of an installed node are checked by the upgrade itself
	// (installer.UpgradeDisk) once the admin chose it.
	trust, err := installer.MediaTrust(installer.Plan{Config: cfg}, trustKeys, embeddedKeysDir)
	if err != nil {
		return nil, err
	}
	b, err := autoOpenMedia(context.Background(), mediaDir, cfg.Unattended.Media, trust)
	if err != nil {
		return nil, err
	}
	s := &session{bundle: b}
	s.opts = tui.Options{
		Config: cfg,
		Facts:  facts,
		Media: tui.MediaInfo{Product: b.Manifest.Product, Version: b.Manifest.Version,
			Signature: b.Verdict.String(), Insecure: !b.Verdict.Signed},
		Backend: tui.Backend{
			Plan:      tui.PlanFacts,
			ProbeDisk: probeDisk,
			Ping:      pingHost,
			Shell:     runShell,
		},
	}
	s.opts.Backend.Run = runEngine(b, cfg, logPath, installer.RunOptions{})
	s.opts.Backend.AdminHash = installer.InstalledAdminHash
	if tui.OnVirtualConsole() {
		s.opts.Backend.SetKeymap = func(name string) error { return nodeconfig.LoadKeymap(context.Background(), name) }
	}
	s.opts.Backend.Reprobe = func() (installer.Facts, error) { return probeFacts(disks) }
	if len(problems) > 0 {
		// Kernel arguments that do not parse are not pre-filled; say so on stderr
		// before the screen is taken, and in the log.
		fmt.Fprintf(os.Stderr, "node-installer: kernel command line problems (ignored by the TUI):\n%v\n", problems)
	}
	return s, nil
}

// probeFacts reads the machine (installer.Probe), or only the given disks
// (image files or devices) as `auto --disk` does; installed versions come
// from the ESP, which storage.Inspect reads.
func probeFacts(disks []string) (installer.Facts, error) {
	f, err := autoFacts("", disks)
	if err != nil {
		return f, err
	}
	for i, d := range f.Disks {
		if d.Installation != nil {
			if rep := storage.Inspect(d.Path); rep.Installation != nil {
				f.Disks[i].Installation = rep.Installation
			}
		}
	}
	return f, nil
}

// probeDisk reads an image file, or finds a block device among the probed disks.
func probeDisk(path string) (storage.Disk, error) {
	st, err := os.Stat(path)
	if err != nil {
		return storage.Disk{}, fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode().IsRegular() {
		return storage.ProbeImage(path)
	}
	all, err := storage.Probe("/sys", "/dev")
	if err != nil {
		return storage.Disk{}, fmt.Errorf("probe disks: %w", err)
	}
	real, _ := resolvePath(path)
	for _, d := range all {
		if d.Path == path || d.Path == real {
			return d, nil
		}
	}
	return storage.Disk{}, fmt.Errorf("%s is neither an image file nor a whole disk of this machine", path)
}

func resolvePath(p string) (string, error) {
	r, err := os.Readlink(p)
	if err != nil {
		return p, err
	}
	if !strings.HasPrefix(r, "/") {
		r = "/dev/" + strings.TrimLeft(strings.ReplaceAll(r, "../", ""), "/")
	}
	return r, nil
}

// memBytes is MemTotal of /proc/meminfo.
func memBytes() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// pingHost sends one ICMP echo with the system's ping.
func pingHost(ctx context.Context, host string) error {
	out, err := exec.CommandContext(ctx, "ping", "-c", "1", "-W", "2", "--", host).CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%v: %s", err, lines[len(lines)-1])
	}
	return nil
}

// runShell runs an interactive shell on the terminal (F2).
func runShell() error {
	sh := os.Getenv("SHELL")
	if sh == "" {
		sh = "/bin/sh"
	}
	fmt.Println("Type exit to return to the installer.")
	c := exec.Command(sh)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	return c.Run()
}

// afterTUI carries out what the admin chose at the end.
func afterTUI(o tui.Outcome, demo bool) int {
	switch o {
	case tui.OutcomeQuit:
		fmt.Println("node-installer: left the installer; nothing was written.")
	case tui.OutcomeReboot, tui.OutcomePowerOff:
		if demo {
			fmt.Printf("node-installer demo: the installer would now %s the machine.\n", map[tui.Outcome]string{tui.OutcomeReboot: "reboot", tui.OutcomePowerOff: "power off"}[o])
			return 0
		}
		if err := powerAction(o); err != nil {
			fmt.Fprintf(os.Stderr, "node-installer: %s: %v\n", o, err)
			return 1
		}
	case tui.OutcomeShell:
		if err := runShell(); err != nil {
			return 1
		}
	case tui.OutcomeInterrupted:
		fmt.Fprintln(os.Stderr, "node-installer: interrupted by a signal; a run in progress was stopped (see the log).")
		return installer.ExitInterrupted
	}
	return 0
}

// powerAction reboots or powers off through systemctl or busybox.
func powerAction(o tui.Outcome) error {
	verb := "reboot"
	if o == tui.OutcomePowerOff {
		verb = "poweroff"
	}
	if p, err := exec.LookPath("systemctl"); err == nil {
		return exec.Command(p, verb).Run()
	}
	return exec.Command(verb).Run()
}

// runEngine is the engine run for the TUI. Its events go to the screen,
// to the log file (copied to the Logging partition by the engine) and to
// node.webhook, each through its own queue of an event.Bus, so neither a
// slow screen nor a slow webhook holds the engine up.
func runEngine(b *media.Bundle, pre installer.Config, logPath string, o installer.RunOptions) func(context.Context, installer.Config, installer.Facts, event.Sink) error {
	return func(ctx context.Context, cfg installer.Config, facts installer.Facts, screen event.Sink) error {
		o := o // this run's options: the log file is added below
		// node.webhook (its format and token), node.log_level and the done
		// callbacks are the kernel's and the answer file's (pre); the pages
		// do not set them.
		wired := cfg
		wired.Unattended.Webhook, wired.Unattended.LogLevel = pre.Unattended.Webhook, pre.Unattended.LogLevel
		wired.Unattended.WebhookFormat, wired.Unattended.WebhookToken = pre.Unattended.WebhookFormat, pre.Unattended.WebhookToken
		s, err := openSinks(wired, logPath, screen, 256)
		if err != nil {
			screen.Emit(event.Event{Kind: event.Warning, Step: "log", Message: err.Error()})
			return tui.EngineRun(b, o)(ctx, cfg, facts, screen)
		}
		o.LogFile = s.logPath
		bus := s.bus
		bus.Emit(event.Event{Kind: event.Log, Message: fmt.Sprintf("node-installer %s: %s from the TUI, log %s", version, cfg.Action, s.logPath)})
		err = tui.EngineRun(b, o)(ctx, cfg, facts, bus)
		if err == nil {
			callDone(bus, pre)
		}
		s.close(io.Discard) // the webhook flushed before the admin can reboot; its delivery problems are in the log
		return err
	}
}
