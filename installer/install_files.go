package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"node-installer/internal/event"
	"node-installer/network"
)

// Config partition layout (the on-disk contract).
const (
	cfgHostname   = "hostname"
	cfgShadowDir  = "shadow.d"
	cfgConfigJSON = "installer/config.json"
	cfgNetworkDir = "network"
	// logInstallLog is the install log's path on the Logging partition
	// (mounted at /var/log on the node).
	logInstallLog = "node-installer/install.log"
)

// MaskedConfig returns cfg with every secret replaced, as it is stored
// in installer/config.json (0600) and shown anywhere outside its target
// file: the plan (text and JSON), the TUI, the log. It is the one masker
// of a Config.
func MaskedConfig(cfg Config) Config {
	c := cfg
	if c.Host.AdminPW != "" {
		c.Host.AdminPW = masked
	}
	if c.Host.RootPW != "" {
		c.Host.RootPW = masked
	}
	if c.Unattended.WebhookToken != "" {
		c.Unattended.WebhookToken = masked
	}
	c.Unattended.DoneURLs = slices.Clone(c.Unattended.DoneURLs)
	urls := []*string{&c.Unattended.Webhook, &c.Unattended.ConfigURL, &c.Unattended.Media, &c.Unattended.LocalBootTrigger}
	for i := range c.Unattended.DoneURLs {
		urls = append(urls, &c.Unattended.DoneURLs[i])
	}
	for _, u := range urls {
		*u = event.RedactURL(event.Redact(*u))
	}
	params := make([]string, len(c.BootParams))
	for i, p := range c.BootParams {
		params[i] = event.Redact(p)
	}
	c.BootParams = params
	return c
}

func writeFile(root, rel string, data []byte, mode os.FileMode) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode) // WriteFile's mode is masked by the umask
}

// writeConfig populates the Config partition.
func (j *installJob) writeConfig() error {
	return j.ext4(j.configPart, func(dir string) error {
		return PersistConfig(dir, j.cfg, j.netFiles)
	})
}

// PersistConfig writes the Config partition's tree under dir: hostname,
// password hashes (0600, the only place they are written), the effective
// Config with secrets masked, the network group (netFiles, rendered from
// the network plan) and every service group (RenderGroup). A group's
// folder is replaced whole, so a file no longer rendered is gone.
func PersistConfig(dir string, cfg Config, netFiles []network.File) error {
	if h := cfg.Network.Hostname; h != "" {
		if err := writeFile(dir, cfgHostname, []byte(h+"\n"), 0o644); err != nil {
			return err
		}
	} else if err := os.Remove(filepath.Join(dir, cfgHostname)); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, cfgShadowDir), 0o700); err != nil {
		return err
	}
	for name, hash := range map[string]string{AdminUser: cfg.Host.AdminPW, "root": cfg.Host.RootPW} {
		if hash == "" || hash == masked {
			continue
		}
		if err := writeFile(dir, filepath.Join(cfgShadowDir, name), []byte(hash+"\n"), 0o600); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(MaskedConfig(cfg), "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(dir, cfgConfigJSON, append(data, '\n'), 0o600); err != nil {
		return err
	}
	if err := PersistGroup(dir, GroupNetwork, netFiles); err != nil {
		return err
	}
	for _, g := range ServiceGroups {
		files, err := RenderGroup(cfg, g)
		if err != nil {
			return err
		}
		if err := PersistGroup(dir, g, files); err != nil {
			return err
		}
	}
	return nil
}

// PersistGroup replaces the group's folder under dir by files.
func PersistGroup(dir, group string, files []network.File) error {
	gdir := filepath.Join(dir, group)
	if err := os.RemoveAll(gdir); err != nil {
		return err
	}
	for _, f := range files {
		if err := writeFile(gdir, NodePath(f.Path), f.Data, FileMode(f)); err != nil {
			return err
		}
	}
	return nil
}

// NodePath cleans a node file's path: relative, never outside the tree.
func NodePath(p string) string { return filepath.Clean("/" + p)[1:] }

// FileMode is f's mode, 0644 when unset.
func FileMode(f network.File) os.FileMode {
	if f.Mode == 0 {
		return 0o644
	}
	return f.Mode
}

// Config partition paths of the settings, relative to its root.
const (
	ConfigHostnameFile = cfgHostname
	ConfigShadowDir    = cfgShadowDir
	ConfigJSONFile     = cfgConfigJSON
)

// writeLogging puts the install log on the Logging partition: the log
// file when there is one, else the event stream recorded so far.
func (j *installJob) writeLogging(p *progress) error {
	var data []byte
	if j.opts.LogFile != "" {
		b, err := os.ReadFile(j.opts.LogFile)
		if err != nil {
			p.warn(fmt.Sprintf("read the log file %s: %v; writing the event record instead", j.opts.LogFile, err))
		}
		data = b
	}
	if data == nil {
		data = []byte(strings.Join(p.record(), "\n") + "\n")
	}
	return j.ext4(j.logPart, func(dir string) error {
		return writeFile(dir, logInstallLog, []byte(event.Redact(string(data))), 0o640)
	})
}

// firmwareEntry adds a UEFI boot entry for systemd-boot with efibootmgr
// when the firmware exposes its variables. A missing entry is not fatal:
// the firmware also boots EFI/BOOT/BOOTX64.EFI on its own.
func (j *installJob) firmwareEntry(ctx context.Context, p *progress) {
	vars := j.opts.EFIVarsDir
	if vars == "" {
		vars = "/sys/firmware/efi/efivars"
	}
	if _, err := os.Stat(vars); err != nil {
		p.log("no EFI variables (" + vars + "): firmware boot entry skipped, the fallback loader EFI/BOOT/BOOTX64.EFI boots the disk")
		return
	}
	if st, err := os.Stat(j.boot.Disk.Path); err != nil || st.Mode()&os.ModeDevice == 0 {
		p.log(j.boot.Disk.Path + " is not a block device: firmware boot entry skipped")
		return
	}
	label := j.bundle.Manifest.Product
	if out, err := exec.CommandContext(ctx, "efibootmgr").Output(); err == nil {
		// Every entry of the product goes: after a wipe the old ones
		// point at an ESP that no longer exists.
		for _, e := range ParseFirmwareEntries(string(out)) {
			if e.Label != label {
				continue
			}
			if err := exec.CommandContext(ctx, "efibootmgr", "-q", "-b", e.Num, "-B").Run(); err != nil {
				p.warn(fmt.Sprintf("remove old firmware entry Boot%s: %v", e.Num, err))
			} else {
				p.log("old firmware boot entry Boot" + e.Num + " " + label + " removed")
			}
		}
	}
	out, err := exec.CommandContext(ctx, "efibootmgr", "-q", "-c", "-d", j.boot.Disk.Path,
		"-p", fmt.Sprint(j.espPart.Number), "-L", label, "-l", `\EFI\systemd\systemd-bootx64.efi`).CombinedOutput()
	if err != nil {
		p.warn(fmt.Sprintf("efibootmgr: %v: %s", err, strings.TrimSpace(string(out))))
		return
	}
	p.log("firmware boot entry " + label + " created")
}
