// Package bls reads and writes Boot Loader Specification type #1 entries
// (/loader/entries/*.conf) and orders them exactly as systemd-boot 252
// does, boot counting included, so that the installer can tell which entry
// a disk boots by default and which one it falls back to without booting it.
package bls

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Entry is one loader entry file.
type Entry struct {
	// File is the file name in /loader/entries, counter included: "node-B+2-1.conf".
	File string `json:"file"`
	// Base is the name without counter and ".conf": "node-B".
	Base string `json:"base"`
	// TriesLeft and TriesDone are the boot counter; -1 when the name has none.
	TriesLeft int `json:"tries_left"`
	TriesDone int `json:"tries_done"`

	Title   string   `json:"title,omitempty"`
	Version string   `json:"version,omitempty"`
	SortKey string   `json:"sort_key,omitempty"`
	Linux   string   `json:"linux,omitempty"`
	Initrd  []string `json:"initrd,omitempty"`
	Options string   `json:"options,omitempty"`
}

// Counting reports whether the entry carries a boot counter.
func (e Entry) Counting() bool { return e.TriesLeft >= 0 }

// Exhausted reports whether the entry's boot tries ran out (systemd-boot
// then orders it last: the previous entry becomes the default).
func (e Entry) Exhausted() bool { return e.TriesLeft == 0 }

// Pending reports whether the entry is still on trial: it has tries left
// and the installed system has not marked a good boot yet.
func (e Entry) Pending() bool { return e.TriesLeft > 0 }

// ParseName splits an entry file name into its base and boot counter, as
// systemd-boot does: the last '+' starts "+LEFT[-DONE]" right before
// ".conf". ok is false when name does not end in ".conf" (any case).
// Without a valid counter, left and done are -1.
func ParseName(name string) (base string, left, done int, ok bool) {
	if len(name) < 5 || !strings.EqualFold(name[len(name)-5:], ".conf") {
		return "", -1, -1, false
	}
	stem := name[:len(name)-5]
	i := strings.LastIndexByte(stem, '+')
	if i < 0 {
		return stem, -1, -1, true
	}
	l, d, hasDone := strings.Cut(stem[i+1:], "-")
	nl, err := strconv.Atoi(l)
	if err != nil || nl < 0 || !allDigits(l) {
		return stem, -1, -1, true
	}
	nd := 0
	if hasDone {
		nd, err = strconv.Atoi(d)
		if err != nil || nd < 0 || !allDigits(d) {
			return stem, -1, -1, true
		}
	}
	return stem[:i], nl, nd, true
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// FileName is the entry file name for base with a boot counter: left < 0
// means no counter ("node-A.conf"), done == 0 leaves "-0" out ("node-B+3.conf").
func FileName(base string, left, done int) string {
	switch {
	case left < 0:
		return base + ".conf"
	case done <= 0:
		return fmt.Sprintf("%s+%d.conf", base, left)
	default:
		return fmt.Sprintf("%s+%d-%d.conf", base, left, done)
	}
}

// Parse reads an entry file. Unknown keys are ignored (as systemd-boot
// does); repeated "options" lines are joined with a space.
func Parse(name string, data []byte) (Entry, error) {
	base, left, done, ok := ParseName(name)
	if !ok {
		return Entry{}, fmt.Errorf("loader entry %q: name must end in .conf", name)
	}
	e := Entry{File: name, Base: base, TriesLeft: left, TriesDone: done}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			key, value = line[:i], strings.TrimSpace(line[i+1:])
		}
		if value == "" {
			continue // a key without a value sets nothing (and Render writes none)
		}
		switch key {
		case "title":
			e.Title = value
		case "version":
			e.Version = value
		case "sort-key":
			e.SortKey = value
		case "linux":
			e.Linux = value
		case "initrd":
			e.Initrd = append(e.Initrd, value)
		case "options":
			if e.Options != "" {
				e.Options += " "
			}
			e.Options += value
		}
	}
	if err := sc.Err(); err != nil {
		return Entry{}, fmt.Errorf("loader entry %q: %w", name, err)
	}
	if e.Linux == "" {
		return e, fmt.Errorf("loader entry %q: no linux line: systemd-boot ignores it", name)
	}
	return e, nil
}

// Render writes the entry file's contents (File and the counter are the
// file's name, not its contents).
func (e Entry) Render() []byte {
	var b bytes.Buffer
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s %s\n", k, v)
		}
	}
	line("title", e.Title)
	line("version", e.Version)
	line("sort-key", e.SortKey)
	line("linux", e.Linux)
	for _, i := range e.Initrd {
		line("initrd", i)
	}
	line("options", e.Options)
	return b.Bytes()
}

// Compare orders two entries the way systemd-boot 252
// (config_entry_compare) does: entries without tries left last; entries
// with a sort-key before those without; then sort-key, version (newest
// first) when both have a sort-key; then the file name, newest first; then
// more tries left, fewer tries done. IDs are compared lower-cased.
func Compare(a, b Entry) int {
	if c := cmpBool(a.Exhausted(), b.Exhausted()); c != 0 {
		return c
	}
	if c := cmpBool(a.SortKey == "", b.SortKey == ""); c != 0 {
		return c
	}
	if a.SortKey != "" {
		if c := strings.Compare(a.SortKey, b.SortKey); c != 0 {
			return c
		}
		// machine-id: never written by this product, both empty.
		if c := -VerCmp(a.Version, b.Version); c != 0 {
			return c
		}
	}
	if c := -VerCmp(strings.ToLower(a.File), strings.ToLower(b.File)); c != 0 {
		return c
	}
	if a.TriesLeft < 0 || b.TriesLeft < 0 {
		return 0
	}
	if c := -cmp.Compare(a.TriesLeft, b.TriesLeft); c != 0 {
		return c
	}
	return cmp.Compare(a.TriesDone, b.TriesDone)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Sort orders entries as the boot menu shows them; the first is the default
// (loader.conf has no "default" line and no EFI variable overrides it).
func Sort(entries []Entry) {
	slices.SortStableFunc(entries, Compare)
}

// Default returns the entry systemd-boot boots without a "default" line:
// the first in menu order. ok is false when entries is empty.
func Default(entries []Entry) (e Entry, ok bool) {
	if len(entries) == 0 {
		return Entry{}, false
	}
	s := slices.Clone(entries)
	Sort(s)
	return s[0], true
}
