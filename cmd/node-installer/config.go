package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"node-installer/installer"
	"node-installer/installer/nodeconfig"
	"node-installer/network"
)

func init() {
	commands["config"] = command{summary: "show, get, set or apply the node's settings (the setup console without a screen)", run: runConfig}
}

// Exit codes of `config`.
const (
	configOK       = 0
	configFailed   = 1 // writing or applying failed
	configUsage    = 2
	configInvalid  = 3 // a setting has a problem: nothing written
	configReverted = 4 // the network change was not confirmed in time and is undone
)

func runConfig(args []string) int {
	return configMain(args, os.Stdin, os.Stdout, os.Stderr)
}

const configUsageText = `usage: node-installer config show [--json] | get KEY | set KEY=VALUE... | apply | confirm
       [--root DIR] [--config-dir DIR] [--facts profile.json] [--confirm-within SECONDS] [--no-apply]

KEY is a kernel argument of the same name and grammar (hostname, ip, dns, ntp, BOOTIF,
bond, vlan, ipv6, adminpw (a crypt hash), ssh_pwauth, keyboard, syslog, ...) or ssh_key;
KEY= unsets it. A network change is applied live and reverted unless confirmed
(stdin "yes" or 'node-installer config confirm') within --confirm-within seconds.`

func configMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "node-installer config: "+format+"\n", a...)
		return code
	}
	if len(args) == 0 || wantsHelp(args[:1]) {
		fmt.Fprintln(stderr, configUsageText)
		if len(args) == 0 {
			return configUsage
		}
		return configOK
	}
	verb := args[0]
	if !slices.Contains([]string{"show", "get", "set", "apply", "confirm"}, verb) {
		fmt.Fprintln(stderr, configUsageText)
		return fail(configUsage, "unknown verb %q: expects show, get, set, apply or confirm", verb)
	}
	fs := flag.NewFlagSet("config "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "/", "the node's root")
	dir := fs.String("config-dir", "", "the mounted Config partition (default ROOT/config)")
	facts := fs.String("facts", "", "recorded machine profile (JSON) for the NICs instead of probing")
	within := fs.Int("confirm-within", int(nodeconfig.DefaultConfirmWithin/time.Second), "seconds to confirm a live network change before it is reverted (0: keep at once)")
	noApply := fs.Bool("no-apply", false, "set: write the files only, do not change the live network")
	asJSON := fs.Bool("json", false, "show: as JSON")
	fs.Usage = func() { fmt.Fprintln(stderr, configUsageText); fs.PrintDefaults() }
	if code, stop := parseFlags(fs, interleave(args[1:])); stop {
		return code
	}
	o := nodeconfig.Options{Root: *root, ConfigDir: *dir}
	if *facts != "" {
		f, err := installer.LoadFacts(*facts)
		if err != nil {
			return fail(configUsage, "%v", err)
		}
		o.NICs = f.NICs
		if o.NICs == nil {
			o.NICs = []network.NIC{}
		}
	}
	if *within < 0 {
		return fail(configUsage, "--confirm-within %d: expects 0 or more seconds", *within)
	}
	cfg, err := nodeconfig.Load(o)
	if err != nil {
		return fail(configFailed, "%v", err)
	}
	rest := fs.Args()
	switch verb {
	case "show":
		if len(rest) > 0 {
			return fail(configUsage, "show takes no arguments")
		}
		if *asJSON {
			m := map[string][]string{}
			for _, k := range nodeconfig.Keys {
				if v := k.Value(cfg); len(v) > 0 {
					m[k.Name] = v
				}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(m)
			return configOK
		}
		fmt.Fprint(stdout, nodeconfig.Show(cfg))
	case "get":
		if len(rest) != 1 {
			return fail(configUsage, "get takes one KEY")
		}
		k, ok := nodeconfig.LookupKey(rest[0])
		if !ok {
			return fail(configUsage, "%s: unknown key; the keys are: %s", rest[0], nodeconfig.KeyNames())
		}
		for _, v := range k.Value(cfg) {
			fmt.Fprintln(stdout, v)
		}
	case "set":
		if len(rest) == 0 {
			return fail(configUsage, "set takes KEY=VALUE...")
		}
		var as []nodeconfig.Assignment
		for _, s := range rest {
			a, err := nodeconfig.ParseAssignment(s)
			if err != nil {
				return fail(configUsage, "%v", err)
			}
			as = append(as, a)
		}
		pages, err := nodeconfig.SetKeys(&cfg, as)
		if err == nil {
			var res nodeconfig.Result
			if res, err = nodeconfig.Commit(o, cfg, pages...); err == nil {
				for _, p := range res.Written {
					fmt.Fprintf(stdout, "wrote /%s\n", p)
				}
				for _, p := range res.Removed {
					fmt.Fprintf(stdout, "removed /%s\n", p)
				}
				if slices.Contains(pages, nodeconfig.PageKeyboard) && *root == "/" && !*noApply && cfg.Host.Keyboard != "" {
					if err := loadKeys(cfg.Host.Keyboard); err != nil {
						fmt.Fprintf(stderr, "node-installer config: %v (the keymap takes effect on the next boot)\n", err)
					}
				}
				if res.Plan == nil || *noApply {
					return configOK
				}
				if *root != "/" {
					fmt.Fprintf(stdout, "not applied live: --root %s is not this running system (files written)\n", *root)
					return configOK
				}
				return configLive(o, *res.Plan, res, time.Duration(*within)*time.Second, stdin, stdout, stderr)
			}
		}
		var ps installer.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintf(stderr, "node-installer config: %s\n", p)
			}
			return fail(configInvalid, "nothing was changed")
		}
		return fail(configFailed, "%v", err)
	case "apply":
		if len(rest) > 0 {
			return fail(configUsage, "apply takes no arguments")
		}
		if *root != "/" {
			return fail(configUsage, "apply changes the running system: it cannot use --root %s", *root)
		}
		nics := o.NICs
		if nics == nil {
			if nics, err = network.Probe("/sys"); err != nil {
				return fail(configFailed, "%v", err)
			}
		}
		plan, err := network.MakePlan(cfg.Network, nics)
		if err != nil {
			return fail(configInvalid, "network: %v", err)
		}
		return configLive(o, plan, nodeconfig.Result{}, time.Duration(*within)*time.Second, stdin, stdout, stderr)
	default: // confirm
		ok, err := nodeconfig.Confirm(o.Root)
		if err != nil {
			return fail(configFailed, "%v", err)
		}
		if !ok {
			return fail(configFailed, "no network change is waiting for confirmation")
		}
		fmt.Fprintln(stdout, "confirmed: the network change is kept")
	}
	return configOK
}

// interleave moves flags given after the verb's arguments in front of
// them (flag stops at the first argument): config set a=b --no-apply.
func interleave(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && takesValue(a) && i+1 < len(args) {
			flags = append(flags, a, args[i+1])
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}

func takesValue(flagArg string) bool {
	return slices.Contains([]string{"root", "config-dir", "facts", "confirm-within"}, strings.TrimLeft(flagArg, "-"))
}

// configLive applies plan to the running network, tests it and keeps it
// only when confirmed within the time; else puts the previous network
// back, live and (res) on disk.
func configLive(o nodeconfig.Options, plan network.Plan, res nodeconfig.Result, within time.Duration, stdin io.Reader, stdout, stderr io.Writer) int {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		fmt.Fprintf(stderr, "node-installer config: netlink: %v\n", err)
		return configFailed
	}
	defer h.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, unix.SIGTERM)
	defer stop()
	lv, err := nodeconfig.ApplyLive(ctx, h, plan, res, network.ApplyOptions{
		ResolvConf:  "/etc/resolv.conf",
		SetHostname: func(name string) error { return unix.Sethostname([]byte(name)) },
		Log:         func(s string) { fmt.Fprintf(stdout, "net: %s\n", s) },
	})
	if err != nil {
		if uerr := res.Undo(); uerr != nil {
			err = fmt.Errorf("%w; restoring the previous files: %v", err, uerr)
		}
		fmt.Fprintf(stderr, "node-installer config: %v (the previous network is back)\n", err)
		return configFailed
	}
	fmt.Fprintf(stdout, "applied live in %v\n", lv.Took.Round(time.Millisecond))
	for _, c := range nodeconfig.TestNetwork(ctx, h, plan.Mgmt, lv.Result.DNS, plan.Hostname, 2*time.Second) {
		fmt.Fprintln(stdout, c)
	}
	if within == 0 {
		return configOK
	}
	keep := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			switch strings.ToLower(strings.TrimSpace(sc.Text())) {
			case "y", "yes", "keep":
				keep <- true
				return
			case "n", "no", "revert":
				keep <- false
				return
			}
		}
	}()
	fmt.Fprintf(stdout, "Keep this network configuration? Type yes within %v (or run 'node-installer config confirm'); otherwise it is reverted.\n", within)
	ok, err := nodeconfig.AwaitConfirm(ctx, o.Root, within, keep)
	if err != nil {
		fmt.Fprintf(stderr, "node-installer config: %v\n", err)
	}
	if ok {
		fmt.Fprintln(stdout, "kept")
		return configOK
	}
	changes, err := lv.Revert()
	for _, c := range changes {
		fmt.Fprintf(stdout, "revert: %s\n", c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "node-installer config: revert: %v\n", err)
		return configFailed
	}
	fmt.Fprintln(stdout, "not confirmed: the previous network configuration is back, live and on disk")
	return configReverted
}
