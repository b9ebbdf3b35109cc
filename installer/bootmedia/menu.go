package bootmedia

import (
	"fmt"
	"regexp"
	"strings"
)

// LiveDir is where the live environment mounts its boot medium; the
// bundle is BundleDir below it (the installer looks there) and an
// embedded answer file is AnswerName beside it.
const (
	LiveDir    = "/run/initramfs/live"
	BundleDir  = "node"
	AnswerName = "answer.yaml"
)

// Entry is one boot menu entry: the same ID, title and kernel arguments
// on every loader (systemd-boot, isolinux, iPXE, the PXE text file).
type Entry struct {
	ID    string
	Title string
	Args  []string
}

// Options are the choices of a build (and of customize).
// They are kept on the media as StateName, which inspect shows and
// customize starts from.
type Options struct {
	Product string   `json:"product"`
	Version string   `json:"version"`
	Label   string   `json:"label,omitempty"`   // ISO volume id, see VolumeLabel
	Answer  bool     `json:"answer,omitempty"`  // an answer file is embedded: the Automated entry exists
	Default string   `json:"default,omitempty"` // entry ID; "" is AutomatedID with an answer, else "install"
	Timeout int      `json:"timeout,omitempty"` // seconds the menu waits; 0 means the default of 5
	Args    []string `json:"args,omitempty"`    // added to every entry
	PXEBase string   `json:"pxe_base,omitempty"`
	// CA: a CA certificate for https node.config/node.media is embedded,
	// as a second initrd (LiveCA, PXECA) every entry loads.
	CA bool `json:"ca,omitempty"`
}

// StateName is the Options file at the root of the ISO and the PXE set.
const StateName = "media.json"

const defaultTimeout = 5

// AutomatedID is the Automated install entry's ID (with -serial, its
// serial twin). Not "auto": systemd-boot skips entry files named
// auto-*, the names of the entries it detects itself.
const AutomatedID = "automated"

// serialArgs put the kernel log on both consoles and the TUI (which runs
// on /dev/console, the last console=) on the first serial port.
var (
	vgaArgs    = []string{"console=tty0"}
	serialArgs = []string{"console=tty0", "console=ttyS0,115200"}
)

// Entries lists the menu entries of o in menu order. The live medium is
// found by its volume label (root=live:CDLABEL=, dracut's grammar; the
// installer drops it from the installed system's arguments); a PXE boot
// passes the bundle's URL instead (see PXEArgs).
func Entries(o Options) []Entry {
	type base struct {
		id, title string
		args      []string
	}
	bases := []base{}
	if o.Answer {
		bases = append(bases, base{AutomatedID, "Automated install (embedded answer file)",
			[]string{"node.config=" + LiveDir + "/" + AnswerName}})
	}
	bases = append(bases,
		base{"install", "Install or Upgrade", nil},
		base{"rescue", "Rescue shell", []string{"single"}},
	)
	var out []Entry
	for _, b := range bases {
		for _, serial := range []bool{false, true} {
			e := Entry{ID: b.id, Title: b.title}
			cons := vgaArgs
			if serial {
				e.ID += "-serial"
				e.Title += " (serial console ttyS0)"
				cons = serialArgs
			}
			if o.Label != "" {
				e.Args = append(e.Args, "root=live:CDLABEL="+o.Label)
			}
			e.Args = append(append(append(e.Args, b.args...), o.Args...), cons...)
			out = append(out, e)
		}
	}
	return out
}

// DefaultID is the entry booted when the menu times out.
func (o Options) DefaultID() string {
	switch {
	case o.Default != "":
		return o.Default
	case o.Answer:
		return AutomatedID
	}
	return "install"
}

// TimeoutSec is the menu timeout in seconds.
func (o Options) TimeoutSec() int {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return defaultTimeout
}

// Check reports the first bad option, naming it.
func (o Options) Check() error {
	found := false
	for _, e := range Entries(o) {
		found = found || e.ID == o.DefaultID()
	}
	if !found {
		var ids []string
		for _, e := range Entries(o) {
			ids = append(ids, e.ID)
		}
		return fmt.Errorf("--default %q: no such entry (have %s)", o.DefaultID(), strings.Join(ids, ", "))
	}
	if o.Timeout < 0 || o.Timeout > 3600 {
		return fmt.Errorf("--timeout %d: want 0 to 3600 seconds", o.Timeout)
	}
	for _, a := range o.Args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			return fmt.Errorf("--karg %q: one kernel argument without spaces, quotes or backslashes", a)
		}
	}
	if o.Label != "" && !labelRE.MatchString(o.Label) {
		return fmt.Errorf("volume label %q: want 1-32 of A-Z, 0-9 and _", o.Label)
	}
	return nil
}

var labelRE = regexp.MustCompile(`^[A-Z0-9_]{1,32}$`)

// VolumeLabel is the ISO volume id of product and version: upper case,
// every other character an underscore (ISO 9660 d-characters), at most
// 32 characters, e.g. NODE_1_0_0.
func VolumeLabel(product, version string) string {
	s := strings.ToUpper(product + "_" + version)
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) > 32 {
		b = b[:32]
	}
	return string(b)
}
