package installer

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"node-installer/internal/bls"
	"node-installer/storage"
)

// espEntry is an entry as an installed ESP holds it.
func espEntry(file, version, sortKey string) bls.Entry {
	base, l, d, _ := bls.ParseName(file)
	slot := strings.TrimPrefix(base, "node-")
	return bls.Entry{File: file, Base: base, TriesLeft: l, TriesDone: d, Title: "Node " + version, Version: version, SortKey: sortKey,
		Linux: "/node/" + slot + "/vmlinuz", Initrd: []string{"/node/" + slot + "/initrd.img"},
		Options: "root=PARTLABEL=Root" + slot + " node.slot=" + slot + " console=ttyS0"}
}

// state builds an ESP state: versions per slot ("" = slot empty), entries.
func state(va, vb string, entries ...bls.Entry) ESPState {
	st := ESPState{Product: "node", SlotVersion: map[string]string{"A": va, "B": vb}, SlotFiles: map[string][]string{}}
	for s, v := range map[string]string{"A": va, "B": vb} {
		if v != "" {
			st.SlotFiles[s] = []string{"initrd.img", "version", "vmlinuz"}
		}
	}
	st.Entries = entries
	return st
}

func withMarker(st ESPState, action string) ESPState {
	st.Marker, st.MarkerAction = true, action
	return st
}

func TestMakeUpgradePlan(t *testing.T) {
	allow := Defaults()
	allow.Unattended.AllowDowngrade = true
	noSame := Defaults()
	noSame.Unattended.RefuseSameVersion = true
	bootedB := Defaults()
	bootedB.Unattended.BootedSlot = "B"
	bootedA := Defaults()
	bootedA.Unattended.BootedSlot = "A"
	tests := []struct {
		name    string
		st      ESPState
		media   string
		cfg     *Config
		problem string // substring of the problem, "" = none
		change  VersionChange
		source  string
		target  string
		entry   string // new entry file
		sortKey string
		remove  []string
		finish  bool
	}{
		{name: "first upgrade after install", st: state("1.0.0", "", espEntry("node-A.conf", "1.0.0", "")), media: "2.0.0",
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998"},
		{name: "second upgrade goes back to A", st: state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", ""), espEntry("node-B.conf", "2.0.0", "node-999998")), media: "2.1.0",
			change: ChangeUpgrade, source: "B", target: "A", entry: "node-A+3.conf", sortKey: "node-999997", remove: []string{"/loader/entries/node-A.conf"}},
		{name: "after a rollback the good slot is the source", st: state("2.1.0", "3.0.0", espEntry("node-A.conf", "2.1.0", "node-999997"), espEntry("node-B+0-3.conf", "3.0.0", "node-999996")), media: "3.0.1",
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999995", remove: []string{"/loader/entries/node-B+0-3.conf"}},
		{name: "same version reinstall", st: state("2.0.0", "", espEntry("node-A.conf", "2.0.0", "")), media: "2.0.0",
			change: ChangeSame, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998"},
		{name: "same version refused without --force", st: state("2.0.0", "", espEntry("node-A.conf", "2.0.0", "")), media: "2.0.0", cfg: &noSame,
			problem: "--force"},
		{name: "the booted slot is never the target", st: state("2.0.0", "2.1.0", espEntry("node-A.conf", "2.0.0", "")), media: "2.2.0", cfg: &bootedB,
			problem: "running system booted slot B"},
		{name: "booted the default slot", st: state("2.0.0", "", espEntry("node-A.conf", "2.0.0", "")), media: "2.1.0", cfg: &bootedA,
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998"},
		{name: "downgrade refused without allow", st: state("2.1.0", "", espEntry("node-A.conf", "2.1.0", "")), media: "2.0.0",
			problem: "node.allow_downgrade"},
		{name: "downgrade allowed", st: state("2.1.0", "", espEntry("node-A.conf", "2.1.0", "")), media: "2.0.0", cfg: &allow,
			change: ChangeDowngrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998"},
		{name: "major downgrade refused even when allowed", st: state("3.0.0", "", espEntry("node-A.conf", "3.0.0", "")), media: "2.9.0", cfg: &allow,
			problem: "never done in place"},
		{name: "pending default refused", st: state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", ""), espEntry("node-B+2-1.conf", "2.0.0", "node-999998")), media: "3.0.0",
			problem: "not been marked as a good boot"},
		{name: "no installation", st: ESPState{}, media: "1.0.0", problem: "no installation found"},
		{name: "other product", st: func() ESPState {
			s := state("1.0.0", "", espEntry("node-A.conf", "1.0.0", ""))
			s.Product = "other"
			return s
		}(), media: "2.0.0",
			problem: `the disk holds "other"`},
		{name: "kernel missing: no bootable entry", st: state("", "", espEntry("node-A.conf", "1.0.0", "")), media: "2.0.0", problem: "no bootable loader entry"},
		{name: "interrupted install", st: withMarker(state("1.0.0", "", espEntry("node-A.conf", "1.0.0", "")), "install\n"), media: "2.0.0", problem: "never finished"},
		{name: "interrupted uninstall", st: withMarker(state("1.0.0", "", espEntry("node-A.conf", "1.0.0", "")), "uninstall"), media: "2.0.0", problem: "run uninstall again"},
		{name: "interrupted upgrade before commit redoes it", st: withMarker(state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", "")), "upgrade"), media: "2.0.0",
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998"},
		{name: "interrupted upgrade after commit finishes", st: withMarker(state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", ""), espEntry("node-B+3.conf", "2.0.0", "node-999998")), "upgrade"), media: "2.0.0",
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998", finish: true},
		{name: "rerun after a completed upgrade is a no-op finish", st: state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", ""), espEntry("node-B+3.conf", "2.0.0", "node-999998")), media: "2.0.0",
			change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998", finish: true},
		{name: "temp leftovers removed", st: func() ESPState {
			s := state("1.0.0", "", espEntry("node-A.conf", "1.0.0", ""))
			s.Others = []string{"node-B+3.conf.tmp", "other-os.conf"}
			return s
		}(), media: "2.0.0", change: ChangeUpgrade, source: "A", target: "B", entry: "node-B+3.conf", sortKey: "node-999998", remove: []string{"/loader/entries/node-B+3.conf.tmp"}},
		{name: "foreign sort-key outranking us refused", st: state("1.0.0", "", espEntry("node-A.conf", "1.0.0", "a")), media: "2.0.0", problem: "would still boot node-A.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Defaults()
			if tt.cfg != nil {
				cfg = *tt.cfg
			}
			p := MakeUpgradePlan(tt.st, "node", tt.media, cfg)
			if tt.problem != "" {
				if len(p.Problems) == 0 || !strings.Contains(p.Problems.Error(), tt.problem) {
					t.Fatalf("problems = %v, want one containing %q", p.Problems, tt.problem)
				}
				if !strings.HasPrefix(p.Text(), "upgrade refused") {
					t.Errorf("Text() = %q, want the refusal", p.Text())
				}
				return
			}
			if len(p.Problems) > 0 {
				t.Fatalf("unexpected problems: %v", p.Problems)
			}
			got := []any{p.Change, p.Source, p.Target, p.Entry.File, p.Entry.SortKey, p.Remove, p.Finish}
			want := []any{tt.change, tt.source, tt.target, tt.entry, tt.sortKey, tt.remove, tt.finish}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("plan (-want +got):\n%s\n%s", d, p.Text())
			}
			if !tt.finish {
				if p.TempFile != p.Entry.File+".tmp" || !strings.HasPrefix(p.Entry.Options, "root=PARTLABEL=Root"+tt.target+" node.slot="+tt.target+" ") {
					t.Errorf("temp %q options %q", p.TempFile, p.Entry.Options)
				}
				if p.Entry.Linux != "/node/"+tt.target+"/vmlinuz" || p.Entry.Version != tt.media {
					t.Errorf("entry %+v", p.Entry)
				}
			}
		})
	}
}

func TestRetargetOptions(t *testing.T) {
	tests := []struct{ in, slot, want string }{
		{"root=PARTLABEL=RootA node.slot=A console=ttyS0 quiet", "B", "root=PARTLABEL=RootB node.slot=B console=ttyS0 quiet"},
		{"console=ttyS0", "A", "root=PARTLABEL=RootA node.slot=A console=ttyS0"},
		{"", "B", "root=PARTLABEL=RootB node.slot=B"},
	}
	for _, tt := range tests {
		if got := RetargetOptions(tt.in, tt.slot); got != tt.want {
			t.Errorf("RetargetOptions(%q, %s) = %q, want %q", tt.in, tt.slot, got, tt.want)
		}
	}
}

func TestESPStateInstallation(t *testing.T) {
	st := state("1.0.0", "2.0.0", espEntry("node-A.conf", "1.0.0", ""), espEntry("node-B+2-1.conf", "2.0.0", "node-999998"))
	st.Marker = true
	got := st.Installation()
	want := storage.Installation{Product: "node", NotFinished: true, Slots: []storage.Slot{
		{Name: "A", Version: "1.0.0", TriesLeft: -1, TriesDone: -1},
		{Name: "B", Version: "2.0.0", Default: true, TriesLeft: 2, TriesDone: 1},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Installation (-want +got):\n%s", d)
	}
}

// mapESP is an ESP as a map of path -> contents, for ReadESP.
type mapESP map[string]string

func (m mapESP) ReadFile(p string) ([]byte, error) {
	if v, ok := m[p]; ok {
		return []byte(v), nil
	}
	return nil, fs.ErrNotExist
}

func (m mapESP) List(dir string) ([]string, error) {
	var out []string
	for p := range m {
		if d, n := path.Split(p); strings.TrimSuffix(d, "/") == dir {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fs.ErrNotExist
	}
	return out, nil
}

func TestReadESP(t *testing.T) {
	esp := mapESP{
		"/node/product":                   "node\n",
		"/node/unfinished":                "upgrade\n",
		"/node/A/version":                 "1.0.0\n",
		"/node/A/vmlinuz":                 "k",
		"/node/A/initrd.img":              "i",
		"/node/B/version":                 "2.0.0\n",
		"/node/B/vmlinuz":                 "k",
		"/loader/entries/node-A.conf":     string(espEntry("node-A.conf", "1.0.0", "").Render()),
		"/loader/entries/node-B+3.conf":   string(espEntry("node-B+3.conf", "2.0.0", "node-999998").Render()),
		"/loader/entries/node-B.conf.tmp": "partial",
		"/loader/entries/other.conf":      "title other\nlinux /other\n",
		"/loader/entries/broken.conf":     "title no kernel\n",
	}
	st, err := ReadESP(esp)
	if err != nil {
		t.Fatal(err)
	}
	if st.Product != "node" || !st.Marker || MarkerActionOf(st.MarkerAction) != "upgrade" {
		t.Errorf("product %q marker %v %q", st.Product, st.Marker, st.MarkerAction)
	}
	if d := cmp.Diff([]string{"broken.conf", "node-B.conf.tmp", "other.conf"}, st.Others); d != "" {
		t.Errorf("Others (-want +got):\n%s", d)
	}
	order := st.BootOrder()
	if len(order) != 2 || order[0].File != "node-B+3.conf" || order[1].File != "node-A.conf" {
		t.Errorf("BootOrder = %v", order)
	}
	if v := st.SlotVersion["B"]; v != "2.0.0" {
		t.Errorf("slot B version %q", v)
	}
	empty, err := ReadESP(mapESP{})
	if err != nil || empty.Product != "" || len(empty.Entries) != 0 || empty.Marker {
		t.Errorf("empty ESP: %+v, %v", empty, err)
	}
}
