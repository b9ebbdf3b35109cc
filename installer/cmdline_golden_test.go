package installer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/internal/testutil"
)

// goldenOutput is what a golden file records for one command line.
type goldenOutput struct {
	Cmdline  string            `json:"cmdline"`
	Config   Config            `json:"config"`
	Origins  map[string]Origin `json:"origins"`
	Problems Problems          `json:"problems"`
}

// TestParseCmdlineGolden parses each testdata/cmdline/*.cmdline and
// compares the Config, its Origins and the problems (parse + Validate)
// with the .json next to it. Run with -update to rewrite them.
func TestParseCmdlineGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/cmdline/*.cmdline")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".cmdline")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			line := strings.TrimSpace(string(raw))
			cfg, ps := ParseCmdline(line)
			ps = append(ps, cfg.Validate()...)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep size>=100G readable
			enc.SetIndent("", "  ")
			if err := enc.Encode(goldenOutput{Cmdline: line, Config: cfg, Origins: cfg.Origins, Problems: ps}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := strings.TrimSuffix(in, ".cmdline") + ".json"
			if testutil.Updating() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestParseCmdlineGolden -update)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs from the parse of %s; got:\n%s", golden, in, got)
			}
			// Secrets are never shown in problems or origins.
			for _, p := range ps {
				if strings.Contains(p.String(), "$6$s") || strings.Contains(p.String(), "hunter2") {
					t.Errorf("problem shows a secret: %s", p)
				}
			}
			for f, o := range cfg.Origins {
				if strings.Contains(o.Value, "$6$s") {
					t.Errorf("origin %s shows a secret: %s", f, o.Value)
				}
			}
		})
	}
}

// FuzzParseCmdline runs tokenizer, parser and Validate on arbitrary
// lines with an adminpw= or rootpw= appended: nothing may panic, and no
// problem may show the password value.
func FuzzParseCmdline(f *testing.F) {
	seeds := []string{
		"",
		"BOOTIF=01-52-54-00-12-34-56 storage_init=/dev/sda storage_vol=:4096::5:2048:-1 ip=192.0.2.10 netmask=255.255.255.0 gateway=192.0.2.1 dns=192.0.2.2,192.0.2.3 ntp=pool.example.org hostname=node1.example.org ssh_pwauth=1 reinstall",
		"ip=[2001:db8::2]::[2001:db8::1]:64:n:eth0:none:9000:52:54:00:12:34:56 bond=bond0:eth0,eth1:mode=4 vlan=eth0.5:eth0",
		`storage_init=usb:ALL;/dev/sd* node.disk=size>=1T,largest "hostname=a b" -- x`,
		"adminpw=x adminpw=y rootpw= node.adminpw=z management_port=1 syslog=[::1]:5",
	}
	for _, s := range seeds {
		f.Add(s, "hunter2", false)
		f.Add(s, hash6, true)
	}
	f.Fuzz(func(t *testing.T, line, pw string, root bool) {
		// The marker makes the password recognisable in any output, even
		// when the fuzzer picks a value that also occurs elsewhere.
		const marker = "Zq7SECRETx"
		if strings.Contains(line, marker) || strings.ContainsAny(pw, " \t\n\v\f\r\"") {
			t.Skip()
		}
		key := "adminpw"
		if root {
			key = "rootpw"
		}
		for _, secret := range []string{marker + pw, "$6$saltsalt$" + marker + pw} {
			full := line + " " + key + "=" + secret
			cfg, ps := ParseCmdline(full)
			ps = append(ps, cfg.Validate()...)
			for _, p := range ps {
				if strings.Contains(p.String(), marker) || strings.Contains(p.Field, marker) {
					t.Fatalf("problem shows the %s value: %q (line %q)", key, p.String(), full)
				}
			}
			for field, o := range cfg.Origins {
				if strings.Contains(o.Value, marker) {
					t.Fatalf("origin %s shows the %s value: %q", field, key, o.Value)
				}
			}
			if _, err := json.Marshal(cfg); err != nil {
				t.Fatalf("Config of %q does not marshal: %v", full, err)
			}
		}
	})
}

// BenchmarkParseCmdline parses and validates a long real-world line.
func BenchmarkParseCmdline(b *testing.B) {
	raw, err := os.ReadFile("testdata/cmdline/dracut-bond-vlan-multidisk.cmdline")
	if err != nil {
		b.Fatal(err)
	}
	line := strings.TrimSpace(string(raw)) + " adminpw=" + hash6
	b.ReportAllocs()
	for b.Loop() {
		cfg, ps := ParseCmdline(line)
		if ps = append(ps, cfg.Validate()...); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
