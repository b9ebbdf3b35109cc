package nodeconfig

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"node-installer/internal/event"
)

// Support bundle: logs, the effective configuration with secrets masked
// and the status, as one .tar.gz the admin hands to support.

// InstallLog is the installer's log below the root (the Logging partition
// is /var/log).
const InstallLog = "var/log/node-installer/install.log"

// SupportBundle writes node-support-HOST-TIME.tar.gz into dir and returns
// its path. extra adds named texts (the kernel log, inspect output);
// every text goes through the one secrets masker (event.Redact).
func SupportBundle(o Options, dir string, now time.Time, extra map[string]string) (string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("support bundle: %s is not a folder (mount the stick first)", dir)
	}
	files := map[string]string{}
	cfg, err := Load(o)
	if err == nil {
		files["settings.txt"] = Show(cfg)
	} else {
		files["settings.txt"] = "# " + err.Error() + "\n"
	}
	files["status.txt"] = StatusText(ReadStatus(o))
	if b, err := os.ReadFile(filepath.Join(o.Dir(), "installer/config.json")); err == nil {
		files["config.json"] = string(b)
	}
	if b, err := os.ReadFile(filepath.Join(o.root(), InstallLog)); err == nil {
		files["install.log"] = string(b)
	}
	for k, v := range extra {
		files[k] = v
	}
	host := cfg.Network.Hostname
	if host == "" {
		host = "node"
	}
	p := filepath.Join(dir, fmt.Sprintf("node-support-%s-%s.tar.gz", host, now.UTC().Format("20060102T150405Z")))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := []byte(redactLines(files[n]))
		hdr := &tar.Header{Name: "node-support/" + n, Mode: 0o600, Size: int64(len(data)), ModTime: now}
		if err = tw.WriteHeader(hdr); err == nil {
			_, err = tw.Write(data)
		}
		if err != nil {
			break
		}
	}
	for _, c := range []interface{ Close() error }{tw, zw, f} {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.Remove(p)
		return "", fmt.Errorf("support bundle %s: %w", p, err)
	}
	return p, nil
}

func redactLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = event.Redact(l)
	}
	return strings.Join(lines, "\n")
}

// StatusText renders the Status as the Status page and the bundle show it.
func StatusText(st Status) string {
	var b strings.Builder
	kv := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&b, "%-13s %s\n", k, v)
	}
	kv("Product", strings.TrimSpace(st.Product+" "+st.Version))
	kv("Hostname", st.Hostname)
	slot := st.Slot
	if slot == "" {
		slot = "unknown (no node.slot= on the kernel command line)"
	}
	kv("Booted slot", slot)
	for i, e := range st.Entries {
		mark := ""
		if i == 0 {
			mark = " (default)"
		}
		if e.Exhausted() {
			mark += " (failed to boot: tries used up)"
		} else if e.Pending() {
			mark += fmt.Sprintf(" (on trial: %d tries left)", e.TriesLeft)
		}
		kv("  slot "+orDash(EntrySlot(e)), strings.TrimSpace(e.Version+mark))
	}
	if st.RolledBack {
		kv("Boot counting", "the last upgrade did not boot and was rolled back")
	}
	kv("Management", st.Mgmt)
	for _, n := range st.NICs {
		if n.Loopback {
			continue
		}
		link := "no link"
		if n.Carrier {
			link = "link"
			if n.SpeedMbps > 0 {
				link += fmt.Sprintf(" %d Mb/s", n.SpeedMbps)
			}
		}
		kv("  "+n.Name, strings.TrimSpace(fmt.Sprintf("%s %s %s", n.MAC, link, strings.Join(n.Addrs, " "))))
	}
	kv("DNS", strings.Join(st.DNS, ", "))
	kv("NTP", strings.Join(st.NTP, ", "))
	kv("Logs", st.Logs)
	if st.Management != "" {
		kv("Manager", st.Management)
	}
	kv("Last run", st.LastRun)
	for _, p := range st.Problems {
		kv("Note", p)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
