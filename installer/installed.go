package installer

import (
	"fmt"
	"os/exec"
	"path"
	"strings"

	"node-installer/storage"
)

// InstalledAdminHash reads the admin password hash of the installation on
// d from its Config partition (shadow.d/admin) with debugfs: e2fsprogs
// opens the filesystem at a byte offset inside the disk or image, so
// nothing is mounted and nothing written. The TUI's Current password
// page checks against it.
func InstalledAdminHash(d storage.Disk) (string, error) {
	for _, p := range d.Partitions {
		if p.PartLabel != string(storage.VolConfig) {
			continue
		}
		dev := fmt.Sprintf("%s?offset=%d", d.Path, p.Start)
		out, err := exec.Command("debugfs", "-R", "cat "+path.Join("/", ConfigShadowDir, AdminUser), dev).Output()
		if err != nil {
			return "", fmt.Errorf("debugfs %s: %w", dev, err)
		}
		h := strings.TrimSpace(string(out))
		if h == "" {
			return "", fmt.Errorf("%s: no admin password on the Config partition", d.Path)
		}
		return h, nil
	}
	return "", fmt.Errorf("%s has no Config partition", d.Path)
}
