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

	"node-installer/internal/bls"
)

// SlotState is one root slot as the running node sees it on its ESP.
type SlotState struct {
	Slot    string `json:"slot"`
	Version string `json:"version,omitempty"` // /node/<slot>/version
	Entry   string `json:"entry,omitempty"`   // loader entry file
	Default bool   `json:"default"`           // first in systemd-boot's menu order
	Booted  bool   `json:"booted"`
	// TriesLeft/TriesDone are the entry's boot counter (-1: not counting,
	// a good boot was recorded).
	TriesLeft int `json:"tries_left"`
	TriesDone int `json:"tries_done"`
	// Complete: the slot's kernel and initrd are on the ESP.
	Complete bool `json:"complete"`
}

// Slots are the node's slots with a loader entry, in menu order.
func Slots(o Options, st Status) []SlotState {
	var out []SlotState
	seen := map[string]bool{}
	for i, e := range st.Entries {
		slot := EntrySlot(e)
		if slot == "" || seen[slot] {
			continue
		}
		seen[slot] = true
		s := SlotState{Slot: slot, Entry: e.File, Default: i == 0, Booted: slot == st.Slot,
			TriesLeft: e.TriesLeft, TriesDone: e.TriesDone, Complete: slotComplete(o, slot)}
		if b, err := os.ReadFile(filepath.Join(o.ESP(), "node", slot, "version")); err == nil {
			s.Version = strings.TrimSpace(string(b))
		} else {
			s.Version = e.Version
		}
		out = append(out, s)
	}
	return out
}

func slotComplete(o Options, slot string) bool {
	for _, f := range []string{"vmlinuz", "initrd.img"} {
		if fi, err := os.Stat(filepath.Join(o.ESP(), "node", slot, f)); err != nil || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// OtherEntry is the loader entry of the slot the node did not boot: the
// one a rollback (or the Boot page) boots.
func OtherEntry(st Status) (bls.Entry, bool) {
	for _, e := range st.Entries {
		if s := EntrySlot(e); s != "" && s != st.Slot {
			return e, true
		}
	}
	return bls.Entry{}, false
}

// ErrRollbackRefused marks a rollback refused before anything was written.
var ErrRollbackRefused = errors.New("refused")

// Rollback makes systemd-boot boot the other slot: on the next boot only
// (LoaderEntryOneShot) or by default (LoaderEntryDefault). The other slot
// must be complete (kernel and initrd on the ESP) and not have used up
// its boot tries.
func Rollback(o Options, once bool) (bls.Entry, error) {
	st := ReadStatus(o)
	if st.Slot == "" {
		return bls.Entry{}, fmt.Errorf("rollback: %w: the running system names no node.slot= on its kernel command line: not an installation of this product", ErrRollbackRefused)
	}
	e, ok := OtherEntry(st)
	if !ok {
		return e, fmt.Errorf("rollback: %w: no loader entry of another slot than the booted %s under %s", ErrRollbackRefused, st.Slot, filepath.Join(o.ESP(), "loader/entries"))
	}
	slot := EntrySlot(e)
	if !slotComplete(o, slot) {
		return e, fmt.Errorf("rollback: %w: slot %s is not complete (no kernel or initrd in %s): nothing changed", ErrRollbackRefused, slot, filepath.Join(o.ESP(), "node", slot))
	}
	if e.Exhausted() {
		return e, fmt.Errorf("rollback: %w: slot %s (%s) used up its boot tries (it failed to boot): nothing changed", ErrRollbackRefused, slot, e.File)
	}
	if once {
		return e, BootOnce(o, e.Base)
	}
	return e, BootDefault(o, e.Base)
}

// LoaderVar reads a string variable of systemd-boot ("" when unset).
func LoaderVar(o Options, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(o.efivars(), name+"-"+loaderGUID))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if len(b) < 4 || (len(b)-4)%2 != 0 {
		return "", fmt.Errorf("EFI variable %s: malformed (%d bytes)", name, len(b))
	}
	var u []uint16
	for i := 4; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u)), nil
}
