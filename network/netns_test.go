package network

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// testNS is a network namespace a test made; it is deleted at cleanup.
type testNS struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
}

var nsCounter atomic.Int32

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
}

func newNS(t testing.TB) *testNS {
	t.Helper()
	needRoot(t)
	name := fmt.Sprintf("nitest%d-%d", os.Getpid(), nsCounter.Add(1))
	// netlink and netns only (no iproute2): the same tests run as a static
	// test binary in a VM guest whose kernel has the bond and VLAN drivers
	var ns netns.NsHandle
	c := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			c <- err
			return
		}
		defer orig.Close()
		ns, err = netns.NewNamed(name) // switches this thread into it
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		c <- err
	}()
	if err := <-c; err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	t.Cleanup(func() {
		ns.Close()
		_ = netns.DeleteNamed(name)
	})
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE) // only rtnetlink: xfrm/netfilter may be modules not loaded
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	return &testNS{name: name, ns: ns, h: h}
}

// veth makes the pair a (in ns a) -- b (in ns b), both down.
func veth(t testing.TB, a *testNS, an string, b *testNS, bn string) {
	t.Helper()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: an}, PeerName: bn, PeerNamespace: netlink.NsFd(b.ns)}
	if err := a.h.LinkAdd(v); err != nil {
		t.Fatalf("veth %s/%s: %v", an, bn, err)
	}
}

// state is everything Apply may change in a namespace, one line each.
func state(t testing.TB, n *testNS) []string {
	t.Helper()
	links, err := n.h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	var out []string
	for _, l := range links {
		at := l.Attrs()
		out = append(out, fmt.Sprintf("link %s type=%s up=%v mtu=%d mac=%s master=%s",
			at.Name, l.Type(), at.Flags&net.FlagUp != 0, at.MTU, at.HardwareAddr, names[at.MasterIndex]))
		as, err := n.h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			out = append(out, fmt.Sprintf("addr %s %s", at.Name, a.IPNet))
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := n.h.RouteList(nil, fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out = append(out, fmt.Sprintf("route %v via %v dev %s", r.Dst, r.Gw, names[r.LinkIndex]))
		}
	}
	sort.Strings(out)
	return out
}

// probeNS runs Probe in n with a sysfs mounted inside n (sysfs shows the
// network namespace of whoever mounts it), in a private mount namespace
// on a thread that is thrown away afterwards.
func probeNS(t testing.TB, n *testNS) []NIC {
	t.Helper()
	dir := t.TempDir()
	type res struct {
		nics []NIC
		err  error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		err := func() error {
			if err := netns.Set(n.ns); err != nil {
				return err
			}
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("unshare mount ns: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("make / private: %w", err)
			}
			if err := unix.Mount("sysfs", dir, "sysfs", 0, ""); err != nil {
				return fmt.Errorf("mount sysfs: %w", err)
			}
			defer unix.Unmount(dir, unix.MNT_DETACH)
			nics, err := Probe(dir)
			c <- res{nics, err}
			return nil
		}()
		if err != nil {
			c <- res{nil, err}
		}
	}()
	r := <-c
	if r.err != nil {
		t.Fatalf("probe in %s: %v", n.name, r.err)
	}
	return r.nics
}

// dnsmasq runs dnsmasq in n with the given options until the test ends.
func dnsmasq(t testing.TB, n *testNS, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		t.Skip("needs dnsmasq (Debian package dnsmasq-base)")
	}
	dir := t.TempDir()
	leases := filepath.Join(dir, "leases")
	all := append([]string{"--no-daemon", "--no-ping", "--conf-file=/dev/null",
		"--port=0", "--user=root", "--group=root", "--bind-interfaces", "--log-dhcp", "--log-facility=-",
		"--dhcp-leasefile=" + leases, "--pid-file=" + filepath.Join(dir, "pid")}, args...)
	cmd := exec.Command(bin, all...)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	// a child starts in the network namespace of the thread that forks it
	if err := InNamespace(n.ns, cmd.Start); err != nil {
		t.Fatalf("start dnsmasq: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if strings.Contains(log.String(), "started, version") {
			return // logged once its sockets are bound
		}
		if time.Now().After(deadline) {
			t.Fatalf("dnsmasq did not start: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func linkUp(t testing.TB, n *testNS, name string) {
	t.Helper()
	l, err := n.h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.h.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
}

func addAddr(t testing.TB, n *testNS, name, cidr string, nodad bool) {
	t.Helper()
	l, err := n.h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		t.Fatal(err)
	}
	if nodad {
		a.Flags |= unix.IFA_F_NODAD
	}
	if err := n.h.AddrAdd(l, a); err != nil {
		t.Fatalf("add %s to %s: %v", cidr, name, err)
	}
}

func apply(t testing.TB, n *testNS, p Plan, opts ApplyOptions) Result {
	t.Helper()
	opts.NetNS = n.ns
	if opts.CarrierTimeout == 0 {
		opts.CarrierTimeout = 5 * time.Second
	}
	if opts.DHCPTimeout == 0 {
		opts.DHCPTimeout = time.Second
	}
	if _, bench := t.(*testing.B); !bench {
		opts.Log = func(s string) { t.Log(s) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Apply(ctx, n.h, p, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}
