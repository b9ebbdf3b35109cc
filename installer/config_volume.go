package installer

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"node-installer/internal/event"
)

// An answer file may come on a volume of its own (a USB stick, a small
// partition, a virtual CD) instead of node.config=: the filesystem is
// labelled ConfigVolumeLabel and holds ConfigVolumeFile at its root. It
// is only looked for when node.config is not given.
const (
	ConfigVolumeLabel = "NODECFG"
	ConfigVolumeFile  = "node-config.yaml"
)

// configVolume is one filesystem labelled ConfigVolumeLabel.
type configVolume struct {
	name    string   // for messages: /dev/sdb1, disk.img partition 1
	mounted string   // its mount point, when already mounted
	mount   []string // mount(8) arguments (source and options) otherwise
}

// configVolumes finds the volumes labelled ConfigVolumeLabel in facts.
func configVolumes(f Facts) []configVolume {
	var vols []configVolume
	for _, d := range f.Disks {
		st, err := os.Stat(d.Path)
		device := err == nil && st.Mode()&os.ModeDevice != 0
		if d.Signature != "" && d.Label == ConfigVolumeLabel {
			v := configVolume{name: d.Path, mount: []string{"-o", "ro", d.Path}}
			if !device {
				v.mount = []string{"-o", "ro,loop", d.Path}
			}
			vols = append(vols, v)
		}
		for _, p := range d.Partitions {
			if p.Label != ConfigVolumeLabel {
				continue
			}
			v := configVolume{name: fmt.Sprintf("%s partition %d", d.Path, p.Number), mounted: p.Mounted}
			if dev := "/dev/" + p.Name; p.Name != "" && device && exists(dev) {
				v.name, v.mount = dev, []string{"-o", "ro", dev}
			} else {
				// no partition device (an image file, or a kernel that did
				// not scan the table): a loop device over the range
				v.mount = []string{"-o", "ro,loop,offset=" + strconv.FormatInt(p.Start, 10) + ",sizelimit=" + strconv.FormatInt(p.Size, 10), d.Path}
			}
			vols = append(vols, v)
		}
	}
	return vols
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// read returns ConfigVolumeFile from the volume, mounting it read-only in
// a temporary folder for the time of the read when it is not mounted.
func (v configVolume) read() ([]byte, error) {
	dir := v.mounted
	if dir == "" {
		tmp, err := os.MkdirTemp("", "nodecfg-")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		if out, err := exec.Command("mount", append(v.mount, tmp)...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mount read-only: %v: %s", err, strings.TrimSpace(string(out)))
		}
		defer exec.Command("umount", tmp).Run()
		dir = tmp
	}
	f, err := os.Open(filepath.Join(dir, ConfigVolumeFile))
	if err != nil {
		return nil, fmt.Errorf("no %s at its root: %w", ConfigVolumeFile, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, answerMax+1))
	if err == nil && len(data) > answerMax {
		err = fmt.Errorf("%s is larger than %d bytes", ConfigVolumeFile, answerMax)
	}
	return data, err
}

// MarkConfigVolumes makes the disks holding a NODECFG volume unusable for
// the install (whatever reinstall or node.wipe say): the answer file's
// medium is never wiped by the run it configures.
func MarkConfigVolumes(f *Facts) {
	for i, d := range f.Disks {
		has := d.Signature != "" && d.Label == ConfigVolumeLabel
		for _, p := range d.Partitions {
			has = has || p.Label == ConfigVolumeLabel
		}
		if has && d.InUse == "" {
			f.Disks[i].InUse = "holds the " + ConfigVolumeLabel + " answer file volume"
		}
	}
}

// AnswerSource says where LoadConfig takes the answer file from, for the
// log: node.config (secrets masked), the NODECFG volume, or "".
func AnswerSource(cfg Config, f *Facts) string {
	if cfg.Unattended.ConfigURL != "" {
		return "node.config=" + event.RedactURL(event.Redact(cfg.Unattended.ConfigURL))
	}
	if f == nil {
		return ""
	}
	if vols := configVolumes(*f); len(vols) == 1 {
		return ConfigVolumeFile + " on the " + ConfigVolumeLabel + " volume " + vols[0].name
	}
	return ""
}
