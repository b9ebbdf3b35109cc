package live

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Cache is a folder holding downloads and builds keyed by their inputs, so
// a rerun rebuilds only what changed. Entries appear atomically (built in
// a temporary folder, then renamed), so concurrent test processes and an
// interrupted build never leave a half entry behind.
type Cache struct {
	Dir string
}

// DefaultCache is $NODE_VM_CACHE, else $XDG_CACHE_HOME/node-installer-vm,
// else /var/tmp/node-installer-vm.
func DefaultCache() Cache {
	if d := os.Getenv("NODE_VM_CACHE"); d != "" {
		return Cache{Dir: d}
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return Cache{Dir: filepath.Join(d, "node-installer-vm")}
	}
	return Cache{Dir: "/var/tmp/node-installer-vm"}
}

// Entry returns the folder of the entry kind/key, building it with build
// (which fills the folder it is given) when it does not exist yet.
func (c Cache) Entry(kind, key string, build func(dir string) error) (string, error) {
	final := filepath.Join(c.Dir, kind, key)
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".tmp-"+key+"-")
	if err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := build(tmp); err != nil {
		return "", fmt.Errorf("build %s/%s: %w", kind, key, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, serr := os.Stat(final); serr == nil {
			return final, nil // another process won the race with the same inputs
		}
		return "", fmt.Errorf("cache: %w", err)
	}
	return final, nil
}

// Key hashes inputs (strings, and file contents for parts prefixed "file:")
// into a short cache key.
func Key(parts ...string) (string, error) {
	h := sha256.New()
	for _, p := range parts {
		if f, ok := strings.CutPrefix(p, "file:"); ok {
			fh, err := os.Open(f)
			if err != nil {
				return "", fmt.Errorf("cache key: %w", err)
			}
			_, err = io.Copy(h, fh)
			fh.Close()
			if err != nil {
				return "", fmt.Errorf("cache key: read %s: %w", f, err)
			}
		} else {
			io.WriteString(h, p)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

var (
	builderOnce sync.Once
	builderID   string
)

// BuilderID identifies the code doing the builds (a hash of the running
// executable: Go builds are reproducible, so it changes exactly when the
// builders or the tests change), so cached builds never outlive the code
// that made them. Downloads are keyed by package versions only.
func BuilderID() string {
	builderOnce.Do(func() {
		builderID = "unknown"
		if exe, err := os.Executable(); err == nil {
			if k, err := Key("file:" + exe); err == nil {
				builderID = k
			}
		}
	})
	return builderID
}

// SafeName makes a Debian package name and version usable as a file name.
func SafeName(s string) string {
	return strings.NewReplacer("/", "_", ":", "%3a", " ", "_").Replace(s)
}
