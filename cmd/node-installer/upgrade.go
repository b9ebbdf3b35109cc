package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"node-installer/installer"
	"node-installer/internal/event"
)

func init() {
	commands["upgrade"] = command{summary: "upgrade the installed, running node from new media into its inactive slot", run: runUpgrade}
}

const upgradeUsageText = `usage: node-installer upgrade --media DIR|ISO|URL [--disk PATH] [--allow-downgrade] [--force] [--json]
       [--trust-key KEY.pub ...] [--webhook URL] [--log FILE] [--cmdline "..."]

Writes the media's image into the inactive root slot of the installed disk
(the one whose ESP holds this product), its kernel and initrd to the ESP,
and commits the new loader entry with boot counting; the running slot, the
Config, Logging and Data partitions are not touched. The reboot is left to
the caller. Exit codes: docs/exit-codes.md (3: refused, nothing written).`

func runUpgrade(args []string) int {
	return upgradeMain(args, os.Stdout, os.Stderr)
}

// upgradeLogPath is where the running node's upgrade logs (the Status
// page reads its last result there).
var upgradeLogPath = "/var/log/node-installer/install.log"

// upgradeMain is `upgrade`: the unattended upgrade of `auto` (one plan,
// one engine: installer.RunWith and UpgradeDisk) driven by flags on the
// installed node instead of kernel arguments.
func upgradeMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upgrade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mediaSrc := fs.String("media", "", "the new media: a bundle directory, an ISO or USB image made by `media build`, or an http(s) URL (required)")
	disk := fs.String("disk", "", "the installed disk (image file or block device; default: the disk whose ESP holds the installation)")
	allowDowngrade := fs.Bool("allow-downgrade", false, "accept media older than the installed version (same major version)")
	force := fs.Bool("force", false, "rewrite the inactive slot with the installed version")
	asJSON := fs.Bool("json", false, "print the events as JSON lines on stdout (for a manager)")
	webhook := fs.String("webhook", "", "also POST every event to this URL (as node.webhook=)")
	logPath := fs.String("log", "", "log file (default: "+upgradeLogPath+", else /run/node-installer/install.log)")
	cmdline := fs.String("cmdline", "", "the running system's kernel command line, for its booted slot (default: /proc/cmdline)")
	var trustKeys autoDiskFlags
	fs.Var(&trustKeys, "trust-key", "trusted public key file for the media's signature (repeatable; with the node's "+installer.TrustedKeysPath+" on the ESP)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, upgradeUsageText)
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "upgrade: unexpected argument %q\n", fs.Arg(0))
		return installer.ExitUsage
	}
	if *mediaSrc == "" {
		fmt.Fprintln(stderr, "upgrade: --media is required (a bundle directory, an ISO made by `media build`, or an http(s) URL)")
		return installer.ExitUsage
	}
	var disks []string
	if *disk != "" {
		disks = []string{*disk}
	}

	cfg := installer.Defaults()
	cfg.Action = installer.ActionUpgrade
	cfg.Unattended.AllowDowngrade = *allowDowngrade
	cfg.Unattended.RefuseSameVersion = !*force
	cfg.Unattended.Webhook = *webhook
	cfg.Unattended.Media = *mediaSrc
	cfg.Unattended.BootedSlot = bootedSlot(*cmdline, *disk)

	r := &autoRun{stdout: stdout, stderr: stderr, cfg: cfg, trustKeys: trustKeys}
	var front event.Sink
	if *asJSON {
		front = jsonLines(stdout)
	} else {
		tty := false
		if out, ok := stdout.(*os.File); ok {
			tty = event.IsTerminal(out)
		}
		front = event.NewConsole(stdout, tty)
	}
	lp := *logPath
	if lp == "" && os.MkdirAll(filepath.Dir(upgradeLogPath), 0o755) == nil {
		lp = upgradeLogPath
	}
	if err := r.startWith(lp, front); err != nil {
		fmt.Fprintf(stderr, "upgrade: %v\n", err)
		return installer.ExitFailed
	}
	facts, probeErr := autoFacts("", disks)
	code := r.run(nil, *mediaSrc, facts, probeErr)
	if code == installer.ExitOK {
		r.bus.Emit(event.Event{Kind: event.Done, Fraction: 1, Message: "upgrade committed: the new slot boots by default from the next boot (reboot when ready); the current slot is the fallback"})
	}
	r.finish(code)
	return code
}

// bootedSlot is node.slot= of the running system's command line when
// the disk to upgrade is the running one (no --disk, or a block device):
// an image file is another machine's disk.
func bootedSlot(cmdline, disk string) string {
	if disk != "" {
		if st, err := os.Stat(disk); err == nil && st.Mode().IsRegular() {
			return ""
		}
	}
	line := cmdline
	if line == "" {
		b, err := os.ReadFile("/proc/cmdline")
		if err != nil {
			return ""
		}
		line = string(b)
	}
	slot := ""
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "node.slot="); ok {
			slot = v
		}
	}
	return slot
}

// jsonLines is a sink printing every event (secrets masked) as one JSON
// object per line.
func jsonLines(w io.Writer) event.Sink {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return event.SinkFunc(func(e event.Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(event.Redacted(e))
	})
}
