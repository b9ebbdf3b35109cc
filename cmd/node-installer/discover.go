package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"node-installer/installer"
	"node-installer/internal/event"
	"node-installer/network"
)

// leasesPath is where the live system keeps the DHCP leases it got, so
// that the run after it finds the answer file's URL in them (a variable
// for tests).
var leasesPath = "/run/node-installer/leases.json"

// saveLeases records the live network's leases for discoveredAnswer.
func saveLeases(ls []network.Lease) error {
	b, err := json.Marshal(ls)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(leasesPath), 0o755); err != nil {
		return err
	}
	tmp := leasesPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, leasesPath)
}

// answerTXTName is the DNS name, in a lease's domain, whose TXT record
// holds the answer file's URL when the lease carries no option 250.
const answerTXTName = "_node-installer"

// lookupTXT resolves TXT records (a variable for tests), within
// txtTimeout.
var (
	lookupTXT  = net.DefaultResolver.LookupTXT
	txtTimeout = 5 * time.Second
)

// discoveredAnswer is the answer file URL of the first saved lease that
// carries DHCP option 250, else of the TXT record _node-installer.DOMAIN
// in the first lease's domain that has one, and where it came from (""
// when none).
func discoveredAnswer() (url, from string) {
	b, err := os.ReadFile(leasesPath)
	if err != nil {
		return "", ""
	}
	var ls []network.Lease
	if json.Unmarshal(b, &ls) != nil {
		return "", ""
	}
	for _, l := range ls {
		if l.AnswerURL != "" {
			return l.AnswerURL, "DHCP option 250 (lease on " + l.Iface + ")"
		}
	}
	for _, l := range ls {
		if l.Domain == "" {
			continue
		}
		name := answerTXTName + "." + strings.TrimSuffix(l.Domain, ".")
		ctx, cancel := context.WithTimeout(context.Background(), txtTimeout)
		txts, err := lookupTXT(ctx, name)
		cancel()
		if err != nil {
			continue
		}
		for _, t := range txts {
			if t = strings.TrimSpace(t); strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
				return t, "DNS TXT " + name
			}
		}
	}
	return "", ""
}

// answerSource says where a run's answer file comes from: node.config,
// a NODECFG volume, else the DHCP lease's URL (masked).
func answerSource(pre installer.Config, facts *installer.Facts) string {
	if src := installer.AnswerSource(pre, facts); src != "" {
		return src
	}
	if u, from := discoveredAnswer(); u != "" {
		return from + ": " + event.RedactURL(event.Redact(u))
	}
	return ""
}
