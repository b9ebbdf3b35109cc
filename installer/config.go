// Package installer holds the one Config (filled by defaults, an answer
// file, the kernel command line and the TUI), the Facts probed from the
// machine, the pure planning from both, and the engine that applies a plan.
package installer

import (
	"node-installer/network"
	"node-installer/storage"
)

// Action is what a run does.
type Action string

// Actions. ActionInteractive starts the TUI (no action, or `install`).
const (
	ActionInteractive Action = "interactive"
	ActionInstall     Action = "install"   // storage_init: unattended install
	ActionReinstall   Action = "reinstall" // reinstall/firstboot: wipe and install fresh
	ActionUpgrade     Action = "upgrade"   // upgrade/local_boot/ovirt_upgrade
	ActionUninstall   Action = "uninstall"
)

// HostPort is host[:port] as syslog=, netconsole=, collectd= take it.
type HostPort struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"` // 0 = the service's default
}

// Host holds credentials and console settings persisted to the target.
type Host struct {
	// AdminPW and RootPW are crypted hashes ($6$, $y$, $5$, $1$); never logged.
	AdminPW   string `json:"adminpw,omitempty"`
	RootPW    string `json:"rootpw,omitempty"`
	SSHPwAuth *bool  `json:"ssh_pwauth,omitempty"`
	Keyboard  string `json:"keyboard,omitempty"`
	// SSHKeys are the admin's SSH authorized keys, one OpenSSH public key a line.
	SSHKeys []string `json:"ssh_authorized_keys,omitempty"`
}

// Services holds the service settings persisted to the target.
type Services struct {
	Syslog            *HostPort `json:"syslog,omitempty"`
	Netconsole        *HostPort `json:"netconsole,omitempty"`
	Collectd          *HostPort `json:"collectd,omitempty"`
	LogrotateMaxSize  string    `json:"logrotate_max_size,omitempty"` // e.g. "1024k"
	LogrotateInterval string    `json:"logrotate_interval,omitempty"` // daily|weekly|monthly
	KdumpNFS          string    `json:"kdump_nfs,omitempty"`          // host:/path
	KdumpSSH          string    `json:"kdump_ssh,omitempty"`          // user@host
	DisableKdump      bool      `json:"disable_kdump,omitempty"`
	NFSv4Domain       string    `json:"nfsv4_domain,omitempty"`
	ISCSIName         string    `json:"iscsi_name,omitempty"`
	ManagementServer  *HostPort `json:"management_server,omitempty"`
	ManagementFprint  string    `json:"management_server_fingerprint,omitempty"`
	DisableAESNI      bool      `json:"disable_aes_ni,omitempty"`
	UseStrongRNG      string    `json:"use_strong_rng,omitempty"`
	Tuned             string    `json:"tuned,omitempty"`
}

// Unattended holds the node.* run options.
type Unattended struct {
	ConfigURL string `json:"config,omitempty"`  // node.config
	Media     string `json:"media,omitempty"`   // node.media
	Webhook   string `json:"webhook,omitempty"` // node.webhook
	// WebhookFormat is node.webhook_format: json (default) or ironic.
	WebhookFormat string `json:"webhook_format,omitempty"`
	// WebhookToken is node.webhook_token, Ironic's agent_token (a secret).
	WebhookToken string `json:"webhook_token,omitempty"`
	// DoneURLs are node.done_url's URLs (Foreman's built, Cobbler's
	// nopxe), each fetched with a GET once the run succeeded.
	DoneURLs []string `json:"done_url,omitempty"`
	// LocalBootTrigger is oVirt Node's local_boot_trigger=URL, fetched
	// like a done URL.
	LocalBootTrigger string `json:"local_boot_trigger,omitempty"`
	After            string `json:"after,omitempty"` // reboot|poweroff|halt|shell
	RebootDelay      int    `json:"reboot_delay,omitempty"`
	LogLevel         string `json:"log_level,omitempty"`
	Break            string `json:"break,omitempty"` // pre-installer|post-installer|pre-reboot
	HaltIfInstalled  bool   `json:"halt_if_installed,omitempty"`
	AllowDowngrade   bool   `json:"allow_downgrade,omitempty"`
	// TrustKeys are node.trust_key's public key files (docs/media-bundle.md).
	TrustKeys []string `json:"trust_keys,omitempty"`
	// InsecureMedia (node.insecure_media) accepts unsigned or wrongly
	// signed media, shown as NOT VERIFIED everywhere.
	InsecureMedia bool `json:"insecure_media,omitempty"`
	// ConfigSignature is node.config_signature: "required" or "optional"
	// ("" = optional unless the media's manifest requires it).
	ConfigSignature string `json:"config_signature,omitempty"`
	// RefuseSameVersion refuses an upgrade to the installed version
	// (`node-installer upgrade` without --force); the live media's
	// upgrade rewrites it.
	RefuseSameVersion bool `json:"refuse_same_version,omitempty"`
	// BootedSlot is the slot the running system booted from the disk
	// being upgraded (node.slot= of /proc/cmdline): an upgrade on the
	// running node never writes it.
	BootedSlot string `json:"booted_slot,omitempty"`
}

// Config is everything a run needs to know from its users.
type Config struct {
	Action     Action         `json:"action"`
	Storage    storage.Spec   `json:"storage"`
	Network    network.Config `json:"network"`
	Host       Host           `json:"host"`
	Services   Services       `json:"services"`
	Unattended Unattended     `json:"unattended"`
	// ForceInstall is the `install` argument: the TUI offers a fresh
	// install even when an installation exists.
	ForceInstall bool `json:"force_install,omitempty"`
	// BootParams are the kernel arguments not consumed, passed to the installed system.
	BootParams []string `json:"boot_params,omitempty"`
	// Dropped are the kernel arguments read but not passed to the
	// installed system (the live media's own, oVirt plugins', secrets).
	// The plan shows them; they are not part of the effective config.
	Dropped []Dropped `json:"-"`
	// Origins maps a field path ("storage.volumes.Swap") to the kernel
	// argument it came from, so problems can name it.
	Origins map[string]Origin `json:"-"`
	// Overridden names each answer-file value a kernel argument replaced.
	Overridden []string `json:"-"`
}

// Origin is where a Config field's value came from.
type Origin struct {
	Arg   string // kernel argument name, e.g. "storage_vol"
	Value string // as written (secrets masked)
}
