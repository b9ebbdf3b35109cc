package nodeconfig

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"golang.org/x/sys/unix"

	"node-installer/internal/bls"
)

// systemd-boot's vendor GUID for its EFI variables (the Boot Loader
// Interface).
const loaderGUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

// DefaultEFIVars is where efivarfs is mounted.
const DefaultEFIVars = "/sys/firmware/efi/efivars"

func (o Options) efivars() string {
	if o.EFIVarsDir != "" {
		return o.EFIVarsDir
	}
	return DefaultEFIVars
}

// BootOnce makes systemd-boot boot entry (its file name without the
// counter and .conf, "node-B") on the next boot only: LoaderEntryOneShot.
func BootOnce(o Options, entry string) error { return setLoaderVar(o, "LoaderEntryOneShot", entry) }

// BootDefault makes entry the default of every boot: LoaderEntryDefault.
// It overrides the menu order, so boot counting no longer falls back to
// the other slot on its own while it is set; "" removes it.
func BootDefault(o Options, entry string) error {
	if entry == "" {
		err := os.Remove(filepath.Join(o.efivars(), "LoaderEntryDefault-"+loaderGUID))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return setLoaderVar(o, "LoaderEntryDefault", entry)
}

// setLoaderVar writes a UTF-16 string variable of systemd-boot's vendor
// into efivarfs: attributes (non-volatile, boot and runtime access) then
// the NUL-terminated string.
func setLoaderVar(o Options, name, value string) error {
	dir := o.efivars()
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no EFI variables at %s: %w", dir, err)
	}
	p := filepath.Join(dir, name+"-"+loaderGUID)
	data := binary.LittleEndian.AppendUint32(nil, 0x7)
	for _, u := range utf16.Encode([]rune(value + "\x00")) {
		data = binary.LittleEndian.AppendUint16(data, u)
	}
	mutable(p)
	// efivarfs takes the whole variable in one write
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("set EFI variable %s: %w", name, err)
	}
	return nil
}

// mutable clears the immutable flag efivarfs puts on existing variables.
func mutable(p string) {
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil || flags&fsImmutable == 0 {
		return
	}
	_ = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutable))
}

// SerialConsole is the serial console of the boot entries: "" for none,
// else the console= value (ttyS0,115200n8).
func SerialConsole(e bls.Entry) string {
	for _, f := range strings.Fields(e.Options) {
		if v, ok := strings.CutPrefix(f, "console="); ok && strings.HasPrefix(v, "ttyS") {
			return v
		}
	}
	return ""
}

// SetSerialConsole rewrites the options of every loader entry on the ESP:
// serial "" removes the serial console= arguments, else the kernel logs
// to tty0 and serial (the last console= is /dev/console). Other lines
// and arguments are kept.
func SetSerialConsole(o Options, serial string) ([]string, error) {
	if serial != "" && !strings.HasPrefix(serial, "ttyS") && !strings.HasPrefix(serial, "ttyAMA") {
		return nil, fmt.Errorf("serial console %q: expects ttyS<N>[,<baud>[<parity><bits>]], e.g. ttyS0,115200n8", serial)
	}
	if strings.ContainsAny(serial, " \t\n") {
		return nil, fmt.Errorf("serial console %q: no blanks", serial)
	}
	dir := filepath.Join(o.ESP(), "loader/entries")
	es, err := LoaderEntries(o)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, e := range es {
		p := filepath.Join(dir, e.File)
		b, err := os.ReadFile(p)
		if err != nil {
			return changed, err
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) == 0 || f[0] != "options" {
				continue
			}
			var keep []string
			for _, a := range f[1:] {
				if strings.HasPrefix(a, "console=") {
					continue
				}
				keep = append(keep, a)
			}
			if serial != "" {
				keep = append(keep, "console=tty0", "console="+serial)
			}
			lines[i] = "options " + strings.Join(keep, " ")
		}
		out := strings.Join(lines, "\n")
		if out == string(b) {
			continue
		}
		if err := writeAtomic(p, []byte(out), 0o644); err != nil {
			return changed, err
		}
		changed = append(changed, e.File)
	}
	return changed, nil
}

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h.
const fsImmutable = 0x00000010
