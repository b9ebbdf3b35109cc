package bootmedia

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"node-installer/installer/media"
	"node-installer/internal/sparse"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// findFile finds an absolute path, or a command on the PATH.
func findFile(name string) (string, error) {
	if filepath.IsAbs(name) {
		_, err := os.Stat(name)
		return name, err
	}
	return exec.LookPath(name)
}

// linkOrCopy hard-links src to dst (same filesystem: no bytes copied),
// else copies it; an existing dst is replaced.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	_ = os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	return sparse.CopyRange(dst, src, 0, st.Size())
}

// bundleLinks maps the bundle's files (manifest and its signature first)
// to their place under dir.
func bundleLinks(b *media.Bundle, dir string, links map[string]string) {
	links[filepath.Join(dir, media.ManifestName)] = filepath.Join(b.Dir, media.ManifestName)
	if st, err := os.Lstat(filepath.Join(b.Dir, media.SignatureName)); err == nil && st.Mode().IsRegular() {
		links[filepath.Join(dir, media.SignatureName)] = filepath.Join(b.Dir, media.SignatureName)
	}
	for _, f := range b.Manifest.Files {
		links[filepath.Join(dir, f.Name)] = filepath.Join(b.Dir, f.Name)
	}
}

// linkAll applies linkOrCopy to every dst: src of links.
func linkAll(links map[string]string) error {
	for dst, src := range links {
		if err := linkOrCopy(src, dst); err != nil {
			return err
		}
	}
	return nil
}
