package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/network"
)

// liveNetTimeout bounds bringing the live network up (DHCP retries included).
const liveNetTimeout = 90 * time.Second

// liveNetwork brings the network up in the live environment (PID 1 of
// the boot media, no dracut) when the kernel command line fetches
// node.config or node.media over http(s), as on a PXE boot: the plan is
// the one the installed node gets from the same arguments (ip=, BOOTIF,
// bond=, nameserver=...; ip=dhcp when none configures an interface), applied live with the
// network package. A live environment that brought an interface up
// itself (an address other than loopback) is left alone. Problems are
// shown and the run goes on: the fetch then says what it could not reach.
func liveNetwork(cmdline string, w io.Writer) {
	cfg, _ := installer.ParseCmdline(cmdline)
	if !media.IsURL(cfg.Unattended.ConfigURL) && !media.IsURL(cfg.Unattended.Media) {
		return
	}
	if up := globalAddress(); up != "" {
		fmt.Fprintf(w, "live: network already up (%s)\n", up)
		return
	}
	nics, err := network.Probe("/sys")
	if err != nil {
		fmt.Fprintf(w, "live: network: %v\n", err)
		return
	}
	plan, err := network.MakePlan(cfg.Network, nics)
	if err == nil && plan.Mgmt == "" {
		// no network arguments: DHCP, as a PXE-booted machine expects
		// (dracut needs ip=dhcp; the live system assumes it)
		dhcp, _ := installer.ParseCmdline(cmdline + " ip=dhcp")
		plan, err = network.MakePlan(dhcp.Network, nics)
	}
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(w, "live: network: %s\n", l)
		}
		return
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		fmt.Fprintf(w, "live: network: netlink: %v\n", err)
		return
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), liveNetTimeout)
	defer cancel()
	start := time.Now()
	res, err := network.Apply(ctx, h, plan, network.ApplyOptions{
		ResolvConf:  "/etc/resolv.conf",
		SetHostname: func(name string) error { return unix.Sethostname([]byte(name)) },
		Log:         func(s string) { fmt.Fprintf(w, "live: network: %s\n", s) },
	})
	if err != nil {
		fmt.Fprintf(w, "live: network: %v\n", err)
		return
	}
	for _, l := range res.Leases {
		fmt.Fprintf(w, "live: network: %s %s by DHCPv%d in %.1fs\n", l.Iface, l.Address, l.Family, l.Took.Seconds())
	}
	if err := saveLeases(res.Leases); err != nil {
		fmt.Fprintf(w, "live: network: leases not saved (no answer file from DHCP): %v\n", err)
	}
	fmt.Fprintf(w, "live: network applied in %.1fs\n", time.Since(start).Seconds())
	if up := globalAddress(); up != "" {
		fmt.Fprintf(w, "live: network up (%s)\n", up)
	}
}

// globalAddress names the first non-loopback interface with a global
// unicast address ("" for none).
func globalAddress() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || i.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ip, ok := a.(*net.IPNet); ok && ip.IP.IsGlobalUnicast() {
				return i.Name + " " + ip.String()
			}
		}
	}
	return ""
}
