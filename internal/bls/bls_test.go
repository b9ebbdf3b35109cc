package bls

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name       string
		base       string
		left, done int
		ok         bool
	}{
		{"node-A.conf", "node-A", -1, -1, true},
		{"node-B+3.conf", "node-B", 3, 0, true},
		{"node-B+2-1.conf", "node-B", 2, 1, true},
		{"node-B+0-3.conf", "node-B", 0, 3, true},
		{"NODE-B+1.CONF", "NODE-B", 1, 0, true},
		{"a+b+3.conf", "a+b", 3, 0, true},
		{"node-B+x.conf", "node-B+x", -1, -1, true},
		{"node-B+3-.conf", "node-B+3-", -1, -1, true},
		{"node-B+-1.conf", "node-B+-1", -1, -1, true},
		{"node-B.conf.tmp", "", -1, -1, false},
		{"conf", "", -1, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, left, done, ok := ParseName(tt.name)
			if base != tt.base || left != tt.left || done != tt.done || ok != tt.ok {
				t.Errorf("ParseName(%q) = %q %d %d %v, want %q %d %d %v", tt.name, base, left, done, ok, tt.base, tt.left, tt.done, tt.ok)
			}
			if ok && left >= 0 {
				if got := FileName(base, left, done); !equalFold(got, tt.name) {
					t.Errorf("FileName(%q, %d, %d) = %q, want %q", base, left, done, got, tt.name)
				}
			}
		})
	}
}

func equalFold(a, b string) bool {
	return len(a) == len(b) && (a == b || lower(a) == lower(b))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestFileName(t *testing.T) {
	tests := []struct {
		base       string
		left, done int
		want       string
	}{
		{"node-A", -1, -1, "node-A.conf"},
		{"node-B", 3, 0, "node-B+3.conf"},
		{"node-B", 2, 1, "node-B+2-1.conf"},
		{"node-B", 0, 3, "node-B+0-3.conf"},
	}
	for _, tt := range tests {
		if got := FileName(tt.base, tt.left, tt.done); got != tt.want {
			t.Errorf("FileName(%q, %d, %d) = %q, want %q", tt.base, tt.left, tt.done, got, tt.want)
		}
	}
}

func TestParseRenderRoundTrip(t *testing.T) {
	in := Entry{
		File: "node-B+3.conf", Base: "node-B", TriesLeft: 3, TriesDone: 0,
		Title: "Node 4.6.0 (slot B)", Version: "4.6.0", SortKey: "node-999998",
		Linux: "/node/B/vmlinuz", Initrd: []string{"/node/B/initrd.img"},
		Options: "root=PARTLABEL=RootB node.slot=B console=ttyS0",
	}
	got, err := Parse(in.File, in.Render())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestParse(t *testing.T) {
	data := "# comment\ntitle  Node 1\nversion\t1.0\nlinux /node/A/vmlinuz\ninitrd /a\ninitrd /b\noptions root=PARTLABEL=RootA\noptions quiet\nunknown-key x\n"
	got, err := Parse("node-A.conf", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{File: "node-A.conf", Base: "node-A", TriesLeft: -1, TriesDone: -1, Title: "Node 1", Version: "1.0",
		Linux: "/node/A/vmlinuz", Initrd: []string{"/a", "/b"}, Options: "root=PARTLABEL=RootA quiet"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
	if _, err := Parse("node-A.conf", []byte("title x\n")); err == nil {
		t.Error("Parse without a linux line: want an error")
	}
	if _, err := Parse("node-A.txt", []byte("linux /x\n")); err == nil {
		t.Error("Parse of a non-.conf name: want an error")
	}
}

func TestVerCmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "1", 0},
		{"2", "10", -1},
		{"1.0", "1.0.1", -1},
		{"1.0~rc1", "1.0", -1},
		{"1.0-1", "1.0.1", -1},
		{"123a", "123", 1},
		{"001", "1", 0},
		{"node-b.conf", "node-a.conf", 1},
		{"node-a+3.conf", "node-b.conf", -1},
		{"abc", "abcd", -1},
		{"", "a", -1},
		{"4.6.0", "4.5.10", 1},
		{"1.0^p1", "1.0", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := VerCmp(tt.a, tt.b); got != tt.want {
				t.Errorf("VerCmp(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := VerCmp(tt.b, tt.a); got != -tt.want {
				t.Errorf("VerCmp(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func mk(file, sortKey, version string) Entry {
	base, l, d, _ := ParseName(file)
	return Entry{File: file, Base: base, TriesLeft: l, TriesDone: d, SortKey: sortKey, Version: version, Linux: "/x"}
}

func TestDefault(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{name: "old style: higher name wins", entries: []Entry{mk("node-A.conf", "", "1"), mk("node-B.conf", "", "2")}, want: "node-B.conf"},
		{name: "old style: name beats version", entries: []Entry{mk("node-A+3.conf", "", "3"), mk("node-B.conf", "", "2")}, want: "node-B.conf"},
		{name: "sort-key before none", entries: []Entry{mk("node-A+3.conf", "node-999998", "3"), mk("node-B.conf", "", "2")}, want: "node-A+3.conf"},
		{name: "lower sort-key first", entries: []Entry{mk("node-A+3.conf", "node-999997", "1"), mk("node-B.conf", "node-999998", "2")}, want: "node-A+3.conf"},
		{name: "same sort-key: newest version", entries: []Entry{mk("node-A.conf", "node", "2"), mk("node-B.conf", "node", "1")}, want: "node-A.conf"},
		{name: "exhausted goes last", entries: []Entry{mk("node-A+0-3.conf", "node-999997", "3"), mk("node-B.conf", "node-999998", "2")}, want: "node-B.conf"},
		{name: "pending still default", entries: []Entry{mk("node-A+1-2.conf", "node-999997", "3"), mk("node-B.conf", "node-999998", "2")}, want: "node-A+1-2.conf"},
		{name: "more tries left first", entries: []Entry{mk("x+1-2.conf", "", ""), mk("x+2-1.conf", "", "")}, want: "x+2-1.conf"},
		{name: "all exhausted: first of them", entries: []Entry{mk("node-A+0-3.conf", "", ""), mk("node-B+0-3.conf", "", "")}, want: "node-B+0-3.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Default(tt.entries)
			if !ok || got.File != tt.want {
				t.Errorf("Default = %q (%v), want %q", got.File, ok, tt.want)
			}
		})
	}
	if _, ok := Default(nil); ok {
		t.Error("Default(nil): want ok=false")
	}
}
