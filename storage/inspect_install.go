package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"node-installer/storage/esp"
)

// loaderEntry is one systemd-boot type #1 entry of this product.
type loaderEntry struct {
	file      string // file name in /loader/entries
	id        string // file name without boot counter and .conf, lower case
	slot      string
	version   string
	sortKey   string
	tries     int // tries left, -1 without boot counting
	triesDone int
}

// entryRe matches node-<slot>[+LEFT[-DONE]].conf.
var entryRe = regexp.MustCompile(`^node-([A-Za-z0-9]+)(?:\+(\d+)(?:-(\d+))?)?\.conf$`)

// InstallationOf reads this product's installation from the ESP at
// [start, start+size) of r, per the on-disk contract: /node/product,
// /loader/entries/node-<slot>[+N[-M]].conf, /node/<slot>/version and the
// /node/unfinished marker. It returns nil if the ESP holds none, and the
// inconsistencies it noticed.
func InstallationOf(r io.ReaderAt, start, size int64) (*Installation, []string, error) {
	fsys, err := esp.OpenReadOnly(r, start, size, 0)
	if err != nil {
		return nil, nil, err
	}
	defer fsys.Close()
	var notes []string
	read := func(p string) (string, bool) {
		// Small text files only: a hostile ESP must not make us read GiBs.
		if st, err := fsys.Stat(p); err == nil && st.Size > 64<<10 {
			notes = append(notes, fmt.Sprintf("ESP %s: %d bytes, too large to be ours", p, st.Size))
			return "", false
		}
		b, err := fsys.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				notes = append(notes, fmt.Sprintf("ESP %s: %v", p, err))
			}
			return "", false
		}
		return strings.TrimSpace(string(b)), true
	}
	product, hasProduct := read("/node/product")
	var entries []loaderEntry
	names, _ := fsys.List("/loader/entries")
	for _, n := range names {
		m := entryRe.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		e := loaderEntry{file: n, slot: m[1], tries: -1, triesDone: -1,
			id: strings.ToLower(strings.TrimSuffix(strings.SplitN(n, "+", 2)[0], ".conf"))}
		if m[2] != "" {
			e.tries, _ = strconv.Atoi(m[2])
			e.triesDone = 0
			if m[3] != "" {
				e.triesDone, _ = strconv.Atoi(m[3])
			}
		}
		body, _ := read("/loader/entries/" + n)
		for _, l := range strings.Split(body, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
			switch k {
			case "version":
				e.version = strings.TrimSpace(v)
			case "sort-key":
				e.sortKey = strings.TrimSpace(v)
			}
		}
		entries = append(entries, e)
	}
	unfinished, isUnfinished := read("/node/unfinished")
	if !hasProduct && len(entries) == 0 && !isUnfinished {
		return nil, notes, nil
	}
	inst := &Installation{Product: product, NotFinished: isUnfinished}
	if isUnfinished {
		notes = append(notes, fmt.Sprintf("not finished: %q did not reach its commit point", unfinished))
	}
	slots := map[string]*Slot{}
	order := []string{}
	slot := func(name string) *Slot {
		if s, ok := slots[name]; ok {
			return s
		}
		slots[name] = &Slot{Name: name, TriesLeft: -1, TriesDone: -1}
		order = append(order, name)
		return slots[name]
	}
	for _, e := range entries {
		s := slot(e.slot)
		if s.Version != "" || s.TriesLeft != -1 {
			notes = append(notes, fmt.Sprintf("slot %s has more than one loader entry (%s)", e.slot, e.file))
		}
		s.Version, s.TriesLeft, s.TriesDone = e.version, e.tries, e.triesDone
	}
	dirs, _ := fsys.List("/node")
	for _, d := range dirs {
		if st, err := fsys.Stat("/node/" + d); err != nil || !st.Dir {
			continue
		}
		v, ok := read(path.Join("/node", d, "version"))
		if !ok {
			continue
		}
		s := slot(d)
		switch {
		case s.Version == "":
			s.Version = v
		case s.Version != v:
			notes = append(notes, fmt.Sprintf("slot %s: loader entry says version %s, /node/%s/version says %s", d, s.Version, d, v))
		}
	}
	conf, _ := read("/loader/loader.conf")
	if def := bootDefault(entries, loaderDefault(conf)); def != nil {
		slot(def.slot).Default = true
		if def.tries == 0 {
			notes = append(notes, fmt.Sprintf("every entry is out of boot tries; systemd-boot falls back to %s", def.file))
		}
	}
	sort.Strings(order)
	for _, n := range order {
		inst.Slots = append(inst.Slots, *slots[n])
	}
	return inst, notes, nil
}

// loaderDefault returns the default pattern of loader.conf, "" if none.
func loaderDefault(conf string) string {
	for _, l := range strings.Split(conf, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		if k == "default" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// bootDefault returns the entry systemd-boot boots by default: with no
// default pattern the first of its sort order, with one the first entry
// that matches. (An EFI variable set with bootctl set-default would win;
// it is not on the disk.)
func bootDefault(entries []loaderEntry, pattern string) *loaderEntry {
	if len(entries) == 0 {
		return nil
	}
	es := append([]loaderEntry(nil), entries...)
	sort.SliceStable(es, func(i, j int) bool { return entryCompare(es[i], es[j]) < 0 })
	if pattern != "" {
		for i := range es {
			if ok, _ := path.Match(strings.ToLower(pattern), es[i].id+".conf"); ok {
				return &es[i]
			}
			if ok, _ := path.Match(strings.ToLower(pattern), es[i].id); ok {
				return &es[i]
			}
		}
	}
	return &es[0]
}

// entryCompare is systemd-boot's boot_entry_compare: entries without
// tries left last; entries with a sort-key first, by sort-key, then
// version newest first; then by id, newest first; then more tries left,
// fewer tries done.
func entryCompare(a, b loaderEntry) int {
	if c := cmpBool(a.tries == 0, b.tries == 0); c != 0 {
		return c
	}
	if c := cmpBool(a.sortKey == "", b.sortKey == ""); c != 0 {
		return c
	}
	if a.sortKey != "" && b.sortKey != "" {
		if c := strings.Compare(a.sortKey, b.sortKey); c != 0 {
			return c
		}
		if c := -versionCompare(a.version, b.version); c != 0 {
			return c
		}
	}
	if c := -versionCompare(a.id, b.id); c != 0 {
		return c
	}
	if a.tries < 0 || b.tries < 0 {
		return 0
	}
	if a.tries != b.tries {
		return b.tries - a.tries
	}
	return a.triesDone - b.triesDone
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

// versionCompare is a version sort in the spirit of systemd's
// strverscmp_improved: digit runs compare as numbers, letter runs as
// strings, '~' sorts before anything (even the end), a digit run is newer
// than a letter run, other characters separate.
func versionCompare(a, b string) int {
	isAlnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for {
		for len(a) > 0 && !isAlnum(a[0]) && a[0] != '~' {
			a = a[1:]
		}
		for len(b) > 0 && !isAlnum(b[0]) && b[0] != '~' {
			b = b[1:]
		}
		ta, tb := strings.HasPrefix(a, "~"), strings.HasPrefix(b, "~")
		if ta || tb {
			if ta && tb {
				a, b = a[1:], b[1:]
				continue
			}
			if ta {
				return -1
			}
			return 1
		}
		if a == "" || b == "" {
			return cmpInt(len(a), len(b))
		}
		da, db := a[0] >= '0' && a[0] <= '9', b[0] >= '0' && b[0] <= '9'
		if da != db {
			if da {
				return 1
			}
			return -1
		}
		run := func(s string, digits bool) (string, string) {
			i := 0
			for i < len(s) && isAlnum(s[i]) && (s[i] >= '0' && s[i] <= '9') == digits {
				i++
			}
			return s[:i], s[i:]
		}
		var x, y string
		x, a = run(a, da)
		y, b = run(b, db)
		if da {
			x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
			if c := cmpInt(len(x), len(y)); c != 0 {
				return c
			}
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
