package bootmedia

import (
	"strings"
	"testing"
)

func TestEntries(t *testing.T) {
	o := Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0"}
	var ids []string
	for _, e := range Entries(o) {
		ids = append(ids, e.ID)
		if e.Args[0] != "root=live:CDLABEL=NODE_1_0_0" {
			t.Errorf("%s: args %v: want the live medium's label first", e.ID, e.Args)
		}
		if serial := strings.HasSuffix(e.ID, "-serial"); serial != (e.Args[len(e.Args)-1] == "console=ttyS0,115200") {
			t.Errorf("%s: args %v: the serial console must be last (the TUI's /dev/console)", e.ID, e.Args)
		}
	}
	if got := strings.Join(ids, " "); got != "install install-serial rescue rescue-serial" {
		t.Errorf("entries %s", got)
	}
	if o.DefaultID() != "install" {
		t.Errorf("default %s, want install", o.DefaultID())
	}
	o.Answer = true
	if es := Entries(o); es[0].ID != AutomatedID || !strings.Contains(strings.Join(es[0].Args, " "), "node.config="+LiveDir+"/"+AnswerName) {
		t.Errorf("with an answer file the first entry is %v", es[0])
	}
	if o.DefaultID() != AutomatedID {
		t.Errorf("default with an answer %s, want automated", o.DefaultID())
	}
	// PXE: no medium, the bundle by URL, no Automated entry
	ipxe := BootIPXE(o, "http://boot.example.org/n")
	for _, want := range []string{"isset ${base} || set base http://boot.example.org/n", "node.media=${base}/node",
		"choose --default install --timeout 5000", ":rescue-serial"} {
		if !strings.Contains(ipxe, want) {
			t.Errorf("boot.ipxe lacks %q:\n%s", want, ipxe)
		}
	}
	if strings.Contains(ipxe, "CDLABEL") || strings.Contains(ipxe, ":"+AutomatedID) {
		t.Errorf("boot.ipxe must not name the ISO's label or the embedded answer:\n%s", ipxe)
	}
}

func TestOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Default: AutomatedID}, `--default "automated": no such entry`},
		{Options{Default: "bogus", Answer: true}, `--default "bogus"`},
		{Options{Timeout: -1}, "--timeout -1"},
		{Options{Args: []string{"a b"}}, `--karg "a b"`},
		{Options{Args: []string{""}}, `--karg ""`},
		{Options{Label: "node"}, `volume label "node"`},
		{Options{Default: "rescue-serial", Timeout: 30, Args: []string{"panic=-1"}, Label: "NODE_2"}, ""},
	} {
		err := c.o.Check()
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func TestVolumeLabel(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"node", "1.0.0"}:              "NODE_1_0_0",
		{"my-node", "2.1~rc1+g1"}:      "MY_NODE_2_1_RC1_G1",
		{"n", strings.Repeat("9", 40)}: "N_" + strings.Repeat("9", 30),
	} {
		if got := VolumeLabel(in[0], in[1]); got != want {
			t.Errorf("VolumeLabel(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
		if err := (Options{Label: VolumeLabel(in[0], in[1])}).Check(); err != nil {
			t.Error(err)
		}
	}
}

// systemd-boot ignores entry files named auto-* (its own detected
// entries' names): no entry may be called so.
func TestEntryIDsLoadable(t *testing.T) {
	for _, e := range Entries(Options{Product: "node", Version: "1.0.0", Answer: true}) {
		if strings.HasPrefix(e.ID, "auto-") {
			t.Errorf("entry %s: systemd-boot skips loader entries named auto-*", e.ID)
		}
	}
}
