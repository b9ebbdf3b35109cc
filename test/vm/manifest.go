package vm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The media bundle's manifest.json as the engine reads it (installer/media):
// {"product","version","release","files":[{"name","role","size","sha256"}]}.
// This writer exists so the test bed builds bundles before the media
// package lands; switch to media.Create once it does (same format).

// ManifestFile is one file of a bundle manifest.
type ManifestFile struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest is a bundle's manifest.json.
type Manifest struct {
	Product string         `json:"product"`
	Version string         `json:"version"`
	Release string         `json:"release"`
	Files   []ManifestFile `json:"files"`
}

// BundleRoles maps the bundle's file names to their manifest roles.
var BundleRoles = []struct{ Name, Role string }{
	{BundleKernel, "kernel"}, {BundleInitrd, "initrd"}, {BundleRoot, "rootfs"}, {BundleBootloader, "bootloader"},
}

// WriteManifest hashes the bundle files in dir and writes manifest.json.
func WriteManifest(dir, product, version, release string) error {
	m := Manifest{Product: product, Version: version, Release: release}
	for _, f := range BundleRoles {
		size, sum, err := hashFile(filepath.Join(dir, f.Name))
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Role: f.Role, Size: size, SHA256: sum})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o644)
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	return m, nil
}

func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", p, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
