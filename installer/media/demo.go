package media

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/squashfs"
	"golang.org/x/crypto/ssh"
)

// DemoProduct is the product name of demo bundles.
const DemoProduct = "node"

// DemoPayloadSize is the size of the incompressible file inside the demo
// root image, which makes the image a few MiB: big enough for progress
// to show, small enough for unit tests.
const DemoPayloadSize = 3 << 20

// BuildDemo writes a tiny bundle into dir (created if needed), generated
// here without any download: a real squashfs root image (gzip, written
// with go-diskfs; it holds /etc/os-release, /usr/lib/node/version and a
// few MiB of deterministic pseudo-random bytes) and placeholder kernel,
// initrd and boot loader files that are NOT bootable. The bootable test
// bundle of the VM tests is built elsewhere from Debian packages.
func BuildDemo(dir, version string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("media: demo bundle: %w", err)
	}
	seed := func(s string) *rand.ChaCha8 {
		var k [32]byte
		copy(k[:], "node-installer demo "+s)
		return rand.NewChaCha8(k)
	}
	placeholders := []struct {
		role   Role
		header string
		size   int
	}{
		{RoleKernel, "node-installer demo kernel " + version + " (placeholder, not bootable)\n", 256 << 10},
		{RoleInitrd, "node-installer demo initrd " + version + " (placeholder, not bootable)\n", 128 << 10},
		// "MZ": the DOS stub magic every PE/EFI binary starts with.
		{RoleBootloader, "MZ node-installer demo boot loader (placeholder, not bootable)\n", 64 << 10},
	}
	for _, p := range placeholders {
		data := make([]byte, p.size)
		_, _ = seed(string(p.role) + version).Read(data)
		copy(data, p.header)
		if err := os.WriteFile(filepath.Join(dir, DefaultNames[p.role]), data, 0o644); err != nil {
			return fmt.Errorf("media: demo bundle: %w", err)
		}
	}
	if err := demoRoot(filepath.Join(dir, DefaultNames[RoleRootfs]), version, seed("rootfs"+version)); err != nil {
		return fmt.Errorf("media: demo bundle: root image: %w", err)
	}
	if err := Create(dir, DemoProduct, version, "demo"); err != nil {
		return err
	}
	return SignBundle(dir, DemoSigner())
}

// DemoSigner is the key demo bundles are signed with: an Ed25519 key
// from a fixed, published seed, so `node-installer demo` and the unit
// tests install signed media. Anyone can sign with it: never trust
// DemoKeys outside a demo or a test.
func DemoSigner() ssh.Signer {
	var seed [ed25519.SeedSize]byte
	copy(seed[:], "node-installer demo signing key")
	s, err := ssh.NewSignerFromSigner(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(err) // an Ed25519 key is always accepted
	}
	return s
}

// DemoKeys trusts DemoSigner only.
func DemoKeys() Keys {
	return Keys{{Pub: DemoSigner().PublicKey(), Comment: "node-installer demo key (public, test only)", From: "demo"}}
}

// demoRoot writes a small gzip squashfs at path.
func demoRoot(path, version string, rnd io.Reader) error {
	os.Remove(path) // a longer old file would keep its tail
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fs, err := squashfs.Create(file.New(f, false), 0, 0, 0)
	if err != nil {
		return err
	}
	defer os.RemoveAll(fs.Workspace())
	files := []struct {
		path string
		data func(w io.Writer) error
	}{
		{"etc/os-release", func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "NAME=%q\nID=node\nVERSION_ID=%q\nPRETTY_NAME=\"Demo Node %s\"\n", DemoProduct, version, version)
			return err
		}},
		{"usr/lib/node/version", func(w io.Writer) error { _, err := fmt.Fprintln(w, version); return err }},
		{"usr/share/node/demo-payload", func(w io.Writer) error {
			_, err := io.CopyN(w, rnd, DemoPayloadSize)
			return err
		}},
	}
	for _, d := range []string{"etc", "usr/lib/node", "usr/share/node"} {
		if err := fs.Mkdir(d); err != nil {
			return fmt.Errorf("mkdir %s: %w", d, err)
		}
	}
	for _, fl := range files {
		w, err := fs.OpenFile(fl.path, os.O_CREATE|os.O_RDWR)
		if err != nil {
			return fmt.Errorf("%s: %w", fl.path, err)
		}
		if err := fl.data(w); err != nil {
			return fmt.Errorf("%s: %w", fl.path, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("%s: %w", fl.path, err)
		}
	}
	if err := fs.Finalize(squashfs.FinalizeOptions{}); err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	return nil
}
