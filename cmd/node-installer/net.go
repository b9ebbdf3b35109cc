package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"node-installer/installer"
	"node-installer/network"
)

func init() {
	commands["net"] = command{summary: "show the network plan of kernel arguments; --apply brings it up live", run: runNet}
}

// netExit codes: 0 done, 1 applying failed, 2 bad arguments or an invalid plan.
func runNet(args []string) int {
	return netMain(args, os.Stdout, os.Stderr)
}

func netMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("net", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cmdline := fs.String("cmdline", "", "kernel arguments (default: /proc/cmdline)")
	facts := fs.String("facts", "", "recorded machine profile (JSON) instead of probing this machine's NICs")
	doApply := fs.Bool("apply", false, "configure the live network as planned (needs root)")
	files := fs.Bool("files", false, "also print the installed system's files the plan renders")
	asJSON := fs.Bool("json", false, "print the plan (and with --apply the result) as JSON")
	resolv := fs.String("resolv-conf", "/etc/resolv.conf", "live resolv.conf written by --apply")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node-installer net [--cmdline \"...\"] [--facts profile.json] [--files] [--json] [--apply]")
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *doApply && *facts != "" {
		fmt.Fprintln(stderr, "node-installer net: --apply configures this machine: it cannot use --facts")
		return 2
	}
	line, err := kernelCmdline(*cmdline, *cmdline != "")
	if err != nil {
		fmt.Fprintf(stderr, "node-installer net: %v\n", err)
		return 2
	}
	cfg, problems := loadConfig(line, nil)
	bad := false
	for _, p := range problems {
		if strings.HasPrefix(p.Field, "network") {
			fmt.Fprintf(stderr, "node-installer net: %s\n", p)
			bad = true
		}
	}
	if bad {
		return 2
	}
	var nics []network.NIC
	if *facts != "" {
		f, err := installer.LoadFacts(*facts)
		if err != nil {
			fmt.Fprintf(stderr, "node-installer net: %v\n", err)
			return 2
		}
		nics = f.NICs
	} else {
		var err error
		if nics, err = network.Probe("/sys"); err != nil {
			fmt.Fprintf(stderr, "node-installer net: %v\n", err)
			return 2
		}
	}
	plan, err := network.MakePlan(cfg.Network, nics)
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "node-installer net: %s\n", l)
		}
		return 2
	}
	if !*doApply {
		printPlan(stdout, plan, *files, *asJSON)
		return 0
	}
	if !*asJSON {
		fmt.Fprint(stdout, plan.Text())
	}
	// rtnetlink only: a handle for every family fails where xfrm_user or
	// nfnetlink are modules not loaded (the installer initramfs)
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		fmt.Fprintf(stderr, "node-installer net: netlink: %v\n", err)
		return 1
	}
	defer h.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, unix.SIGTERM)
	defer stop()
	res, err := network.Apply(ctx, h, plan, network.ApplyOptions{
		ResolvConf:  *resolv,
		SetHostname: func(name string) error { return unix.Sethostname([]byte(name)) },
		Log:         func(s string) { fmt.Fprintf(stderr, "net: %s\n", s) },
	})
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(res)
	} else {
		printResult(stdout, res, *files)
	}
	if err != nil {
		fmt.Fprintf(stderr, "node-installer net: %v\n", err)
		return 1
	}
	return 0
}

func printPlan(w io.Writer, plan network.Plan, files, asJSON bool) {
	if asJSON {
		out := struct {
			Plan  network.Plan   `json:"plan"`
			Files []network.File `json:"files,omitempty"`
		}{Plan: plan}
		if files {
			out.Files = network.Render(plan)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return
	}
	fmt.Fprint(w, plan.Text())
	if files {
		printFiles(w, network.Render(plan))
	}
}

func printFiles(w io.Writer, files []network.File) {
	for _, f := range files {
		fmt.Fprintf(w, "\n=== /%s (%04o) ===\n%s", f.Path, f.Mode, f.Data)
	}
}

func printResult(w io.Writer, res network.Result, files bool) {
	if len(res.Changes) == 0 {
		fmt.Fprintln(w, "applied: nothing to change")
	} else {
		fmt.Fprintf(w, "applied: %d changes in %s\n", len(res.Changes), res.Took.Round(1e6))
	}
	for _, l := range res.Leases {
		fmt.Fprintf(w, "DHCPv%d lease on %s: %s", l.Family, l.Iface, l.Address)
		if l.Router.IsValid() {
			fmt.Fprintf(w, " router %s", l.Router)
		}
		fmt.Fprintf(w, " for %s (in %s)\n", l.LeaseTime, l.Took.Round(1e6))
	}
	for _, s := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	if files {
		printFiles(w, network.Render(res.Plan))
	}
}
