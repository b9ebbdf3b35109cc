package cmdline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	p := func(key, value string, has bool, raw string) Param {
		return Param{Key: key, Value: value, HasValue: has, Raw: raw}
	}
	tests := []struct {
		name string
		in   string
		want []Param
	}{
		{"empty", "", nil},
		{"only spaces", " \t\n ", nil},
		{"bare key", "reinstall", []Param{p("reinstall", "", false, "reinstall")}},
		{"key value", "console=ttyS0,115200n8", []Param{p("console", "ttyS0,115200n8", true, "console=ttyS0,115200n8")}},
		{"empty value", "storage_init=", []Param{p("storage_init", "", true, "storage_init=")}},
		{"value with equals", "node.disk=serial=ABC", []Param{p("node.disk", "serial=ABC", true, "node.disk=serial=ABC")}},
		{"quoted value", `bond="bond0:eth0,eth1:mode=802.3ad miimon=100" x`, []Param{
			p("bond", "bond0:eth0,eth1:mode=802.3ad miimon=100", true, `bond="bond0:eth0,eth1:mode=802.3ad miimon=100"`),
			p("x", "", false, "x"),
		}},
		{"quoted whole param", `"hostname=a b" y=1`, []Param{
			p("hostname", "a b", true, `"hostname=a b"`),
			p("y", "1", true, "y=1"),
		}},
		{"quoted bare key", `"quiet"`, []Param{p("quiet", "", false, `"quiet"`)}},
		{"unterminated quote runs to end", `a="b c`, []Param{p("a", "b c", true, `a="b c`)}},
		{"repeated keys kept in order", "ip=eth0:dhcp ip=eth1:dhcp ip=eth0:off", []Param{
			p("ip", "eth0:dhcp", true, "ip=eth0:dhcp"),
			p("ip", "eth1:dhcp", true, "ip=eth1:dhcp"),
			p("ip", "eth0:off", true, "ip=eth0:off"),
		}},
		{"tabs and newline of /proc/cmdline", "a=1\tb=2\n", []Param{p("a", "1", true, "a=1"), p("b", "2", true, "b=2")}},
		{"double dash goes to init", "quiet -- single rd.x=1", []Param{
			p("quiet", "", false, "quiet"),
			{Key: "--", Raw: "--", Init: true},
			{Key: "single", Raw: "single", Init: true},
			{Key: "rd.x", Value: "1", HasValue: true, Raw: "rd.x=1", Init: true},
		}},
		{"double dash with value is a normal param", "--=x", []Param{p("--", "x", true, "--=x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokenize(tt.in)); diff != "" {
				t.Errorf("Tokenize(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name, key, value string
		has              bool
		want             string
	}{
		{"bare", "quiet", "", false, "quiet"},
		{"empty value", "a", "", true, "a="},
		{"plain", "a", "b", true, "a=b"},
		{"space quoted", "a", "b c", true, `a="b c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.key, tt.value, tt.has); got != tt.want {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
			// What Format writes must tokenize back to the same key and value.
			ps := Tokenize(Format(tt.key, tt.value, tt.has))
			if len(ps) != 1 || ps[0].Key != tt.key || ps[0].Value != tt.value || ps[0].HasValue != tt.has {
				t.Errorf("round trip of %q gave %+v", tt.want, ps)
			}
		})
	}
}

func FuzzTokenize(f *testing.F) {
	f.Add(`a "b=c d" e="f g" -- h`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Tokenize(s) {
			if p.Raw == "" {
				t.Fatalf("empty Raw in %+v", p)
			}
			// Re-tokenizing a parameter's Raw text gives the same parameter.
			again := Tokenize(p.Raw)
			if len(again) != 1 || again[0].Key != p.Key || again[0].Value != p.Value {
				t.Fatalf("Raw %q re-tokenizes to %+v, want %+v", p.Raw, again, p)
			}
		}
	})
}
