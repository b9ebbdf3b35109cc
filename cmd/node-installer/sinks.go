package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"node-installer/installer"
	"node-installer/internal/event"
)

// runSinks is the one wiring of a run's events, for `auto` and the TUI
// alike: the run's front (the console or the screen), the log file at
// node.log_level, its tail, and node.webhook with the node's identity
// and the tail; each on its own queue of one bus, so a slow consumer
// never holds the engine up.
type runSinks struct {
	bus     *event.Bus
	tail    *event.Tail
	webhook *event.Webhook
	logPath string
	logFile *os.File
	waits   []func()
}

// defaultLogPath is where a run's log goes unless told otherwise.
func defaultLogPath() string {
	p := "/run/node-installer/install.log"
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return filepath.Join(os.TempDir(), "node-installer-install.log")
	}
	return p
}

// openSinks opens the log (logPath, "" for the default) and attaches
// front (queue: its queue size) and the others to a new bus.
func openSinks(cfg installer.Config, logPath string, front event.Sink, queue int) (*runSinks, error) {
	if logPath == "" {
		logPath = defaultLogPath()
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	level := slog.LevelInfo
	if cfg.Unattended.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
	s := &runSinks{bus: event.NewBus(), tail: event.NewTail(20), logPath: logPath, logFile: f}
	s.waits = append(s.waits,
		event.Attach(s.bus, front, queue),
		event.Attach(s.bus, event.NewLogSink(logger), 1024),
		event.Attach(s.bus, s.tail, 256))
	if u := cfg.Unattended.Webhook; u != "" {
		s.webhook = event.NewWebhook(u, event.WebhookOptions{Tail: s.tail.Lines, Logger: logger, Node: autoNodeIdentity(cfg),
			Format: cfg.Unattended.WebhookFormat, Token: cfg.Unattended.WebhookToken})
		s.waits = append(s.waits, event.Attach(s.bus, s.webhook, 1024))
	}
	return s, nil
}

// close drains every consumer and flushes the webhook (bounded by
// webhookFlushTimeout): the last events reach the receiver before any
// reboot or power-off. What was not delivered is said on stderr.
func (s *runSinks) close(stderr io.Writer) {
	s.bus.Close()
	for _, w := range s.waits {
		w()
	}
	if s.webhook != nil {
		if sent, dropped := s.webhook.Close(webhookFlushTimeout); dropped > 0 {
			fmt.Fprintf(stderr, "webhook: %d event(s) sent, %d not delivered\n", sent, dropped)
		}
	}
	s.logFile.Close()
}

// procCmdline is where the kernel command line is read from.
var procCmdline = "/proc/cmdline"

// kernelCmdline is the command line a run reads: given (a --cmdline
// flag), else the kernel's, trimmed. Every subcommand reads it here.
func kernelCmdline(given string, set bool) (string, error) {
	if set {
		return given, nil
	}
	b, err := os.ReadFile(procCmdline)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// machineFacts is the one way cmd builds a run's Facts (`auto`, `plan`,
// the TUI): a recorded profile or the probe of this machine; --disk
// images or devices replace the disks and are then the only candidates;
// image files alone are planned for UEFI (another machine boots them,
// always with UEFI); the Config volumes are marked. What it assumed or
// could not read goes to warn.
func machineFacts(path string, disks []string, warn io.Writer) (facts installer.Facts, err error) {
	defer func() { installer.MarkConfigVolumes(&facts) }()
	if path != "" {
		if facts, err = installer.LoadFacts(path); err != nil {
			return facts, err
		}
	} else if facts, err = installer.Probe(); err != nil {
		if len(disks) == 0 {
			// a partial probe still plans; say what is missing
			fmt.Fprintf(warn, "warning: %v\n", err)
		}
		err = nil
	}
	if len(disks) == 0 {
		return facts, nil
	}
	facts.Disks = nil
	images := true
	for _, p := range disks {
		d, err := probeDisk(p)
		if err != nil {
			return facts, fmt.Errorf("--disk %w", err)
		}
		images = images && d.Transport == "file"
		facts.Disks = append(facts.Disks, d)
	}
	if images && facts.Firmware != "uefi" {
		fmt.Fprintln(warn, "planning image files for UEFI firmware")
		facts.Firmware = "uefi"
	}
	return facts, nil
}

// prefixed writes each Write to w after a prefix ("plan: ").
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}
