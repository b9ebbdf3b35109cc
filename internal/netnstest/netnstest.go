// Package netnstest makes network namespaces for root tests: each is
// deleted when the test ends, and a netlink handle works inside it. A
// test without root skips and says why.
package netnstest

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

var seq atomic.Int32

// NS is a namespace a test made.
type NS struct {
	Name   string
	Handle netns.NsHandle
	// Link is a netlink handle inside it (rtnetlink only: xfrm or
	// netfilter may be modules not loaded).
	Link *netlink.Handle
}

// New makes a namespace deleted at the test's end.
func New(t testing.TB) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	name := fmt.Sprintf("nit%d-%d", os.Getpid(), seq.Add(1))
	var ns netns.NsHandle
	var err error
	InThread(func() {
		orig, e := netns.Get()
		if e != nil {
			err = e
			return
		}
		defer orig.Close()
		ns, err = netns.NewNamed(name) // switches this thread into it
		if e := netns.Set(orig); e != nil && err == nil {
			err = e
		}
	})
	if err != nil {
		t.Fatalf("netns %s: %v", name, err)
	}
	t.Cleanup(func() { ns.Close(); _ = netns.DeleteNamed(name) })
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	return &NS{Name: name, Handle: ns, Link: h}
}

// InThread runs f on a locked OS thread that ends with it, so a
// namespace switch never leaks into other goroutines.
func InThread(f func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		defer close(done)
		f()
	}()
	<-done
}

// Do runs f inside n: the sockets f opens are in n.
func (n *NS) Do(t testing.TB, f func()) {
	InThread(func() {
		if err := netns.Set(n.Handle); err != nil {
			t.Errorf("enter netns %s: %v", n.Name, err)
			return
		}
		f()
	})
}

// Gateway makes a veth pair: dev in n and its peer in a new namespace
// holding addrs (CIDR, e.g. the gateway 192.0.2.1/24), up. dev stays down.
func (n *NS) Gateway(t testing.TB, dev string, addrs ...string) *NS {
	t.Helper()
	peer := New(t)
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: dev}, PeerName: "gw0", PeerNamespace: netlink.NsFd(peer.Handle)}
	if err := n.Link.LinkAdd(v); err != nil {
		t.Fatalf("veth %s: %v", dev, err)
	}
	gw, err := peer.Link.LinkByName("gw0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ad, err := netlink.ParseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		ad.Flags = unix.IFA_F_NODAD
		if err := peer.Link.AddrAdd(gw, ad); err != nil {
			t.Fatal(err)
		}
	}
	if err := peer.Link.LinkSetUp(gw); err != nil {
		t.Fatal(err)
	}
	return peer
}
