package vm

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOrder(t *testing.T) {
	dep := `kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko
kernel/fs/jbd2/jbd2.ko:
kernel/fs/mbcache.ko:
kernel/lib/crc16.ko:
kernel/drivers/block/virtio_blk.ko.xz:
kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
kernel/fs/fat/fat.ko:
kernel/crypto/crc32c_generic.ko:
`
	md, err := ParseModulesDep(strings.NewReader(dep))
	if err != nil {
		t.Fatal(err)
	}
	builtin := map[string]bool{"virtio_pci": true}
	cases := []struct {
		name    string
		want    []string
		order   []string
		wantErr string
	}{
		{name: "deps first, once", want: []string{"vfat", "ext4", "fat"},
			order: []string{"kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko", "kernel/fs/ext4/ext4.ko"}},
		{name: "dash and underscore, compressed", want: []string{"virtio-blk"}, order: []string{"kernel/drivers/block/virtio_blk.ko.xz"}},
		{name: "builtin skipped", want: []string{"virtio_pci", "virtio_blk"}, order: []string{"kernel/drivers/block/virtio_blk.ko.xz"}},
		{name: "optional absent skipped", want: []string{"?crc32c_intel", "?crc32c_generic"}, order: []string{"kernel/crypto/crc32c_generic.ko"}},
		{name: "missing named", want: []string{"ext4", "nosuch", "vfat2"}, wantErr: "nosuch, vfat2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := md.LoadOrder(tc.want, builtin)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.order, got); d != "" {
				t.Errorf("order (-want +got):\n%s", d)
			}
		})
	}
	if _, err := ParseModulesDep(strings.NewReader("no colon here\n")); err == nil {
		t.Error("a line without ':' parsed")
	}
}

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibext2fs.so.2 => /lib/x86_64-linux-gnu/libext2fs.so.2 (0x00007f)\n" +
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n"
	want := []string{"/lib/x86_64-linux-gnu/libext2fs.so.2", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if d := cmp.Diff(want, ParseLdd(out)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestDependsOnKernel(t *testing.T) {
	cases := []struct{ name, out, want string }{
		{"versioned", "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n", "linux-image-6.1.0-56-cloud-amd64"},
		{"skips non-versioned", "x\n  Depends: linux-image-cloud-amd64-signed\n  Depends: linux-image-6.12.1-amd64\n", "linux-image-6.12.1-amd64"},
		{"none", "x\n  Recommends: firmware\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := DependsOnKernel(tc.out); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCPIO checks the archive with cpio(1): names, types, device numbers
// and contents, parents added once.
func TestCPIO(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("needs cpio(1) to read the archive back (apt-get install cpio)")
	}
	var buf bytes.Buffer
	c := NewCPIOWriter(&buf)
	steps := []error{
		c.CharDev("dev/console", 0o600, 5, 1),
		c.Bytes("/etc/hello", 0o644, []byte("hello\n")),
		c.Bytes("etc/odd", 0o755, []byte("abc")), // length not a multiple of 4
		c.Symlink("bin/sh", "busybox"),
		c.Dir("empty", 0o700),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := c.Bytes("etc/hello", 0o644, nil); err == nil {
		t.Error("duplicate entry accepted")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cpio", "-itv", "--quiet")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -itv: %v\n%s", err, out)
	}
	for _, want := range []string{"crw-------", "5,", "dev/console", "-rw-r--r--", "etc/hello", "-rwxr-xr-x", "etc/odd", "bin/sh -> busybox", "drwx------", "empty"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cpio -itv lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), " etc\n"); n != 1 {
		t.Errorf("parent etc listed %d times, want 1:\n%s", n, out)
	}
	dir := t.TempDir()
	cmd = exec.Command("cpio", "-id", "--quiet", "--no-absolute-filenames", "etc/*")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -id: %v\n%s", err, out)
	}
	for name, want := range map[string]string{"etc/hello": "hello\n", "etc/odd": "abc"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

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
