package media

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Create writes dir/manifest.json for the files present in dir under
// their DefaultNames (vmlinuz, initrd.img, root.squashfs,
// systemd-bootx64.efi), hashing each once. It fails, writing nothing,
// when one is missing or the result does not pass Manifest.Check.
func Create(dir, product, version, release string) error {
	m := Manifest{Product: product, Version: version, Release: release}
	var errs []error
	for _, role := range Roles {
		f, err := Describe(dir, DefaultNames[role], role)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.Files = append(m.Files, f)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("media: create manifest in %s: %w", dir, err)
	}
	if err := m.Check(); err != nil {
		return fmt.Errorf("media: create manifest in %s: %w", dir, err)
	}
	return WriteManifest(dir, m)
}

// WriteManifest writes m as dir/manifest.json atomically (temp file and
// rename). A manifest.json.sig beside it no longer matches: sign again.
func WriteManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, ManifestName), append(data, '\n'))
}

// writeAtomic writes data to path through a temp file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("media: write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("media: write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("media: write %s: %w", filepath.Base(path), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Describe hashes dir/name (a regular file) into a manifest entry with
// both digests, in one pass.
func Describe(dir, name string, role Role) (File, error) {
	fh, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", role, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s %s: not a regular file", role, name)
	}
	n, sha, b3, err := sums(fh)
	if err != nil {
		return File{}, fmt.Errorf("%s %s: %w", role, name, err)
	}
	return File{Name: name, Role: role, Size: n, SHA256: sha, BLAKE3: b3}, nil
}
