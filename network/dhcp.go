package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/dhcpv6/nclient6"
	"github.com/insomniacslk/dhcp/iana"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// InNamespace runs fn on a locked OS thread switched into ns (ns <= 0:
// the caller's namespace). Sockets fn opens stay in ns after it returns.
// When the thread cannot be switched back it is not unlocked, so the Go
// runtime discards it instead of reusing a thread in the wrong namespace.
func InNamespace(ns netns.NsHandle, fn func() error) error {
	if ns <= 0 {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		err = fn()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// dynamic runs DHCPv4, DHCPv6 and waits for SLAAC as the interface's plan says.
func (a *applier) dynamic(ctx context.Context, c IPConfig) error {
	if !c.DHCP4 && !c.DHCP6 && !c.SLAAC {
		return nil
	}
	l, err := a.h.LinkByName(c.Iface)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Iface, err)
	}
	if c.DHCP6 || c.SLAAC {
		// the kernel must take router advertisements for SLAAC and the
		// on-link prefix and default route DHCPv6 does not carry
		if err := a.sysctl6(c.Iface, map[string]string{"disable_ipv6": "0", "accept_ra": "1", "autoconf": "1"}); err != nil {
			return err
		}
	}
	if c.DHCP4 {
		lease, err := a.dhcp4(ctx, c.Iface)
		if err != nil {
			return fmt.Errorf("DHCPv4 on %s: %w", c.Iface, err)
		}
		if err := a.addAddr(l, lease.Address, netip.Addr{}); err != nil {
			return err
		}
		if lease.Router.IsValid() {
			if err := a.route(c.Iface, netip.MustParsePrefix("0.0.0.0/0"), lease.Router, c.RouteMetric); err != nil {
				return err
			}
		}
		a.res.Leases = append(a.res.Leases, lease)
	}
	if c.DHCP6 {
		if err := a.waitLinkLocal(ctx, l); err != nil {
			return fmt.Errorf("DHCPv6 on %s: %w", c.Iface, err)
		}
		lease, err := a.dhcp6(ctx, c.Iface, l.Attrs().HardwareAddr)
		if err != nil {
			return fmt.Errorf("DHCPv6 on %s: %w", c.Iface, err)
		}
		if err := a.addAddr(l, lease.Address, netip.Addr{}); err != nil {
			return err
		}
		a.res.Leases = append(a.res.Leases, lease)
	}
	if c.SLAAC {
		if err := a.waitSLAAC(ctx, l); err != nil {
			a.warn("SLAAC on %s: %v", c.Iface, err)
		}
	}
	return nil
}

// sysctl6 writes net.ipv6.conf.IFACE.* inside the plan's namespace
// (/proc/sys/net shows the namespace of the thread that opens it).
func (a *applier) sysctl6(iface string, kv map[string]string) error {
	return InNamespace(a.opts.NetNS, func() error {
		for k, v := range kv {
			p := filepath.Join("/proc/sys/net/ipv6/conf", iface, k)
			cur, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("sysctl %s: %w", p, err)
			}
			if string(cur) == v+"\n" {
				continue
			}
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", p, v, err)
			}
			a.change("%s: net.ipv6.conf.%s.%s=%s", iface, iface, k, v)
		}
		return nil
	})
}

// optionAnswerURL is the DHCPv4 option carrying the answer file's URL
// (250, site-specific, as Proxmox's automated installer uses it).
var optionAnswerURL = dhcpv4.GenericOptionCode(250)

// answerURL reads option 250: an http(s) URL as text (a NUL some servers
// append is dropped); anything else is ignored.
func answerURL(b []byte) string {
	u := strings.TrimRight(strings.TrimSpace(string(b)), "\x00")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t\n\x00") || len(u) > 2048 {
		return ""
	}
	return u
}

func (a *applier) dhcp4(ctx context.Context, iface string) (Lease, error) {
	var lease Lease
	err := InNamespace(a.opts.NetNS, func() error {
		start := time.Now()
		c, err := nclient4.New(iface, nclient4.WithTimeout(a.opts.DHCPTimeout), nclient4.WithRetry(a.opts.DHCPRetries))
		if err != nil {
			return err
		}
		defer c.Close()
		actx, cancel := context.WithTimeout(ctx, a.opts.DHCPTimeout*time.Duration(a.opts.DHCPRetries+1))
		defer cancel()
		l, err := c.Request(actx, dhcpv4.WithRequestedOptions(dhcpv4.OptionHostName, dhcpv4.OptionDomainName, optionAnswerURL))
		if err != nil {
			return err
		}
		ack := l.ACK
		ip, _ := netip.AddrFromSlice(ack.YourIPAddr.To4())
		mask := ack.SubnetMask()
		if mask == nil {
			mask = ack.YourIPAddr.DefaultMask() // servers send one; else the classful mask
		}
		ones, _ := mask.Size()
		lease = Lease{Iface: iface, Family: 4, Address: netip.PrefixFrom(ip, ones),
			Hostname: ack.HostName(), Domain: ack.DomainName(),
			LeaseTime: ack.IPAddressLeaseTime(0), Took: time.Since(start)}
		lease.Server, _ = netip.AddrFromSlice(ack.ServerIdentifier().To4())
		if rs := ack.Router(); len(rs) > 0 {
			lease.Router, _ = netip.AddrFromSlice(rs[0].To4())
		}
		lease.DNS = addrs(ack.DNS())
		lease.AnswerURL = answerURL(ack.Options.Get(optionAnswerURL))
		return nil
	})
	if err == nil {
		a.log(fmt.Sprintf("%s: DHCPv4 lease %s router %s in %s", iface, lease.Address, lease.Router, lease.Took.Round(time.Millisecond)))
	}
	return lease, err
}

func (a *applier) dhcp6(ctx context.Context, iface string, hw net.HardwareAddr) (Lease, error) {
	var lease Lease
	err := InNamespace(a.opts.NetNS, func() error {
		start := time.Now()
		c, err := nclient6.New(iface, nclient6.WithTimeout(a.opts.DHCPTimeout), nclient6.WithRetry(a.opts.DHCPRetries))
		if err != nil {
			return err
		}
		defer c.Close()
		actx, cancel := context.WithTimeout(ctx, a.opts.DHCPTimeout*time.Duration(a.opts.DHCPRetries+1))
		defer cancel()
		// a DUID from the MAC alone (not DUID-LLT's time) gets the same
		// address again on the next run
		duid := &dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: hw}
		msg, err := c.RapidSolicit(actx, dhcpv6.WithClientID(duid))
		if err != nil {
			return err
		}
		ia := msg.Options.OneIANA()
		if ia == nil || ia.Options.OneAddress() == nil {
			if st := msg.Options.Status(); st != nil {
				return fmt.Errorf("no address in the reply: %s", st)
			}
			return fmt.Errorf("no address in the reply")
		}
		ad := ia.Options.OneAddress()
		ip, _ := netip.AddrFromSlice(ad.IPv6Addr)
		lease = Lease{Iface: iface, Family: 6, Address: netip.PrefixFrom(ip, 128),
			LeaseTime: ad.ValidLifetime, DNS: addrs(msg.Options.DNS()), Took: time.Since(start)}
		if dl := msg.Options.DomainSearchList(); dl != nil && len(dl.Labels) > 0 {
			lease.Domain = dl.Labels[0]
		}
		return nil
	})
	if err == nil {
		a.log(fmt.Sprintf("%s: DHCPv6 lease %s in %s", iface, lease.Address, lease.Took.Round(time.Millisecond)))
	}
	return lease, err
}

func addrs(ips []net.IP) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// waitLinkLocal waits until the link-local address passed duplicate
// address detection: the DHCPv6 client binds to it.
func (a *applier) waitLinkLocal(ctx context.Context, l netlink.Link) error {
	return a.poll(ctx, a.opts.CarrierTimeout, "a usable link-local address", func() (bool, error) {
		as, err := a.h.AddrList(l, netlink.FAMILY_V6)
		if err != nil {
			return false, err
		}
		for _, ad := range as {
			if ad.IP.IsLinkLocalUnicast() {
				if ad.Flags&unix.IFA_F_DADFAILED != 0 {
					return false, fmt.Errorf("link-local %s failed duplicate address detection", ad.IP)
				}
				if ad.Flags&unix.IFA_F_TENTATIVE == 0 {
					return true, nil
				}
			}
		}
		return false, nil
	})
}

// waitSLAAC waits for a global address the kernel made from a router advertisement.
func (a *applier) waitSLAAC(ctx context.Context, l netlink.Link) error {
	return a.poll(ctx, a.opts.SLAACTimeout, "a router-advertised address", func() (bool, error) {
		as, err := a.h.AddrList(l, netlink.FAMILY_V6)
		if err != nil {
			return false, err
		}
		for _, ad := range as {
			if ad.IP.IsGlobalUnicast() && ad.Flags&unix.IFA_F_PERMANENT == 0 && ad.Flags&unix.IFA_F_TENTATIVE == 0 {
				a.log(fmt.Sprintf("%s: SLAAC address %s", l.Attrs().Name, ad.IPNet))
				return true, nil
			}
		}
		return false, nil
	})
}

func (a *applier) poll(ctx context.Context, limit time.Duration, what string, ok func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		done, err := ok()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", what, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
