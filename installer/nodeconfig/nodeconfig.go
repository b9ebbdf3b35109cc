// Package nodeconfig changes the configuration of an installed node: one
// function per page of the setup console (Network, Security, Keyboard,
// Logging, Kdump, Remote storage, Monitoring, Management), shared by the
// setup TUI and `node-installer config`. Each validates the new settings
// with installer.Config.Validate (problems name the field), renders the
// node's real files (installer.RenderGroup, network.Render), writes them
// under the target root and persists them on the Config partition with
// installer.PersistConfig, the function the installer itself uses. Bad
// input is refused before any byte is written.
package nodeconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"node-installer/installer"
	"node-installer/network"
)

// Page is one page of the setup console, and the settings it owns.
type Page string

// The pages that write settings.
const (
	PageNetwork    Page = "network"
	PageSecurity   Page = "security"
	PageKeyboard   Page = "keyboard"
	PageLogging    Page = "logging"
	PageKdump      Page = "kdump"
	PageStorage    Page = "storage"
	PageMonitoring Page = "monitoring"
	PageManagement Page = "management"
)

// Pages lists the pages in the console's order.
var Pages = []Page{PageNetwork, PageSecurity, PageKeyboard, PageLogging, PageKdump, PageStorage, PageMonitoring, PageManagement}

// pageFields are the Config field paths a page owns: its problems are
// the ones whose field starts with one of them.
var pageFields = map[Page][]string{
	PageNetwork:    {"network"},
	PageSecurity:   {"host.adminpw", "host.rootpw", "host.ssh_pwauth", "host.ssh_authorized_keys", "host.console_lock"},
	PageKeyboard:   {"host.keyboard"},
	PageLogging:    {"services.syslog", "services.netconsole", "services.logrotate_max_size", "services.logrotate_interval"},
	PageKdump:      {"services.kdump_nfs", "services.kdump_ssh", "services.disable_kdump"},
	PageStorage:    {"services.iscsi_name", "services.nfsv4_domain"},
	PageMonitoring: {"services.collectd"},
	PageManagement: {"services.management_server", "services.management_server_fingerprint"},
}

// group is the Config partition group a page rewrites.
var group = map[Page]string{
	PageNetwork: installer.GroupNetwork, PageSecurity: installer.GroupSecurity, PageKeyboard: installer.GroupKeyboard,
	PageLogging: installer.GroupLogging, PageKdump: installer.GroupKdump, PageStorage: installer.GroupStorage,
	PageMonitoring: installer.GroupMonitoring, PageManagement: installer.GroupManagement,
}

// DefaultConfigDir is where the booted node mounts its Config partition.
const DefaultConfigDir = "/config"

// Options say where the node is.
type Options struct {
	// Root is the node's root ("/" on the node; a folder in tests).
	Root string
	// ConfigDir is the mounted Config partition ("" = Root + /config).
	ConfigDir string
	// NICs are the node's interfaces for the network plan (nil: probed
	// from /sys when Root is "/", else none).
	NICs []network.NIC
	// ESPDir is the mounted ESP ("" = Root + /boot/efi).
	ESPDir string
	// EFIVarsDir is efivarfs ("" = /sys/firmware/efi/efivars).
	EFIVarsDir string
	// ShadowDay is the day number written as the password's last change
	// (0 = today).
	ShadowDay int64
}

func (o Options) root() string {
	if o.Root == "" {
		return "/"
	}
	return o.Root
}

// Dir is the Config partition's folder.
func (o Options) Dir() string {
	if o.ConfigDir != "" {
		return o.ConfigDir
	}
	return filepath.Join(o.root(), DefaultConfigDir)
}

func (o Options) nics() ([]network.NIC, error) {
	if o.NICs != nil || o.root() != "/" {
		return o.NICs, nil
	}
	return network.Probe("/sys")
}

// ErrNoConfigPartition is returned when the Config partition's folder
// does not exist (not mounted, or not an installed node).
var ErrNoConfigPartition = errors.New("no Config partition")

// Load reads the node's settings from the Config partition: the
// effective Config the installer (or an earlier change) stored, with the
// password hashes from shadow.d.
func Load(o Options) (installer.Config, error) {
	dir := o.Dir()
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return installer.Config{}, fmt.Errorf("%w at %s (mount it there or give --config-dir)", ErrNoConfigPartition, dir)
	}
	cfg := installer.Config{Action: installer.ActionInteractive}
	data, err := os.ReadFile(filepath.Join(dir, installer.ConfigJSONFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return cfg, err
	default:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return cfg, fmt.Errorf("%s: %w", installer.ConfigJSONFile, err)
		}
	}
	cfg.Host.AdminPW = readHash(filepath.Join(dir, installer.ConfigShadowDir, installer.AdminUser))
	cfg.Host.RootPW = readHash(filepath.Join(dir, installer.ConfigShadowDir, "root"))
	return cfg, nil
}

func readHash(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Problems returns the problems of cfg that belong to the pages.
func Problems(cfg installer.Config, pages ...Page) installer.Problems {
	var out installer.Problems
	for _, p := range cfg.Validate() {
		for _, pg := range pages {
			if owns(pg, p.Field) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func owns(pg Page, field string) bool {
	for _, f := range pageFields[pg] {
		if field == f || strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

// PageOf returns the page that owns a Config field path.
func PageOf(field string) (Page, bool) {
	for _, pg := range Pages {
		if owns(pg, field) {
			return pg, true
		}
	}
	return "", false
}
