package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"node-installer/internal/bls"
	"node-installer/storage/esp"
)

// entryRe matches this product's entries: node-<slot>[+LEFT[-DONE]].conf.
var entryRe = regexp.MustCompile(`^node-([A-Za-z0-9]+)(?:\+(\d+)(?:-(\d+))?)?\.conf$`)

// maxEntries bounds the loader entries read from one ESP: an installation
// has two or three; a crafted stick may have thousands.
const maxEntries = 64

// entriesCapNote begins the note of an ESP with more than maxEntries.
const entriesCapNote = "more than %d loader entries named like this product's: "

// espBudget bounds what reading one ESP may cost: a stick that answers
// slowly or a crafted filesystem must not stall the probe that auto and
// the TUI run over every disk (the FAT and directory caps of read-only
// opens come first: esp.ErrTooLarge).
var espBudget = struct {
	bytes int64
	time  time.Duration
}{64 << 20, 3 * time.Second}

// budgetReader reads until the budget is spent, then fails every read.
type budgetReader struct {
	r     io.ReaderAt
	left  int64
	until time.Time
	spent string // why it stopped, "" while it reads
}

var errBudget = errors.New("read budget of the ESP spent")

func newBudgetReader(r io.ReaderAt) *budgetReader {
	return &budgetReader{r: r, left: espBudget.bytes, until: time.Now().Add(espBudget.time)}
}

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if b.spent == "" {
		switch {
		case int64(len(p)) > b.left:
			b.spent = "more than " + humanBytes(espBudget.bytes) + " to read"
		case time.Now().After(b.until):
			b.spent = fmt.Sprintf("still reading after %v", espBudget.time)
		}
	}
	if b.spent != "" {
		return 0, errBudget
	}
	b.left -= int64(len(p))
	return b.r.ReadAt(p, off)
}

// readESP is InstallationOf within espBudget; capped says what was left
// unread (the budget, the FAT or directory caps, the entries cap), "" if
// nothing: the probe and inspect warn of it, naming the disk.
func readESP(r io.ReaderAt, start, size int64) (inst *Installation, notes []string, capped string, err error) {
	br := newBudgetReader(r)
	inst, notes, err = InstallationOf(br, start, size)
	switch {
	case br.spent != "":
		capped = "not read to the end (" + br.spent + "): an installation there is not seen"
	case errors.Is(err, esp.ErrTooLarge):
		capped = err.Error()
	default:
		for _, n := range notes {
			if strings.HasPrefix(n, fmt.Sprintf(entriesCapNote, maxEntries)) {
				capped = n
			}
		}
	}
	return inst, notes, capped, err
}

// entrySlot is the slot an entry of this product boots.
func entrySlot(e bls.Entry) string { return strings.TrimPrefix(e.Base, "node-") }

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
	var entries []bls.Entry
	if _, err := fsys.List("/"); err != nil {
		notes = append(notes, fmt.Sprintf("ESP root directory unreadable: %v", err))
	}
	names, err := fsys.List("/loader/entries")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		notes = append(notes, fmt.Sprintf("ESP /loader/entries: %v", err))
	}
	read0 := 0
	for _, n := range names {
		if !entryRe.MatchString(n) {
			continue
		}
		if read0++; read0 > maxEntries {
			notes = append(notes, fmt.Sprintf(entriesCapNote+"only the first %d were read", maxEntries, maxEntries))
			break
		}
		if m := entryRe.FindStringSubmatch(n); m[2] != "" {
			if _, left, _, _ := bls.ParseName(n); left < 0 {
				notes = append(notes, fmt.Sprintf("loader entry %s: boot counter out of range: ignored", n))
				continue
			}
		}
		body, _ := read("/loader/entries/" + n)
		e, err := bls.Parse(n, []byte(body))
		if err != nil {
			// An entry without a linux line still tells its slot's version,
			// but systemd-boot ignores it: it takes no part in the default.
			notes = append(notes, err.Error())
			if e.File == "" {
				continue
			}
		}
		entries = append(entries, e)
	}
	unfinished, isUnfinished := read("/node/unfinished")
	if !hasProduct && len(entries) == 0 && !isUnfinished {
		return nil, notes, nil
	}
	keys, _ := read("/node/trusted-keys")
	inst := &Installation{Product: product, NotFinished: isUnfinished, TrustedKeys: keys}
	if isUnfinished {
		notes = append(notes, fmt.Sprintf("not finished: %q did not reach its commit point", printable(unfinished, 80)))
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
		s := slot(entrySlot(e))
		if s.Version != "" || s.TriesLeft != -1 {
			notes = append(notes, fmt.Sprintf("slot %s has more than one loader entry (%s)", entrySlot(e), e.File))
		}
		s.Version, s.TriesLeft, s.TriesDone = e.Version, e.TriesLeft, e.TriesDone
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
	var bootable []bls.Entry
	for _, e := range entries {
		if e.Linux != "" {
			bootable = append(bootable, e)
		}
	}
	if def := bootDefault(bootable, loaderDefault(conf)); def != nil {
		slot(entrySlot(*def)).Default = true
		if def.Exhausted() {
			notes = append(notes, fmt.Sprintf("every entry is out of boot tries; systemd-boot falls back to %s", def.File))
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
// default pattern the first of its sort order (bls.Sort), with one the
// first entry that matches. (An EFI variable set with bootctl set-default
// would win; it is not on the disk.)
func bootDefault(entries []bls.Entry, pattern string) *bls.Entry {
	if len(entries) == 0 {
		return nil
	}
	es := slices.Clone(entries)
	bls.Sort(es)
	if pattern != "" {
		pattern = strings.ToLower(pattern)
		for i := range es {
			id := strings.ToLower(es[i].Base)
			if ok, _ := path.Match(pattern, id+".conf"); ok {
				return &es[i]
			}
			if ok, _ := path.Match(pattern, id); ok {
				return &es[i]
			}
		}
	}
	return &es[0]
}

// printable is the first line of s, at most n characters, with anything
// not printable replaced: a marker file may hold garbage.
func printable(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	out := []rune{}
	for _, r := range s {
		if len(out) == n {
			out = append(out, '…')
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		out = append(out, r)
	}
	return string(out)
}
