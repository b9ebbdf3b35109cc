package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenBoundsTheManifest: a manifest.json that is a symlink to
// /dev/zero once made Open read until the process ran out of memory; a
// FIFO made it hang. Each must fail at once with an error naming it.
func TestOpenBoundsTheManifest(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, p string)
		want string
	}{
		{"symlink to /dev/zero", func(t *testing.T, p string) { symlink(t, "/dev/zero", p) }, "not a regular file (a character device)"},
		{"symlink to /dev/urandom", func(t *testing.T, p string) { symlink(t, "/dev/urandom", p) }, "not a regular file"},
		{"FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "not a regular file (a FIFO)"},
		{"directory", func(t *testing.T, p string) { os.Mkdir(p, 0o700) }, "not a regular file (a directory)"},
		{"over the cap", func(t *testing.T, p string) {
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			f.Truncate(4 << 30) // sparse: costs nothing
			f.Close()
		}, "larger than its size cap of 1048576 bytes"},
		{"dangling symlink", func(t *testing.T, p string) { symlink(t, "/nonexistent/manifest", p) }, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := demo(t)
			p := filepath.Join(dir, ManifestName)
			os.Remove(p)
			c.make(t, p)
			done := make(chan error, 1)
			go func() { _, err := Open(dir); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ManifestName) {
					t.Fatalf("Open = %v, want an error naming %s with %q", err, ManifestName, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Open did not return within 10 s")
			}
		})
	}
}

func TestReadSmall(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("12345"), 0o600)
	if b, err := ReadSmall(p, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadSmall at the cap = %q, %v", b, err)
	}
	if _, err := ReadSmall(p, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadSmall over the cap = %v, want ErrTooLarge", err)
	}
	l := filepath.Join(dir, "link")
	symlink(t, p, l)
	if b, err := ReadSmall(l, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadSmall through a symlink to a regular file = %q, %v", b, err)
	}
}

// TestOpenURLBoundsTheManifest: a server that sends an endless or huge
// manifest is cut off at the cap, with or without a Content-Length.
func TestOpenURLBoundsTheManifest(t *testing.T) {
	for _, withLength := range []bool{false, true} {
		t.Run(fmt.Sprintf("Content-Length %v", withLength), func(t *testing.T) {
			base := serveBundle(t, demo(t), func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !strings.HasSuffix(r.URL.Path, ManifestName) {
						h.ServeHTTP(w, r)
						return
					}
					if withLength {
						w.Header().Set("Content-Length", "4294967296")
					}
					buf := make([]byte, 64<<10)
					for i := 0; i < 64; i++ { // 4 MiB at most, then the handler ends
						if _, err := w.Write(buf); err != nil {
							return
						}
					}
				})
			})
			_, err := OpenURL(context.Background(), base, fastRemote)
			if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") || !strings.Contains(err.Error(), ManifestName) {
				t.Fatalf("OpenURL = %v, want the manifest refused as larger than the cap", err)
			}
		})
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
