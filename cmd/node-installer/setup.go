package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"node-installer/installer"
	"node-installer/installer/nodeconfig"
	"node-installer/network"
	"node-installer/tui"
)

func init() {
	commands["setup"] = command{summary: "the node's setup console: status, network, security, boot, support and more", run: runSetup}
}

func runSetup(args []string) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	root := fs.String("root", "/", "the node's root (another folder: files only, nothing live)")
	dir := fs.String("config-dir", "", "the mounted Config partition (default ROOT/config)")
	esp := fs.String("esp", "", "the mounted ESP (default ROOT/boot/efi)")
	facts := fs.String("facts", "", "recorded machine profile (JSON) for the NICs instead of probing")
	within := fs.Int("confirm-within", int(nodeconfig.DefaultConfirmWithin/time.Second), "seconds to keep a live network change before it is reverted")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 || *within <= 0 {
		fmt.Fprintln(os.Stderr, "usage: node-installer setup [--root DIR] [--config-dir DIR] [--esp DIR] [--facts profile.json] [--confirm-within SECONDS]")
		return 2
	}
	o := nodeconfig.Options{Root: *root, ConfigDir: *dir, ESPDir: *esp}
	if *facts != "" {
		f, err := installer.LoadFacts(*facts)
		if err != nil {
			fmt.Fprintf(os.Stderr, "node-installer setup: %v\n", err)
			return 2
		}
		o.NICs = append([]network.NIC{}, f.NICs...)
	}
	if _, err := nodeconfig.Load(o); err != nil {
		// the console still shows the status and the support pages
		fmt.Fprintf(os.Stderr, "node-installer setup: %v\n", err)
	}
	b := tui.SetupBackend{ConfirmWithin: time.Duration(*within) * time.Second, KernelLog: kernelLog}
	if *root == "/" {
		b.ApplyNetwork = applyNetworkLive
		b.TestNetwork = testNetworkLive
		b.LoadKeys = loadKeys
		b.Reboot = func() error { return powerAction(tui.OutcomeReboot) }
		b.PowerOff = func() error { return powerAction(tui.OutcomePowerOff) }
	}
	if err := tui.NewSetup(tui.SetupOptions{Node: o, Backend: b}).Run(); err != nil {
		fmt.Fprintf(os.Stderr, "node-installer setup: %v\n", err)
		return 1
	}
	return 0
}

// applyNetworkLive applies a written network change through netlink, as
// `net --apply` does; the handle lives as long as the change may be reverted.
func applyNetworkLive(ctx context.Context, plan network.Plan, res nodeconfig.Result) (*nodeconfig.Live, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return nodeconfig.ApplyLive(ctx, h, plan, res, network.ApplyOptions{
		ResolvConf:  "/etc/resolv.conf",
		SetHostname: func(name string) error { return unix.Sethostname([]byte(name)) },
	})
}

func testNetworkLive(ctx context.Context, mgmt string, dns []netip.Addr, hostname string) []nodeconfig.Check {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return []nodeconfig.Check{{What: "link", Target: mgmt, Detail: err.Error()}}
	}
	defer h.Close()
	return nodeconfig.TestNetwork(ctx, h, mgmt, dns, hostname, 2*time.Second)
}

// kernelLog reads the kernel's ring buffer (dmesg).
func kernelLog() (string, error) {
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil {
		return "", fmt.Errorf("kernel log: %w", err)
	}
	buf := make([]byte, n)
	m, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		return "", fmt.Errorf("kernel log: %w", err)
	}
	return string(buf[:m]), nil
}

// loadKeys applies keymap on the console (the installer's rule).
func loadKeys(keymap string) error { return nodeconfig.LoadKeymap(context.Background(), keymap) }
