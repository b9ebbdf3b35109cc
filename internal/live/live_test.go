package live

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
