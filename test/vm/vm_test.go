package vm

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDigest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.img")
	if err := CreateSparse(p, 4*GiB); err != nil {
		t.Fatal(err)
	}
	if err := FillPattern(p, 1, 4096, 0, 2*GiB); err != nil {
		t.Fatal(err)
	}
	d0, err := Digest(p)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := Digest(p); d != d0 {
		t.Fatal("digest not stable")
	}
	changes := []struct {
		name string
		do   func() error
	}{
		{"one byte of data", func() error { return FillPattern(p, 2, 1, 2*GiB+10) }},
		{"zeros into a hole", func() error {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(make([]byte, 4096), GiB)
			return err
		}},
		{"size", func() error { return os.Truncate(p, 4*GiB+512) }},
	}
	prev := d0
	for _, c := range changes {
		if err := c.do(); err != nil {
			t.Fatal(err)
		}
		d, err := Digest(p)
		if err != nil {
			t.Fatal(err)
		}
		if d == prev {
			t.Errorf("%s: digest unchanged", c.name)
		}
		prev = d
	}
}

func TestMachineArgs(t *testing.T) {
	t.Setenv("NODE_VM_ACCEL", "")
	m := Machine{Name: "x", Kernel: "/k", Initrd: "/i", Append: "console=ttyS0",
		Disks: []Disk{{Path: "/a,b.img", Serial: "S1"}, {Path: "/c.img"}}}
	got, err := m.Args()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-machine", "q35,accel=tcg", "-cpu", "max", "-m", "1024", "-smp", "1", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "stdio", "-monitor", "none", "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0",
		"-drive", "file=/a,,b.img,if=none,id=disk0,format=raw,cache=unsafe", "-device", "virtio-blk-pci,drive=disk0,serial=S1",
		"-drive", "file=/c.img,if=none,id=disk1,format=raw,cache=unsafe", "-device", "virtio-blk-pci,drive=disk1"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, _, err := OVMFPflash(); err == nil {
		vars := filepath.Join(t.TempDir(), "vars.fd")
		if err := NewUEFIVars(vars); err != nil {
			t.Fatal(err)
		}
		got, err := Machine{Name: "pflash", UEFI: true, UEFIVars: vars}.Args()
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.Join(got, " "); !strings.Contains(s, "if=pflash,format=raw,unit=1,file="+vars) || strings.Contains(s, "-bios") {
			t.Errorf("pflash args: %s", s)
		}
	}
	for _, bad := range []Machine{{Name: "nothing to boot"}, {Name: "serial", Kernel: "/k", Disks: []Disk{{Path: "/d", Serial: "a b"}}},
		{Name: "long serial", Kernel: "/k", Disks: []Disk{{Path: "/d", Serial: strings.Repeat("s", 21)}}}} {
		if _, err := bad.Args(); err == nil {
			t.Errorf("%s: no error", bad.Name)
		}
	}
}

// fakeQEMU installs a shell script as the qemu binary.
func fakeQEMU(t *testing.T, script string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NODE_VM_QEMU", p)
}

func TestRun(t *testing.T) {
	cases := []struct {
		name     string
		script   string
		timeout  time.Duration
		stopOn   []string
		exit     int
		timedOut bool
		stopped  string
		line     string
	}{
		{name: "powers off", script: "printf 'boot\\r\\nNODE-MARKER version=1\\n'; exit 0", line: "NODE-MARKER version=1"},
		{name: "escapes stripped", script: "printf '\\033c\\033[2J\\033[01;01H\\033[=3hNODE-MARKER x\\n'", line: "NODE-MARKER x"},
		{name: "qemu error", script: "echo 'qemu: bad option' >&2; exit 1", exit: 1, line: "qemu: bad option"},
		{name: "hangs: killed at the timeout", script: "echo up; exec sleep 60", timeout: 500 * time.Millisecond, exit: -1, timedOut: true, line: "up"},
		{name: "firmware shell: stopped at once", script: "echo booting; printf 'Shell> '; exec sleep 60", exit: -1, stopped: "Shell> ", line: "Shell> "},
		{name: "own stop string", script: "echo 'The node stays here.'; exec sleep 60", stopOn: []string{"stays here"}, exit: -1, stopped: "stays here"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fakeQEMU(t, tc.script)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			log := filepath.Join(t.TempDir(), "serial.log")
			start := time.Now()
			res, err := Machine{Name: "t", Kernel: "/k", Timeout: timeout, Log: log, StopOn: tc.stopOn}.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 15*time.Second {
				t.Errorf("run took %v: the VM was not ended promptly", time.Since(start))
			}
			if res.ExitCode != tc.exit || res.TimedOut != tc.timedOut || res.StoppedOn != tc.stopped {
				t.Errorf("exit=%d timedOut=%v stopped=%q, want %d %v %q (%s)", res.ExitCode, res.TimedOut, res.StoppedOn,
					tc.exit, tc.timedOut, tc.stopped, res.Summary())
			}
			if tc.line != "" && !res.Has(tc.line) {
				t.Errorf("console lacks %q: %q", tc.line, res.Lines)
			}
			if tc.line != "" && res.Find(regexp.MustCompile("^"+regexp.QuoteMeta(tc.line))) == nil {
				t.Errorf("console lacks %q: %q", tc.line, res.Lines)
			}
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# ") || !strings.Contains(string(data), "# qemu exit=") {
				t.Errorf("log lacks the command line or the exit line:\n%s", data)
			}
		})
	}
}
