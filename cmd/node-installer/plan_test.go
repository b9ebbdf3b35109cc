package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"node-installer/installer"
)

func profile(name string) string {
	return filepath.Join("..", "..", "installer", "testdata", "profiles", name+".json")
}

func TestPlanCommand(t *testing.T) {
	answer := filepath.Join(t.TempDir(), "answer.yaml")
	os.WriteFile(answer, []byte("storage:\n  volumes: {Swap: 0}\nnetwork:\n  hostname: from-answer.example.org\n"), 0o644)
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"ok", []string{"--facts", profile("virtio-1disk"), "--cmdline", "storage_init console=ttyS0"}, 0,
			[]string{"action: install", "* /dev/vda", "7  38930432  83884031", "boot parameters passed through: console=ttyS0", "no problems"}},
		{"problems exit 1", []string{"--facts", profile("small-disk"), "--cmdline", "storage_init=/dev/vda"}, 1,
			[]string{"9026 MiB are missing; storage_vol=512:0:3647:64:64:-1 would fit", "problems (1)"}},
		{"answer file", []string{"--facts", profile("virtio-1disk"), "--cmdline", "storage_init node.config=" + answer}, 0,
			[]string{"answer file: node.config=" + answer, "hostname: from-answer.example.org", "no problems"}},
		{"answer file missing", []string{"--facts", profile("virtio-1disk"), "--cmdline", "storage_init node.config=/nonexistent.yaml"}, 1,
			[]string{"node.config=/nonexistent.yaml: open /nonexistent.yaml: no such file"}},
		{"bad flag", []string{"--nope"}, 2, nil},
		{"stray argument", []string{"--facts", profile("virtio-1disk"), "storage_init"}, 2, nil},
		{"missing profile", []string{"--facts", "/nonexistent.json", "--cmdline", ""}, 2, nil},
		{"missing image", []string{"--facts", profile("virtio-1disk"), "--disk", "/nonexistent.img", "--cmdline", "storage_init"}, 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := planMain(c.args, &out, &errb)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out.String(), errb.String())
			}
			for _, s := range c.contains {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

// TestPlanCommandImage plans on an image file and checks not one byte
// of it changed; --json and --save-facts give what they promise.
func TestPlanCommandImage(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(4 << 30)
	f.WriteAt([]byte("some bytes that must stay"), 1<<20)
	f.Close()
	// A write anywhere changes the mtime, and a write into a hole also the
	// allocated blocks; the GPT areas at both ends are hashed as well.
	sum := func() string {
		f, err := os.Open(img)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, _ := f.Stat()
		h := sha256.New()
		io.Copy(h, io.NewSectionReader(f, 0, 2<<20))
		io.Copy(h, io.NewSectionReader(f, st.Size()-(1<<20), 1<<20))
		return fmt.Sprintf("%x size %d mtime %v blocks %d", h.Sum(nil), st.Size(), st.ModTime(), st.Sys().(*syscall.Stat_t).Blocks)
	}
	before := sum()
	saved := filepath.Join(dir, "facts.json")
	var out, errb bytes.Buffer
	code := planMain([]string{"--facts", profile("virtio-1disk"), "--disk", img, "--json", "--save-facts", saved,
		"--cmdline", "storage_init=" + img + " storage_vol=128:1024:1024:5:256:-1"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if sum() != before {
		t.Fatal("plan changed the image file")
	}
	var p installer.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if p.Choice.Boot.Path != img || p.Choice.Boot.Transport != "file" || len(p.Layout.Disks) != 1 || len(p.Layout.Disks[0].Partitions) != 7 {
		t.Errorf("plan on the image: boot %+v, layout %+v", p.Choice.Boot, p.Layout)
	}
	if sw := p.Layout.Disks[0].Partitions[5]; sw.Name != "Swap" || sw.Size != 1024*2048 {
		t.Errorf("swap %+v, want 1024 MiB from storage_vol", sw)
	}
	facts, err := installer.LoadFacts(saved)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts.Disks) != 1 || facts.Disks[0].Path != img || len(facts.NICs) == 0 {
		t.Errorf("saved facts: %+v", facts)
	}
}

// The JSON plan shows URL settings as the text plan does: no user
// password and no query (where tokens live).
func TestPlanJSONMasksURLs(t *testing.T) {
	line := "storage_init adminpw=$6$saltsalt$abc node.webhook=https://ops:h00kPW@hooks.example.org/x?access_token=h00kTOK " +
		"node.media=http://m:m3diaPW@192.0.2.1/media/?token=m3diaTOK"
	for _, args := range [][]string{{"--json"}, {}} {
		var out, errb strings.Builder
		planMain(append([]string{"--facts", profile("virtio-1disk"), "--cmdline", line}, args...), &out, &errb)
		for _, sec := range []string{"h00kPW", "h00kTOK", "m3diaPW", "m3diaTOK", "saltsalt"} {
			if strings.Contains(out.String()+errb.String(), sec) {
				t.Errorf("plan %v shows %q:\n%s", args, sec, out.String())
			}
		}
	}
}
