package nodeconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"node-installer/network"
)

// Check is one line of the network test.
type Check struct {
	What   string        `json:"what"`   // link, gateway, dns, resolve
	Target string        `json:"target"` // eth0, 192.0.2.1, node1.example.org@192.0.2.53
	OK     bool          `json:"ok"`
	Detail string        `json:"detail,omitempty"`
	Took   time.Duration `json:"took"`
}

func (c Check) String() string {
	st := "ok  "
	if !c.OK {
		st = "FAIL"
	}
	s := fmt.Sprintf("%s %-8s %s", st, c.What, c.Target)
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return s
}

// TestNetwork checks the live network of the current network namespace
// (h works in it): the management link's carrier, an ICMP echo to each
// default gateway and each DNS server, and the host name resolved by
// each DNS server. Each check waits at most timeout.
func TestNetwork(ctx context.Context, h *netlink.Handle, mgmt string, dns []netip.Addr, hostname string, timeout time.Duration) []Check {
	var out []Check
	if mgmt != "" {
		c := Check{What: "link", Target: mgmt}
		if l, err := h.LinkByName(mgmt); err != nil {
			c.Detail = err.Error()
		} else {
			c.OK = l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0
			c.Detail = "no carrier"
			if c.OK {
				c.Detail = "carrier"
			}
		}
		out = append(out, c)
	}
	snap, err := network.TakeSnapshot(h)
	if err != nil {
		out = append(out, Check{What: "gateway", Detail: err.Error()})
	}
	gws := 0
	for _, r := range snap.Routes {
		if r.Dst.Bits() == 0 {
			gws++
			out = append(out, ping(ctx, "gateway", r.Gateway, timeout))
		}
	}
	if gws == 0 {
		out = append(out, Check{What: "gateway", Target: "-", Detail: "no default route"})
	}
	for _, d := range dns {
		out = append(out, ping(ctx, "dns", d, timeout))
		if hostname != "" {
			out = append(out, resolve(ctx, hostname, d, timeout))
		}
	}
	return out
}

// dadWait bounds the wait for a tentative IPv6 source address.
const dadWait = 4 * time.Second

// ping sends one ICMP echo to a and waits for its reply.
func ping(ctx context.Context, what string, a netip.Addr, timeout time.Duration) Check {
	c := Check{What: what, Target: a.String()}
	start := time.Now()
	defer func() { c.Took = time.Since(start) }()
	proto, network, laddr := 1, "ip4:icmp", "0.0.0.0"
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if a.Is6() {
		proto, network, laddr, typ = 58, "ip6:ipv6-icmp", "::", ipv6.ICMPTypeEchoRequest
	}
	conn, err := icmp.ListenPacket(network, laddr)
	if err != nil {
		c.Detail = "ICMP socket: " + err.Error()
		return c
	}
	defer conn.Close()
	id := os.Getpid() & 0xffff
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("node-installer")}}
	b, _ := msg.Marshal(nil)
	dst := &net.IPAddr{IP: net.IP(a.AsSlice()), Zone: a.Zone()}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		_, err := conn.WriteTo(b, dst)
		if err == nil {
			break
		}
		// a fresh IPv6 address is tentative until duplicate address
		// detection ends (a second or two after the link is up): no
		// source address yet; wait for it, on top of the timeout
		if !errors.Is(err, unix.EADDRNOTAVAIL) || time.Now().After(deadline.Add(dadWait)) {
			c.Detail = err.Error()
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			c.Detail = "no answer within " + timeout.String()
			return c
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && from.String() == dst.String() &&
			(m.Type == ipv4.ICMPTypeEchoReply || m.Type == ipv6.ICMPTypeEchoReply) {
			c.OK = true
			c.Detail = "answered in " + time.Since(start).Round(time.Millisecond/10).String()
			return c
		}
	}
}

// resolve asks the DNS server srv for name.
func resolve(ctx context.Context, name string, srv netip.Addr, timeout time.Duration) Check {
	c := Check{What: "resolve", Target: name + " @" + srv.String()}
	start := time.Now()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, nw, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, nw, netip.AddrPortFrom(srv, 53).String())
	}}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	c.Took = time.Since(start)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	c.OK = true
	c.Detail = fmt.Sprint(addrs)
	return c
}
