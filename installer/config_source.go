package installer

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/network"
)

// answerMax bounds an answer file: it is a few KiB of YAML.
const answerMax = 1 << 20

// Identity is what a node.config URL's placeholders are filled with.
type Identity struct {
	MAC    string // the boot NIC's (BOOTIF), else the first hardware NIC's: aa:bb:cc:dd:ee:ff
	Serial string // DMI product serial
	UUID   string // DMI product UUID
}

// MachineIdentity reads the identity of this machine (sysfs root, "/" on
// a real machine); cfg's BOOTIF wins for the MAC.
func MachineIdentity(sysRoot string, cfg Config) Identity {
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(sysRoot, p))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	id := Identity{
		MAC:    strings.ToLower(cfg.Network.BootIfMAC),
		Serial: read("sys/class/dmi/id/product_serial"),
		UUID:   strings.ToLower(read("sys/class/dmi/id/product_uuid")),
	}
	if id.MAC == "" {
		nics, _ := network.Probe(filepath.Join(sysRoot, "sys")) // ifindex order
		for _, n := range nics {
			if !n.Loopback && !n.Virtual && n.MAC != "" {
				id.MAC = n.MAC
				break
			}
		}
	}
	return id
}

// ConfigSources is where LoadConfig may look besides the kernel arguments.
type ConfigSources struct {
	Identity Identity     // fills a node.config URL's placeholders
	Remote   media.Remote // fetches a node.config URL
	// Facts, when set, is searched for a volume labelled NODECFG when
	// node.config is not given.
	Facts *Facts
	// Discovered is an answer file URL found without a kernel argument
	// (DHCP option 250 of the lease), used when neither node.config nor a
	// NODECFG volume names one; DiscoveredFrom names it in problems.
	Discovered, DiscoveredFrom string
	// Signature, when set (node.config_signature=required), is the policy
	// node.config's detached signature (node.config + ".sig") must pass.
	Signature *media.Trust
}

// LoadConfig builds a run's Config: defaults < the answer file < the
// kernel arguments. The answer file is node.config= (an absolute path, or
// an http(s) URL whose ${mac}, ${serial}, ${uuid} and ${hostname} are
// filled from the identity and the kernel arguments), else the
// node-config.yaml of the one volume labelled NODECFG in src.Facts, else
// none. An answer file that cannot be read is a problem naming its source
// (secrets masked), so an unattended run stops before writing anything.
// The network must already be up for a URL.
func LoadConfig(ctx context.Context, cmdline string, src ConfigSources) (Config, Problems) {
	cfg, ps := ParseCmdline(cmdline)
	from, arg := cfg.Unattended.ConfigURL, "node.config"
	if from == "" && src.Discovered != "" && (src.Facts == nil || len(configVolumes(*src.Facts)) == 0) {
		from, arg = src.Discovered, src.DiscoveredFrom
	}
	fail := func(value, format string, a ...any) (Config, Problems) {
		return cfg, append(ps, Problem{Field: "unattended.config", Arg: arg, Value: event.RedactURL(event.Redact(value)), Msg: fmt.Sprintf(format, a...)})
	}
	var data []byte
	switch {
	case from == "" && src.Facts != nil:
		vols := configVolumes(*src.Facts)
		if len(vols) == 0 {
			return cfg, ps
		}
		label := "LABEL=" + ConfigVolumeLabel
		if len(vols) > 1 {
			names := make([]string, len(vols))
			for i, v := range vols {
				names[i] = v.name
			}
			return fail(label, "%d volumes are labelled %s (%s): keep one, or name the answer file with node.config=", len(vols), ConfigVolumeLabel, strings.Join(names, ", "))
		}
		if src.Signature != nil {
			return fail(label, "node.config_signature=required: an answer file on a %s volume cannot be checked yet; name a signed file or URL with node.config=", ConfigVolumeLabel)
		}
		b, err := vols[0].read()
		if err != nil {
			return fail(label, "volume %s: %v", vols[0].name, err)
		}
		data = b
	case from == "":
		return cfg, ps
	case media.IsURL(from):
		u, missing := fillPlaceholders(from, src.Identity, cfg.Network.Hostname)
		if missing != "" {
			return fail(from, "%s is not known on this machine, so the answer file's URL cannot be built", missing)
		}
		b, err := src.Remote.Fetch(ctx, u, answerMax)
		if err != nil {
			// The error quotes the URL (the filled one, too): shown masked.
			msg := strings.ReplaceAll(err.Error(), u, event.RedactURL(u))
			return fail(from, "%s", event.RedactURL(event.Redact(msg)))
		}
		if err := checkConfigSignature(ctx, src, u, b); err != nil {
			return fail(from, "%s", event.Redact(err.Error()))
		}
		data = b
	case strings.HasPrefix(from, "/"):
		b, err := media.ReadSmall(from, answerMax)
		if err != nil {
			return fail(from, "%v", err)
		}
		if err := checkConfigSignature(ctx, src, from, b); err != nil {
			return fail(from, "%v", err)
		}
		data = b
	default:
		return cfg, ps // Validate reports the form
	}
	base := Defaults()
	aps := LoadAnswerFile(bytes.NewReader(data), &base)
	aps = append(aps, ApplyCmdline(&base, cmdline)...)
	return base, aps
}

// fillPlaceholders replaces the placeholders of a node.config URL, each
// value path-escaped; it names the first one without a value.
func fillPlaceholders(u string, id Identity, hostname string) (string, string) {
	vals := map[string]string{"${mac}": id.MAC, "${serial}": id.Serial, "${uuid}": id.UUID, "${hostname}": hostname}
	missing := ""
	out := configPlaceholders.ReplaceAllStringFunc(u, func(ph string) string {
		v, known := vals[ph]
		if v == "" && missing == "" && known {
			missing = ph
		}
		return url.PathEscape(v)
	})
	return out, missing
}
