package installer

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/internal/event"
)

// corpusEntry is one real-world line of testdata/corpus/lines.txt.
type corpusEntry struct {
	fields map[string]string
	line   string
}

func readCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	f, err := os.Open("testdata/corpus/lines.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	cur := corpusEntry{fields: map[string]string{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if k, v, ok := strings.Cut(l, ": "); ok && !strings.ContainsAny(k, " =") {
			cur.fields[k] = v
			continue
		}
		cur.line = l
		out = append(out, cur)
		cur = corpusEntry{fields: map[string]string{}}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpus runs every real-world line through the plan on a machine
// whose NICs and disks match it and checks the result the original
// system gave (or the documented refusal); the plan is a golden file.
func TestCorpus(t *testing.T) {
	corpus := readCorpus(t)
	if len(corpus) < 20 {
		t.Fatalf("corpus has %d lines", len(corpus))
	}
	for _, e := range corpus {
		name := e.fields["name"]
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"name", "source", "original", "profile", "expect"} {
				if e.fields[k] == "" {
					t.Fatalf("entry lacks %s:", k)
				}
			}
			cfg, ps := ParseCmdline(e.line)
			p := MakePlan(cfg, loadProfile(t, e.fields["profile"]))
			p.Problems = append(ps, p.Problems...)
			shown := event.Redact(e.line)
			golden(t, filepath.Join("corpus", "golden", name+".txt"), "$ node-installer plan --facts "+e.fields["profile"]+".json --cmdline '"+shown+"'\n"+p.Text())
			switch want := e.fields["expect"]; {
			case want == "ok":
				if !p.OK() {
					t.Errorf("problems:\n%s", p.Problems.Error())
				}
			case strings.HasPrefix(want, "refused "):
				arg := strings.TrimPrefix(want, "refused ")
				found := false
				for _, pr := range p.Problems {
					found = found || pr.Arg == arg
				}
				if !found {
					t.Errorf("no problem names %s; problems:\n%s", arg, p.Problems.Error())
				}
				if e.fields["differs"] == "" {
					t.Error("a refused line must say why this installer differs")
				}
			default:
				t.Fatalf("expect %q", want)
			}
			if b, ok := e.fields["boot"]; ok {
				got := strings.Join(p.BootParams, " ")
				if b == "-" {
					b = ""
				}
				if got != b {
					t.Errorf("passed through %q, want %q", got, b)
				}
			}
			if n, ok := e.fields["nic"]; ok && p.Network.Device != n {
				t.Errorf("management interface %q, want %q", p.Network.Device, n)
			}
			if d, ok := e.fields["disk"]; ok && p.Choice.Boot.Path != d {
				t.Errorf("boot disk %q, want %q", p.Choice.Boot.Path, d)
			}
			for _, secret := range []string{"s3cret", "s3cr3tpass", "1-abc", "JcNl3bq6", "abiQ6Ep3EYTHc"} {
				if strings.Contains(p.Text(), secret) {
					t.Errorf("the plan shows %s", secret)
				}
			}
		})
	}
}
