package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
)

func init() {
	commands["auto"] = command{summary: "unattended run of the action on the kernel command line", run: runAuto}
	commands["default"] = command{summary: "no arguments: unattended if /proc/cmdline names an action, else the TUI", run: runDefault, noFlags: true}
}

// mediaSearch is where the bundle is looked for when neither --media nor
// node.media names it: the installer initramfs and live media mounts.
var mediaSearch = []string{"/run/node-media", "/media/bundle", "/media/node", "/media", "/run/initramfs/live/node", "/run/initramfs/live"}

// configFetchTimeout bounds fetching node.config, retries included.
const configFetchTimeout = 2 * time.Minute

// webhookFlushTimeout bounds the wait for the last webhook events.
const webhookFlushTimeout = 15 * time.Second

// runDefault is node-installer without arguments: an unattended action
// on /proc/cmdline runs `auto`, anything else starts the TUI.
func runDefault([]string) int {
	if os.Getpid() == 1 {
		pid1Setup()
	}
	line, err := kernelCmdline("", false)
	if err == nil && defaultCommand(line, installer.Probe) == "auto" {
		return runAuto(nil)
	}
	if tui, ok := commands["tui"]; ok {
		return tui.run(nil)
	}
	fmt.Fprintln(os.Stderr, "node-installer: no unattended action on the kernel command line and no TUI in this build")
	usage()
	return installer.ExitNoAction
}

// defaultCommand is what `node-installer` without arguments runs for a
// kernel command line: "auto" when it names an unattended action (even
// with problems: auto reports them), when node.config names a URL, or an
// answer file that names an action (or that auto would refuse), or,
// without node.config, when the live network's DHCP lease names an
// answer file URL (option 250) or the answer file of a NODECFG volume
// among the probed disks names an action; else "tui".
func defaultCommand(cmdline string, probe func() (installer.Facts, error)) string {
	cmdline = strings.TrimSpace(cmdline)
	cfg, _ := installer.ParseCmdline(cmdline)
	if cfg.Action != installer.ActionInteractive {
		return "auto"
	}
	switch from := cfg.Unattended.ConfigURL; {
	case media.IsURL(from):
		return "auto" // the TUI reads no answer file: auto fetches it and reports its problems
	case strings.HasPrefix(from, "/"): // e.g. the answer file embedded on boot media
		if c, ps := installer.LoadConfig(context.Background(), cmdline, installer.ConfigSources{}); len(ps) > 0 || c.Action != installer.ActionInteractive {
			return "auto"
		}
		return "tui"
	}
	if u, _ := discoveredAnswer(); u != "" && cfg.Unattended.ConfigURL == "" {
		return "auto" // the DHCP lease names an answer file: auto fetches it and reports its problems
	}
	if cfg.Unattended.ConfigURL == "" && probe != nil {
		if facts, err := probe(); err == nil {
			if c, ps := installer.LoadConfig(context.Background(), cmdline, installer.ConfigSources{Facts: &facts}); len(ps) == 0 && c.Action != installer.ActionInteractive {
				return "auto"
			}
		}
	}
	return "tui"
}

func runAuto(args []string) int {
	if os.Getpid() == 1 {
		pid1Setup()
	}
	code, cfg := autoMain(args, os.Stdout, os.Stderr)
	if os.Getpid() == 1 {
		pid1End(code, cfg) // never returns
	}
	return code
}

// autoRun is one unattended run's settings and plumbing.
type autoRun struct {
	stdout, stderr io.Writer
	cfg            installer.Config
	bus            *event.Bus
	sinks          *runSinks
	logPath        string
	trustKeys      []string // --trust-key
}

// autoMain is `auto` without the PID 1 ending: it returns the exit code
// and the parsed Config (node.after says what PID 1 does next).
func autoMain(args []string, stdout, stderr io.Writer) (code int, cfg installer.Config) {
	fs := flag.NewFlagSet("auto", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cmdline := fs.String("cmdline", "", "kernel command line (default: /proc/cmdline)")
	mediaDir := fs.String("media", "", "media bundle directory (default: node.media=, else found on the boot media)")
	factsPath := fs.String("facts", "", "recorded machine profile (JSON) instead of probing")
	logPath := fs.String("log", "", "log file (default: /run/node-installer/install.log, or a temp file)")
	var disks, trustKeys autoDiskFlags
	fs.Var(&trustKeys, "trust-key", "trusted public key file for the media's signature (repeatable; with the live system's "+media.TrustedKeysDir+")")
	fs.Var(&disks, "disk", "install on this image file or block device only (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node-installer auto [--cmdline \"...\"] [--media DIR] [--disk IMAGE ...] [--facts F] [--log FILE]")
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args); stop {
		return code, cfg
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "auto: unexpected argument %q (quote the command line: --cmdline \"...\")\n", fs.Arg(0))
		return installer.ExitUsage, cfg
	}
	line, err := kernelCmdline(*cmdline, autoFlagSet(fs, "cmdline"))
	if err != nil {
		fmt.Fprintf(stderr, "auto: %v (give --cmdline)\n", err)
		return installer.ExitUsage, cfg
	}

	r := &autoRun{stdout: stdout, stderr: stderr, trustKeys: trustKeys}
	// The shell of node.break=pre-installer comes before anything is read
	// from the disks (an admin may load a driver there).
	pre, _ := installer.ParseCmdline(line)
	pid1Break(pre, "pre-installer", os.Stderr)
	// The disks are probed before the Config is built: one of them may be
	// the NODECFG volume holding the answer file.
	facts, probeErr := autoFacts(*factsPath, disks)
	var found *installer.Facts
	if probeErr == nil {
		found = &facts
	}
	cfg, problems := loadConfig(line, found, trustKeys...)
	r.cfg = cfg
	if err := r.start(*logPath); err != nil {
		fmt.Fprintf(stderr, "auto: %v\n", err)
		return installer.ExitFailed, cfg
	}
	if src := answerSource(pre, found); src != "" {
		r.bus.Emit(event.Event{Kind: event.Log, Message: "answer file: " + src})
	}
	code = r.run(problems, *mediaDir, facts, probeErr)
	r.callDone(code)
	r.finish(code)
	return code, cfg
}

func (r *autoRun) run(problems installer.Problems, mediaDir string, facts installer.Facts, probeErr error) int {
	cfg := r.cfg
	r.bus.Emit(event.Event{Kind: event.Log, Message: "kernel arguments: " + event.Redact(strings.Join(cfg.BootParams, " "))})
	if cfg.Action == installer.ActionInteractive && len(problems) == 0 {
		r.bus.Emit(event.Event{Kind: event.Failed, Step: "check", Err: "no unattended action on the kernel command line (storage_init, reinstall, upgrade or uninstall)"})
		return installer.ExitNoAction
	}
	if probeErr != nil {
		r.bus.Emit(event.Event{Kind: event.Failed, Step: "probe", Err: probeErr.Error()})
		return installer.ExitFailed
	}
	plan := installer.MakePlan(cfg, facts)
	plan.Problems = append(problems, plan.Problems...)
	if !plan.OK() {
		r.problems(plan.Problems)
		return installer.ExitInvalid
	}
	if plan.Halt != "" { // decided by the plan
		r.bus.Emit(event.Event{Kind: event.Done, Message: "node.halt_if_installed: " + plan.Halt + " holds an installation, nothing written"})
		return installer.ExitInstalled
	}
	for _, w := range plan.Warnings {
		r.bus.Emit(event.Event{Kind: event.Warning, Step: "plan", Message: w})
	}
	for _, l := range strings.Split(strings.TrimRight(plan.Text(), "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			r.bus.Emit(event.Event{Kind: event.Log, Step: "plan", Message: l})
		}
	}
	trust, err := installer.MediaTrust(plan, r.trustKeys, embeddedKeysDir)
	var bundle *media.Bundle
	if err == nil {
		bundle, err = autoOpenMedia(context.Background(), mediaDir, cfg.Unattended.Media, trust)
	} else {
		err = fmt.Errorf("%w: %w", installer.ErrMedia, err)
	}
	if err != nil && plan.Action != installer.ActionUninstall { // uninstall writes nothing from the media
		r.bus.Emit(event.Event{Kind: event.Failed, Step: "media", Err: err.Error()})
		if errors.Is(err, installer.ErrNotSupported) {
			return installer.ExitNotSupported
		}
		return installer.ExitMedia
	}
	if bundle != nil {
		r.mediaVerdict(bundle)
		// Planned again with the manifest: the fit checks are the plan's,
		// decided before the first byte is written.
		facts.Media = &bundle.Manifest
		mp := installer.MakePlan(cfg, facts)
		mp.Problems = append(problems, mp.Problems...)
		if !mp.OK() {
			r.problems(mp.Problems)
			return installer.ExitInvalid
		}
		plan = mp
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = installer.RunWith(ctx, plan, bundle, r.bus, installer.RunOptions{LogFile: r.logPath, Secrets: &cfg.Host})
	if err == nil {
		pid1Break(cfg, "post-installer", os.Stderr)
	}
	return installer.ExitCode(err)
}

// mediaVerdict tells the console, the log and the webhook who signed the
// media, or, loudly, that it was accepted unverified.
func (r *autoRun) mediaVerdict(b *media.Bundle) {
	msg := fmt.Sprintf("media %s %s from %s: %s", b.Manifest.Product, b.Manifest.Version, event.Redact(b.Where()), b.Verdict)
	if b.Verdict.Signed {
		r.bus.Emit(event.Event{Kind: event.Log, Step: "media", Message: msg})
		return
	}
	r.bus.Emit(event.Event{Kind: event.Warning, Step: "media", Message: msg})
}

// problems reports every problem at once: console, log, webhook.
func (r *autoRun) problems(ps installer.Problems) {
	for _, p := range ps {
		r.bus.Emit(event.Event{Kind: event.Warning, Step: "check", Message: p.String()})
	}
	r.bus.Emit(event.Event{Kind: event.Failed, Step: "check",
		Err: fmt.Sprintf("%d problem(s) with the kernel arguments, the answer file or the plan; nothing was written:\n%s", len(ps), ps.Error())})
}

// start opens the log and wires the event consumers (openSinks, the
// TUI's wiring too) with the console in front.
func (r *autoRun) start(logPath string) error {
	tty := false
	if out, ok := r.stdout.(*os.File); ok {
		tty = event.IsTerminal(out)
	}
	return r.startWith(logPath, event.NewConsole(r.stdout, tty))
}

// startWith opens the run's sinks with front as the console's place.
func (r *autoRun) startWith(logPath string, front event.Sink) error {
	s, err := openSinks(r.cfg, logPath, front, 256)
	if err != nil {
		return err
	}
	r.sinks, r.bus, r.logPath = s, s.bus, s.logPath
	r.bus.Emit(event.Event{Kind: event.Log, Message: fmt.Sprintf("node-installer %s: unattended %s, log %s", version, r.cfg.Action, r.logPath)})
	return nil
}

// finish drains the consumers; on failure it shows the log's tail.
func (r *autoRun) finish(code int) {
	r.sinks.close(r.stderr)
	if code != installer.ExitOK && code != installer.ExitInstalled {
		fmt.Fprintf(r.stderr, "\nnode-installer: %s (exit code %d)\n--- last lines of %s ---\n", autoExitText(code), code, r.logPath)
		for _, l := range autoLogTail(r.logPath, 15) {
			fmt.Fprintln(r.stderr, l)
		}
	}
}

func autoExitText(code int) string {
	switch code {
	case installer.ExitInvalid:
		// the kernel arguments, the answer file, the plan or the disks'
		// state (another installer holds one): the lines above say which
		return "refused for the problems above; nothing was written"
	case installer.ExitMedia:
		return "the media bundle is unusable or not signed by a trusted key; nothing was written"
	case installer.ExitVerify:
		return "an image did not match its manifest; the disk is marked unfinished and does not boot it"
	case installer.ExitNoAction:
		return "no unattended action on the kernel command line"
	case installer.ExitNotSupported:
		return "this action is not supported yet; nothing was written"
	case installer.ExitInterrupted:
		return "interrupted"
	}
	return "the run failed"
}

// autologTail returns the last n lines of the log file.
func autoLogTail(path string, n int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return lines[max(0, len(lines)-n):]
}

// autoNodeIdentity names the machine in webhook payloads: the hostname
// and the identity node.config placeholders use (BOOTIF or first NIC MAC,
// DMI serial and UUID).
func autoNodeIdentity(cfg installer.Config) map[string]string {
	id := map[string]string{}
	m := installer.MachineIdentity("/", cfg)
	for k, v := range map[string]string{"hostname": cfg.Network.Hostname, "mac": m.MAC, "serial": m.Serial, "uuid": m.UUID} {
		if v != "" {
			id[k] = v
		}
	}
	return id
}

// autoOpenMedia opens the bundle named by --media, else node.media (a
// path or an http(s) URL), else the first search location holding a
// manifest.
func autoOpenMedia(ctx context.Context, flagDir, cfgDir string, trust media.Trust) (*media.Bundle, error) {
	dir := flagDir
	if dir == "" {
		dir = cfgDir
	}
	if media.IsURL(dir) {
		b, err := media.OpenURLTrusted(ctx, dir, media.Remote{}, trust)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", installer.ErrMedia, event.Redact(err.Error()))
		}
		return b, nil
	}
	if strings.Contains(dir, "://") {
		return nil, fmt.Errorf("node.media=%s: only http:// and https:// bundles can be fetched, %w: %w", event.RedactURL(event.Redact(dir)), installer.ErrNotSupported, installer.ErrMedia)
	}
	if dir == "" {
		for _, d := range mediaSearch {
			if _, err := os.Stat(filepath.Join(d, media.ManifestName)); err == nil {
				dir = d
				break
			}
		}
		if dir == "" {
			return nil, fmt.Errorf("no media bundle (manifest.json) in %s; give --media or node.media=: %w", strings.Join(mediaSearch, ", "), installer.ErrMedia)
		}
	}
	b, err := media.OpenTrusted(dir, trust)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", installer.ErrMedia, err)
	}
	return b, nil
}

// embeddedKeysDir is where the live system keeps the keys embedded by
// `media build --trust-key` (a variable for tests).
var embeddedKeysDir = media.TrustedKeysDir

// loadConfig is the Config of a run: defaults < the answer file
// (node.config, a path or a URL fetched with this machine's identity;
// else a NODECFG volume among facts' disks; else the URL of the live
// network's DHCP option 250) < the kernel arguments.
func loadConfig(cmdline string, facts *installer.Facts, trustKeys ...string) (installer.Config, installer.Problems) {
	cfg, _ := installer.ParseCmdline(cmdline)
	ctx, cancel := context.WithTimeout(context.Background(), configFetchTimeout)
	defer cancel()
	src := installer.ConfigSources{Identity: installer.MachineIdentity("/", cfg), Facts: facts}
	if cfg.Unattended.ConfigURL == "" {
		src.Discovered, src.DiscoveredFrom = discoveredAnswer()
	}
	if installer.NeedsConfigSignature(cfg, embeddedKeysDir) {
		t, err := installer.MediaTrust(installer.Plan{Config: cfg}, trustKeys, embeddedKeysDir)
		if err != nil {
			return cfg, installer.Problems{{Field: "unattended.trust_keys", Arg: "node.trust_key", Msg: err.Error()}}
		}
		src.Signature = &t
	}
	return installer.LoadConfig(ctx, cmdline, src)
}

// autoFacts is machineFacts for `auto` and the TUI (nothing to warn of:
// a probe error with --disk is replaced by the named disks).
func autoFacts(path string, disks []string) (installer.Facts, error) {
	return machineFacts(path, disks, io.Discard)
}

// autoDiskFlags collects repeated --disk flags.
type autoDiskFlags []string

func (d *autoDiskFlags) String() string     { return strings.Join(*d, ",") }
func (d *autoDiskFlags) Set(v string) error { *d = append(*d, v); return nil }

func autoFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
