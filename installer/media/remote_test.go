package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastRemote keeps retries quick and bounded in tests.
var fastRemote = Remote{Attempts: 4, Stall: 300 * time.Millisecond, Backoff: 10 * time.Millisecond}

// serveBundle serves dir over HTTP on loopback; wrap may alter the
// handler. It returns the base URL.
func serveBundle(t *testing.T, dir string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = http.FileServer(http.Dir(dir))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func readAll(t *testing.T, b *Bundle, role Role) ([]byte, error) {
	t.Helper()
	r, err := b.Open(role)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestOpenURLStreamsAndVerifies(t *testing.T) {
	dir := demo(t)
	base := serveBundle(t, dir, nil)
	for _, u := range []string{base, strings.TrimSuffix(base, "/"), base + ManifestName} {
		b, err := OpenURL(context.Background(), u, fastRemote)
		if err != nil {
			t.Fatalf("OpenURL(%s): %v", u, err)
		}
		if b.URL != base || b.Where() != base || b.Manifest.Version != "1.2.3" {
			t.Errorf("OpenURL(%s) = URL %q version %q", u, b.URL, b.Manifest.Version)
		}
	}
	b, _ := OpenURL(context.Background(), base, fastRemote)
	if err := b.Verify(); err != nil {
		t.Fatalf("Verify over HTTP: %v", err)
	}
	got, err := readAll(t, b, RoleRootfs)
	want, _ := os.ReadFile(filepath.Join(dir, DefaultNames[RoleRootfs]))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("rootfs over HTTP: %d bytes, %v; want the file's %d bytes", len(got), err, len(want))
	}
}

func TestOpenURLReportsEveryProblem(t *testing.T) {
	dir := demo(t)
	os.Remove(filepath.Join(dir, DefaultNames[RoleKernel]))
	os.WriteFile(filepath.Join(dir, DefaultNames[RoleInitrd]), []byte("short"), 0o644)
	base := serveBundle(t, dir, nil)
	_, err := OpenURL(context.Background(), base, fastRemote)
	if err == nil {
		t.Fatal("OpenURL accepted a bundle with a missing and a short file")
	}
	for _, want := range []string{"kernel vmlinuz: HEAD", "404", "initrd initrd.img: size 5, manifest says"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	for _, tt := range []struct{ name, url, want string }{
		{"no manifest", serveBundle(t, t.TempDir(), nil), "manifest.json: GET"},
		{"not http", "ftp://example.org/bundle/", "expected an http:// or https:// URL"},
		{"nobody listening", "http://127.0.0.1:1/bundle/", "connect"},
	} {
		if _, err := OpenURL(context.Background(), tt.url, fastRemote); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: OpenURL = %v, want %q", tt.name, err, tt.want)
		}
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, ManifestName), []byte(`{"product":"p","version":"1","files":[],"extra":1}`), 0o644)
	if _, err := OpenURL(context.Background(), serveBundle(t, bad, nil), fastRemote); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("a manifest with an unknown field: %v", err)
	}
}

func TestRemoteCorruptByteFailsVerification(t *testing.T) {
	dir := demo(t)
	base := serveBundle(t, dir, nil)
	b, err := OpenURL(context.Background(), base, fastRemote)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(dir, DefaultNames[RoleRootfs]), os.O_RDWR, 0)
	f.WriteAt([]byte{0x5A}, 12345)
	f.Close()
	if _, err := readAll(t, b, RoleRootfs); !errors.Is(err, ErrVerify) {
		t.Fatalf("a corrupted byte over HTTP: %v, want ErrVerify", err)
	}
}

// cutAfter serves at most n body bytes per response of file name, then
// drops the connection, and counts the requests that asked for a range.
func cutAfter(name string, n int64, ranges *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/"+name) || r.Method != http.MethodGet {
				next.ServeHTTP(w, r)
				return
			}
			if r.Header.Get("Range") != "" {
				ranges.Add(1)
			}
			next.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
		})
	}
}

type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, _ := c.ResponseWriter.Write(p)
	c.left -= int64(n)
	if c.left == 0 {
		panic(http.ErrAbortHandler) // drops the connection mid-body
	}
	return n, nil
}

func TestRemoteResumesBrokenTransfers(t *testing.T) {
	dir := demo(t)
	name := DefaultNames[RoleRootfs]
	st, _ := os.Stat(filepath.Join(dir, name))
	var ranges atomic.Int32
	// Each response carries a third of the file: two resumptions.
	base := serveBundle(t, dir, cutAfter(name, st.Size()/3+1, &ranges))
	b, err := OpenURL(context.Background(), base, fastRemote)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, b, RoleRootfs)
	want, _ := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("a transfer cut twice: %d bytes, %v", len(got), err)
	}
	if ranges.Load() != 2 {
		t.Errorf("%d range requests, want 2", ranges.Load())
	}

	// More cuts than attempts: a clear error, not a short stream.
	ranges.Store(0)
	base = serveBundle(t, dir, cutAfter(name, 1000, &ranges))
	b, _ = OpenURL(context.Background(), base, fastRemote)
	if _, err := readAll(t, b, RoleRootfs); err == nil || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("a transfer cut every 1000 bytes: %v, want a give-up after 4 attempts", err)
	}
}

func TestRemoteRefusesServerWithoutRanges(t *testing.T) {
	dir := demo(t)
	name := DefaultNames[RoleRootfs]
	var ranges atomic.Int32
	noRange := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Range") // answers every resumption with the whole file (200)
			cutAfter(name, 5000, &ranges)(next).ServeHTTP(w, r)
		})
	}
	b, err := OpenURL(context.Background(), serveBundle(t, dir, noRange), fastRemote)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, b, RoleRootfs); err == nil || !strings.Contains(err.Error(), "cannot resume") {
		t.Fatalf("resuming from a server without ranges: %v, want 'cannot resume'", err)
	}
}

func TestRemoteStalledTransferIsResumed(t *testing.T) {
	dir := demo(t)
	name := DefaultNames[RoleKernel]
	want, _ := os.ReadFile(filepath.Join(dir, name))
	var calls atomic.Int32
	stallOnce := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+name) && calls.Add(1) == 1 {
				w.Header().Set("Content-Length", strconv.Itoa(len(want)))
				w.WriteHeader(http.StatusOK)
				w.Write(want[:100])
				w.(http.Flusher).Flush()
				select { // stall until the client gives up
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	b, err := OpenURL(context.Background(), serveBundle(t, dir, stallOnce), fastRemote)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := readAll(t, b, RoleKernel)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after a stall: %d bytes, %v", len(got), err)
	}
	if calls.Load() != 2 || time.Since(start) > 5*time.Second {
		t.Errorf("stall handling: %d GETs in %v, want one resumption after ~300 ms", calls.Load(), time.Since(start))
	}
}

// TestRemoteLongDownloadSurvivesManyBreaks: breaks after real progress do
// not use up the attempts; seven breaks of a 12 MiB file, four attempts.
func TestRemoteLongDownloadSurvivesManyBreaks(t *testing.T) {
	dir := demo(t)
	name := DefaultNames[RoleRootfs]
	data := bytes.Repeat([]byte("twelve mebibytes of root image "), (12<<20)/31)
	os.WriteFile(filepath.Join(dir, name), data, 0o644)
	n, sha, b3, _ := sums(bytes.NewReader(data))
	editManifest(t, dir, func(m *Manifest) {
		i := fileIndex(m, RoleRootfs)
		m.Files[i].Size, m.Files[i].SHA256, m.Files[i].BLAKE3 = n, sha, b3
	})
	var ranges atomic.Int32
	b, err := OpenURL(context.Background(), serveBundle(t, dir, cutAfter(name, 3<<19, &ranges)), fastRemote)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, b, RoleRootfs)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("12 MiB cut every 1.5 MiB: %d bytes, %v", len(got), err)
	}
	if ranges.Load() != 7 {
		t.Errorf("%d resumptions, want 7", ranges.Load())
	}
}

// TestRemoteRetriesBusyServer: a 503 on the manifest and on a HEAD is
// retried; a 404 is not.
func TestRemoteRetriesBusyServer(t *testing.T) {
	dir := demo(t)
	var busy atomic.Int32
	busyOnce := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Method + " " + r.URL.Path
			if key == "GET /"+ManifestName || key == "HEAD /"+DefaultNames[RoleRootfs] {
				if busy.Add(1)%2 == 1 { // every other request
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	if _, err := OpenURL(context.Background(), serveBundle(t, dir, busyOnce), fastRemote); err != nil {
		t.Fatalf("OpenURL with a busy server: %v", err)
	}
	if busy.Load() != 4 {
		t.Errorf("%d requests to the busy paths, want 4 (two 503s retried)", busy.Load())
	}
}
