package network

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// pciIDsPaths are where distributions keep the PCI id database; a
// missing file only leaves the vendor and device names empty.
var pciIDsPaths = []string{"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"}

// Probe lists every network interface under sysRoot/class/net ("/sys" on
// a live system), in kernel (ifindex) order. Link facts come from sysfs;
// addresses come from netlink in the caller's network namespace, and only
// when sysRoot is a mounted sysfs (a recorded tree has none).
func Probe(sysRoot string) ([]NIC, error) {
	dir := filepath.Join(sysRoot, "class", "net")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("probe NICs: %w", err)
	}
	live := isSysfs(sysRoot)
	type indexed struct {
		idx int
		nic NIC
	}
	var found []indexed
	for _, e := range entries {
		base := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(base, "type")); err != nil {
			continue // bonding_masters and other plain files
		}
		n := probeOne(base, e.Name())
		if live {
			n.Addrs = liveAddrs(n.Name)
		}
		idx, _ := strconv.Atoi(readSys(base, "ifindex"))
		found = append(found, indexed{idx, n})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].idx < found[j].idx })
	nics := make([]NIC, len(found))
	for i, f := range found {
		nics[i] = f.nic
	}
	namePCI(nics)
	return nics, nil
}

func probeOne(base, name string) NIC {
	n := NIC{Name: name}
	n.MAC = strings.ToLower(readSys(base, "address"))
	if strings.Trim(n.MAC, "0:") == "" {
		n.MAC = "" // loopback, tunnels: no hardware address
	}
	n.MTU, _ = strconv.Atoi(readSys(base, "mtu"))
	n.OperState = readSys(base, "operstate")
	// carrier reads EINVAL while the link is down: no carrier then
	n.Carrier = readSys(base, "carrier") == "1"
	if s, err := strconv.Atoi(readSys(base, "speed")); err == nil && s > 0 {
		n.SpeedMbps = s // -1 or EINVAL when unknown
	}
	if d := readSys(base, "duplex"); d != "unknown" {
		n.Duplex = d
	}
	flags, _ := strconv.ParseUint(strings.TrimPrefix(readSys(base, "flags"), "0x"), 16, 32)
	typ := readSys(base, "type")
	n.Loopback = flags&unix.IFF_LOOPBACK != 0 || typ == "772"
	// a NIC backed by hardware (PCI, USB, virtio...) has a device link
	if _, err := os.Stat(filepath.Join(base, "device")); err != nil {
		n.Virtual = true
	} else {
		if t, err := os.Readlink(filepath.Join(base, "device", "driver")); err == nil {
			n.Driver = filepath.Base(t)
		}
		n.VendorID = hexID(readSys(base, "device/vendor"))
		n.DeviceID = hexID(readSys(base, "device/device"))
	}
	return n
}

func hexID(s string) string {
	s = strings.TrimPrefix(strings.ToLower(s), "0x")
	if len(s) != 4 {
		return ""
	}
	return s
}

func readSys(base, name string) string {
	b, err := os.ReadFile(filepath.Join(base, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// isSysfs tells a mounted sysfs from a recorded tree.
func isSysfs(p string) bool {
	var st unix.Statfs_t
	return unix.Statfs(p, &st) == nil && st.Type == unix.SYSFS_MAGIC
}

func liveAddrs(name string) []string {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	as, err := netlink.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range as {
		out = append(out, a.IPNet.String())
	}
	return out
}

// namePCI fills Vendor and Device from the first pci.ids found.
func namePCI(nics []NIC) {
	want := false
	for _, n := range nics {
		want = want || n.VendorID != ""
	}
	if !want {
		return
	}
	for _, p := range pciIDsPaths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		names := lookupPCI(bufio.NewScanner(f), nics)
		f.Close()
		for i := range nics {
			k := nics[i].VendorID
			nics[i].Vendor = names[k]
			if nics[i].DeviceID != "" {
				nics[i].Device = names[k+":"+nics[i].DeviceID]
			}
		}
		return
	}
}

// lookupPCI reads pci.ids ("VVVV  vendor" lines, "\tDDDD  device" lines
// under them) and returns the names asked for, keyed "VVVV" and "VVVV:DDDD".
func lookupPCI(sc *bufio.Scanner, nics []NIC) map[string]string {
	wanted := map[string]bool{}
	for _, n := range nics {
		if n.VendorID != "" {
			wanted[n.VendorID] = true
			wanted[n.VendorID+":"+n.DeviceID] = true
		}
	}
	names := map[string]string{}
	vendor := ""
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "C ") {
			break // device classes follow the vendors
		}
		if line[0] != '\t' {
			id, name, ok := strings.Cut(line, "  ")
			vendor = ""
			if ok && wanted[id] {
				vendor = id
				names[id] = strings.TrimSpace(name)
			}
			continue
		}
		if vendor == "" || strings.HasPrefix(line, "\t\t") {
			continue // subsystem lines
		}
		id, name, ok := strings.Cut(line[1:], "  ")
		if ok && wanted[vendor+":"+id] {
			names[vendor+":"+id] = strings.TrimSpace(name)
		}
	}
	return names
}
