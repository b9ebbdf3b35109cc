package vm

import (
	"fmt"

	"node-installer/installer/media"
)

// ReadManifest opens the bundle in dir with the installer's own media
// reader (manifest checked, files present with their sizes) and returns
// its manifest.
func ReadManifest(dir string) (media.Manifest, error) {
	b, err := media.Open(dir)
	if err != nil {
		return media.Manifest{}, fmt.Errorf("test bundle: %w", err)
	}
	return b.Manifest, nil
}
