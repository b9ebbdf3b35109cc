package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demo builds one demo bundle per test binary run and copies it per test.
func demo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := BuildDemo(dir, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func editManifest(t *testing.T, dir string, edit func(m *Manifest)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

func fileIndex(m *Manifest, r Role) int {
	for i, f := range m.Files {
		if f.Role == r {
			return i
		}
	}
	panic("no role " + r)
}

func TestBuildDemoOpensAndVerifies(t *testing.T) {
	dir := demo(t)
	b, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if b.Manifest.Product != DemoProduct || b.Manifest.Version != "1.2.3" || len(b.Manifest.Files) != 4 {
		t.Errorf("manifest = %+v", b.Manifest)
	}
	if err := b.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	root, _ := b.Manifest.File(RoleRootfs)
	if root.Size < DemoPayloadSize {
		t.Errorf("root image %d bytes, want at least the %d byte payload", root.Size, DemoPayloadSize)
	}
	head := make([]byte, 4)
	fh, _ := os.Open(b.Path(RoleRootfs))
	defer fh.Close()
	if _, err := io.ReadFull(fh, head); err != nil || string(head) != "hsqs" {
		t.Errorf("root image magic %q, want squashfs's hsqs", head)
	}
}

func TestOpenRejectsBadManifests(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string // every substring must appear in the one error
	}{
		{"missing manifest", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ManifestName)) }, []string{"manifest.json", "no such file"}},
		{"malformed json", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"product": "node",`), 0o644)
		}, []string{"manifest.json", "unexpected EOF"}},
		{"unknown key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"product":"node","version":"1","checksum":"x"}`), 0o644)
		}, []string{`unknown field "checksum"`}},
		{"size too big", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[fileIndex(m, RoleRootfs)].Size++ })
		}, []string{"rootfs root.squashfs: size", "manifest says"}},
		{"negative size", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[fileIndex(m, RoleKernel)].Size = -1 })
		}, []string{"size -1 is negative"}},
		{"short hash", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[fileIndex(m, RoleInitrd)].SHA256 = "abcd" })
		}, []string{`"initrd.img"`, `sha256 "abcd" is not 64 lower-case hex digits`}},
		{"upper-case hash", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) {
				i := fileIndex(m, RoleInitrd)
				m.Files[i].SHA256 = strings.ToUpper(m.Files[i].SHA256)
			})
		}, []string{"not 64 lower-case hex digits"}},
		{"non-hex hash", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[0].SHA256 = strings.Repeat("zz", 32) })
		}, []string{"not 64 lower-case hex digits"}},
		{"missing file", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "vmlinuz")) }, []string{"kernel vmlinuz", "no such file"}},
		{"missing role", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files = m.Files[:3] })
		}, []string{`no file with role "bootloader"`}},
		{"duplicate role", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[1].Role = RoleKernel })
		}, []string{`role "kernel" given twice`, `no file with role "initrd"`}},
		{"path outside the bundle", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[0].Name = "../etc/passwd" })
		}, []string{"must be a plain file name"}},
		{"unknown role and empty version", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Files[3].Role = "firmware"; m.Version = "" })
		}, []string{`role "firmware" unknown`, `"version" ""`}},
	}
	base := demo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, base, dir)
			tt.damage(t, dir)
			b, err := Open(dir)
			if err == nil {
				t.Fatalf("Open succeeded on a bad bundle: %+v", b.Manifest)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamFailsOnBadData changes a file after Open accepted the bundle
// (as a bad medium would return different bytes) and checks that the
// stream ends with an error instead of io.EOF, so nothing is committed.
func TestStreamFailsOnBadData(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"flipped byte", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			b := make([]byte, 1)
			f.ReadAt(b, 1<<20)
			b[0] ^= 0xff
			f.WriteAt(b, 1<<20)
		}, "has BLAKE3"},
		{"truncated", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			os.Truncate(path, st.Size()-4096)
		}, "(truncated)"},
		{"extra bytes", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			defer f.Close()
			f.Write([]byte("trailing"))
		}, "longer than the manifest's"},
		{"empty", func(t *testing.T, path string) { os.Truncate(path, 0) }, "ended after 0 bytes"},
	}
	base := demo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, base, dir)
			b, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, b.Path(RoleRootfs))
			r, err := b.Open(RoleRootfs)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var sink bytes.Buffer
			_, err = io.Copy(&sink, r)
			if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("io.Copy error = %v, want ErrVerify with %q", err, tt.want)
			}
			if r.Verified() {
				t.Error("Verified() true after a mismatch")
			}
			// The error is sticky: a caller that reads on never sees io.EOF.
			if _, err2 := r.Read(make([]byte, 8)); !errors.Is(err2, ErrVerify) {
				t.Errorf("second Read = %v, want the same verification error", err2)
			}
			if err := b.Verify(); !errors.Is(err, ErrVerify) {
				t.Errorf("Verify = %v, want ErrVerify", err)
			}
		})
	}
}

func TestReaderSmallReadsAndGoodStream(t *testing.T) {
	dir := demo(t)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Open(RoleKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 7) // odd-sized reads
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f, _ := b.Manifest.File(RoleKernel)
	if n != f.Size || !r.Verified() || r.Sum() != f.Digest().Want {
		t.Errorf("read %d of %d, verified %v, sum %s want %s", n, f.Size, r.Verified(), r.Sum(), f.Digest().Want)
	}
}

func TestCreateMissingFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"vmlinuz", "initrd.img", "root.squashfs"} {
		os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644)
	}
	err := Create(dir, "node", "1.0", "1")
	if err == nil || !strings.Contains(err.Error(), "bootloader") {
		t.Fatalf("Create = %v, want an error naming the bootloader", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("manifest written despite the error: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "systemd-bootx64.efi"), []byte("MZ"), 0o644)
	if err := Create(dir, "node", "1.0", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Errorf("Open after Create: %v", err)
	}
}

// A consumer that reads exactly Size bytes and never asks for EOF (as a
// FAT file writer does) must still get the verification error.
func TestReaderFailsOnLastByteWithoutEOF(t *testing.T) {
	dir := demo(t)
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(b.Path(RoleKernel), os.O_RDWR, 0)
	f.WriteAt([]byte{'#'}, 100)
	f.Close()
	r, _ := b.Open(RoleKernel)
	defer r.Close()
	_, _ = io.ReadFull(r, make([]byte, r.Size())) // drops the last Read's error
	if r.Verified() {
		t.Error("Verified() true for a corrupted file")
	}
	if err := r.Finish(); !errors.Is(err, ErrVerify) {
		t.Fatalf("Finish after reading exactly Size bytes of a corrupted file: %v, want ErrVerify", err)
	}
	// A good file read the same way finishes cleanly.
	g, _ := b.Open(RoleInitrd)
	defer g.Close()
	_, _ = io.ReadFull(g, make([]byte, g.Size()))
	if err := g.Finish(); err != nil || !g.Verified() {
		t.Errorf("Finish on a good file: %v (verified %v)", err, g.Verified())
	}
	// Finish on an unread stream reads and verifies it.
	k, _ := b.Open(RoleRootfs)
	defer k.Close()
	if err := k.Finish(); err != nil {
		t.Errorf("Finish on an unread good file: %v", err)
	}
}

// TestVerifier checks the split verification a writer uses to hash in a
// goroutine of its own: the same verdicts as Read, fed by hand.
func TestVerifier(t *testing.T) {
	data := []byte("the root image")
	sum := sha256.Sum256(data)
	f := File{Name: "root.squashfs", Role: RoleRootfs, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	tests := []struct {
		name    string
		feed    [][]byte
		wantErr string // "" = verified
	}{
		{name: "whole", feed: [][]byte{data}},
		{name: "in pieces", feed: [][]byte{data[:3], nil, data[3:9], data[9:]}},
		{name: "flipped byte", feed: [][]byte{[]byte("the ro0t image")}, wantErr: "has SHA-256"},
		{name: "truncated", feed: [][]byte{data[:5]}, wantErr: "truncated"},
		{name: "longer", feed: [][]byte{data, []byte("!")}, wantErr: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(f)
			var err error
			for _, p := range tt.feed {
				if _, werr := v.Write(p); werr != nil && err == nil {
					err = werr
				}
			}
			if err == nil {
				err = v.Check()
			}
			if tt.wantErr == "" {
				if err != nil || !v.Verified() || v.Sum() != f.Digest().Want {
					t.Fatalf("verdict %v, verified %v, sum %s", err, v.Verified(), v.Sum())
				}
				return
			}
			if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), tt.wantErr) || v.Verified() {
				t.Fatalf("verdict %v (verified %v), want ErrVerify with %q", err, v.Verified(), tt.wantErr)
			}
		})
	}
}

// TestReaderSplit: after Split the raw stream is the file's bytes, Read
// refuses, and Finish reports the Verifier's verdict without reading.
func TestReaderSplit(t *testing.T) {
	b, err := Open(demo(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range []bool{false, true} {
		if damage {
			f, _ := os.OpenFile(b.Path(RoleInitrd), os.O_RDWR, 0)
			f.WriteAt([]byte{'#'}, 1)
			f.Close()
		}
		r, _ := b.Open(RoleInitrd)
		raw, v := r.Split()
		if _, err := r.Read(make([]byte, 8)); err == nil {
			t.Error("Read after Split succeeded")
		}
		if err := r.Finish(); !errors.Is(err, ErrVerify) {
			t.Errorf("Finish before anything was fed = %v, want ErrVerify", err)
		}
		if _, err := io.Copy(v, raw); err != nil {
			t.Fatal(err)
		}
		err := r.Finish()
		if damage != errors.Is(err, ErrVerify) || damage == r.Verified() {
			t.Errorf("damaged %v: Finish = %v, Verified %v", damage, err, r.Verified())
		}
		r.Close()
	}
}

// FuzzOpen feeds arbitrary manifest.json contents to Open: it must
// return a bundle whose manifest passes Check, or an error, never panic.
func FuzzOpen(f *testing.F) {
	base := f.TempDir()
	if err := BuildDemo(base, "1.0"); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(base, ManifestName))
	f.Add(good)
	f.Add([]byte(`{"product":"p","version":"1","files":[{"name":"../x","role":"kernel","size":-1,"sha256":"zz"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		if err := os.WriteFile(filepath.Join(base, ManifestName), manifest, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Open(base)
		if err != nil {
			return
		}
		if cerr := b.Manifest.Check(); cerr != nil {
			t.Fatalf("Open accepted a manifest that Check refuses: %v", cerr)
		}
		for _, r := range Roles {
			if _, ok := b.Manifest.File(r); !ok {
				t.Fatalf("Open accepted a manifest without %s", r)
			}
		}
	})
}
