package network

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
)

// fakeSysfs builds a /sys tree the way the kernel lays it out: class/net
// entries, hardware NICs with a device link to their PCI function and a
// driver link, virtual ones without.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	netdev := func(name string, f map[string]string) {
		for k, v := range f {
			write(filepath.Join("class/net", name, k), v)
		}
	}
	netdev("lo", map[string]string{"ifindex": "1", "type": "772", "address": "00:00:00:00:00:00", "mtu": "65536", "operstate": "unknown", "carrier": "1", "flags": "0x9"})
	// eno1: Intel onboard, link up at 1 Gb/s
	netdev("eno1", map[string]string{"ifindex": "2", "type": "1", "address": "3C:EC:EF:00:00:01", "mtu": "1500", "operstate": "up", "carrier": "1",
		"speed": "1000", "duplex": "full", "flags": "0x1003"})
	write("devices/pci0000:00/0000:00:1f.6/vendor", "0x8086")
	write("devices/pci0000:00/0000:00:1f.6/device", "0x15b8")
	write("bus/pci/drivers/e1000e/bind", "")
	link("../../../bus/pci/drivers/e1000e", "devices/pci0000:00/0000:00:1f.6/driver")
	link("../../../devices/pci0000:00/0000:00:1f.6", "class/net/eno1/device")
	// ens3: virtio, down (carrier and speed unreadable), index before eno1's name order
	netdev("ens3", map[string]string{"ifindex": "3", "type": "1", "address": "52:54:00:12:34:56", "mtu": "9000", "operstate": "down",
		"speed": "-1", "duplex": "unknown", "flags": "0x1002"})
	write("devices/pci0000:00/0000:00:03.0/vendor", "0x1af4")
	write("devices/pci0000:00/0000:00:03.0/device", "0x1000")
	write("devices/pci0000:00/0000:00:03.0/virtio0/driver_override", "")
	write("bus/virtio/drivers/virtio_net/bind", "")
	link("../../../bus/virtio/drivers/virtio_net", "devices/pci0000:00/0000:00:03.0/driver")
	link("../../../devices/pci0000:00/0000:00:03.0", "class/net/ens3/device")
	// a NIC of a vendor the database does not know
	netdev("enx1", map[string]string{"ifindex": "5", "type": "1", "address": "02:00:00:00:00:05", "mtu": "1500", "operstate": "down", "flags": "0x1002"})
	write("devices/usb1/1-1/vendor", "0xabcd")
	write("devices/usb1/1-1/device", "0x0001")
	link("../../../devices/usb1/1-1", "class/net/enx1/device")
	// a bridge someone left: virtual
	netdev("virbr0", map[string]string{"ifindex": "4", "type": "1", "address": "52:54:00:aa:bb:cc", "mtu": "1500", "operstate": "down", "carrier": "0", "flags": "0x1003"})
	write("class/net/bonding_masters", "")
	return root
}

func TestProbeFakeSysfs(t *testing.T) {
	old := pciIDsPaths
	pciIDsPaths = []string{filepath.Join(t.TempDir(), "missing"), "testdata/pci.ids"}
	t.Cleanup(func() { pciIDsPaths = old })
	nics, err := Probe(fakeSysfs(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []NIC{
		{Name: "lo", Carrier: true, OperState: "unknown", MTU: 65536, Virtual: true, Loopback: true},
		{Name: "eno1", MAC: "3c:ec:ef:00:00:01", Driver: "e1000e", Vendor: "Intel Corporation", Device: "Ethernet Connection (2) I219-V",
			VendorID: "8086", DeviceID: "15b8", Carrier: true, OperState: "up", SpeedMbps: 1000, Duplex: "full", MTU: 1500},
		{Name: "ens3", MAC: "52:54:00:12:34:56", Driver: "virtio_net", Vendor: "Red Hat, Inc.", Device: "Virtio network device",
			VendorID: "1af4", DeviceID: "1000", OperState: "down", MTU: 9000},
		{Name: "virbr0", MAC: "52:54:00:aa:bb:cc", OperState: "down", MTU: 1500, Virtual: true},
		{Name: "enx1", MAC: "02:00:00:00:00:05", VendorID: "abcd", DeviceID: "0001", OperState: "down", MTU: 1500},
	}
	if d := cmp.Diff(want, nics); d != "" {
		t.Errorf("Probe (-want +got):\n%s", d)
	}
}

func TestProbeWithoutPCIDatabase(t *testing.T) {
	old := pciIDsPaths
	pciIDsPaths = []string{filepath.Join(t.TempDir(), "missing")}
	t.Cleanup(func() { pciIDsPaths = old })
	nics, err := Probe(fakeSysfs(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := nics[1]; n.VendorID != "8086" || n.Vendor != "" || n.Device != "" {
		t.Errorf("without pci.ids: %+v", n)
	}
}

func TestProbeMissingRoot(t *testing.T) {
	if _, err := Probe(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Error("Probe of a missing tree succeeded")
	}
}

// TestProbeLive compares Probe("/sys") with what netlink says about this
// machine's own namespace.
func TestProbeLive(t *testing.T) {
	if !isSysfs("/sys") {
		t.Skip("needs sysfs mounted at /sys")
	}
	nics, err := Probe("/sys")
	if err != nil {
		t.Fatal(err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Skipf("netlink unavailable: %v", err)
	}
	if len(nics) != len(links) {
		t.Fatalf("Probe found %d NICs, netlink %d", len(nics), len(links))
	}
	for i, l := range links { // both in ifindex order
		at, n := l.Attrs(), nics[i]
		if n.Name != at.Name || n.MTU != at.MTU || n.MAC != at.HardwareAddr.String() && !(n.MAC == "" && len(at.HardwareAddr) == 0 || n.Loopback) {
			t.Errorf("NIC %d: probe %s/%d/%s, netlink %s/%d/%s", i, n.Name, n.MTU, n.MAC, at.Name, at.MTU, at.HardwareAddr)
		}
		if n.Loopback != (at.Flags&net.FlagLoopback != 0) {
			t.Errorf("%s: loopback %v", n.Name, n.Loopback)
		}
		as, _ := netlink.AddrList(l, netlink.FAMILY_ALL)
		if len(as) != len(n.Addrs) {
			t.Errorf("%s: %d addresses, netlink %d", n.Name, len(n.Addrs), len(as))
		}
	}
}
