package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"node-installer/internal/bls"
	"node-installer/storage"
)

// ESP paths of the on-disk contract (docs/lifecycle.md, notes in api.md).
const (
	EntriesDir     = "/loader/entries"
	UnfinishedPath = "/node/unfinished"
	ProductPath    = "/node/product"
	// BootTries is the boot counter a new entry starts with: node-B+3.conf.
	BootTries = 3
)

// Slots are the two root slots.
var Slots = []string{"A", "B"}

// SlotDir is the ESP folder of a slot's kernel, initrd and version stamp.
func SlotDir(slot string) string { return "/node/" + slot }

// EntryBase is the loader entry name of a slot without counter: "node-B".
func EntryBase(slot string) string { return "node-" + slot }

// ESPReader is the read side of the ESP (storage/esp's FS has it).
type ESPReader interface {
	List(dir string) ([]string, error)
	ReadFile(p string) ([]byte, error)
}

// ESPState is what an installation's ESP holds, as far as the lifecycle
// is concerned. It is plain data: detection reads it, planning uses it.
type ESPState struct {
	Product string `json:"product,omitempty"`
	// Entries are this product's loader entries (node-A*.conf, node-B*.conf).
	Entries []bls.Entry `json:"entries,omitempty"`
	// Others are other files in /loader/entries: temp files of an
	// interrupted write, broken entries, entries of other systems.
	Others []string `json:"others,omitempty"`
	// SlotVersion is /node/<slot>/version per slot ("" if missing).
	SlotVersion map[string]string `json:"slot_version,omitempty"`
	// SlotFiles is the file names present in /node/<slot>/.
	SlotFiles map[string][]string `json:"slot_files,omitempty"`
	// Marker is /node/unfinished: whether it exists and what it says.
	Marker       bool   `json:"marker,omitempty"`
	MarkerAction string `json:"marker_action,omitempty"`
	// TrustedKeys is TrustedKeysPath: the keys upgrades must be signed with.
	TrustedKeys string `json:"trusted_keys,omitempty"`
}

// EntrySlot returns the slot an entry boots ("A"/"B"), "" if it is not one of ours.
func EntrySlot(e bls.Entry) string {
	for _, s := range Slots {
		if strings.EqualFold(e.Base, EntryBase(s)) {
			return s
		}
	}
	return ""
}

// ReadESP reads the lifecycle state of an ESP. A missing file is not an
// error (the state says what is missing); an unreadable one is.
func ReadESP(r ESPReader) (ESPState, error) {
	st := ESPState{SlotVersion: map[string]string{}, SlotFiles: map[string][]string{}}
	read := func(p string) (string, bool, error) {
		b, err := r.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("read ESP %s: %w", p, err)
		}
		return strings.TrimSpace(string(b)), true, nil
	}
	var err error
	if st.Product, _, err = read(ProductPath); err != nil {
		return st, err
	}
	if st.MarkerAction, st.Marker, err = read(UnfinishedPath); err != nil {
		return st, err
	}
	if st.TrustedKeys, _, err = read(TrustedKeysPath); err != nil {
		return st, err
	}
	for _, s := range Slots {
		v, _, err := read(path.Join(SlotDir(s), "version"))
		if err != nil {
			return st, err
		}
		st.SlotVersion[s] = v
		names, err := r.List(SlotDir(s))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("list ESP %s: %w", SlotDir(s), err)
		}
		st.SlotFiles[s] = names
	}
	names, err := r.List(EntriesDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("list ESP %s: %w", EntriesDir, err)
	}
	slices.Sort(names)
	for _, n := range names {
		data, err := r.ReadFile(path.Join(EntriesDir, n))
		if err != nil {
			return st, fmt.Errorf("read ESP %s: %w", path.Join(EntriesDir, n), err)
		}
		e, perr := bls.Parse(n, data)
		if perr != nil || EntrySlot(e) == "" {
			st.Others = append(st.Others, n)
			continue
		}
		st.Entries = append(st.Entries, e)
	}
	return st, nil
}

// bootable reports whether systemd-boot would list e: its kernel exists.
func (st ESPState) bootable(e bls.Entry) bool {
	s := EntrySlot(e)
	want := path.Base(e.Linux)
	if s == "" || !strings.EqualFold(path.Dir(e.Linux), SlotDir(s)) {
		return false
	}
	return slices.ContainsFunc(st.SlotFiles[s], func(n string) bool { return strings.EqualFold(n, want) })
}

// BootOrder is this product's bootable entries in systemd-boot's menu
// order: the first is the default, the second the fallback.
func (st ESPState) BootOrder() []bls.Entry {
	var out []bls.Entry
	for _, e := range st.Entries {
		if st.bootable(e) {
			out = append(out, e)
		}
	}
	bls.Sort(out)
	return out
}

// Installation summarises the state in the shared storage type.
func (st ESPState) Installation() storage.Installation {
	in := storage.Installation{Product: st.Product, NotFinished: st.Marker}
	order := st.BootOrder()
	for _, s := range Slots {
		slot := storage.Slot{Name: s, Version: st.SlotVersion[s], TriesLeft: -1, TriesDone: -1}
		for i, e := range order {
			if EntrySlot(e) != s {
				continue
			}
			slot.Default = i == 0
			slot.TriesLeft, slot.TriesDone = e.TriesLeft, e.TriesDone
			if slot.Version == "" {
				slot.Version = e.Version
			}
			break
		}
		in.Slots = append(in.Slots, slot)
	}
	return in
}
