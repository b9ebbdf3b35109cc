//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"node-installer/test/vm"
)

// configRE is the test image's line of the settings that took effect
// after it laid the Config partition over /etc (test/vm/init/root-init.sh).
var configRE = regexp.MustCompile(`^NODE-CONFIG hostname=(\S*) sshd_pwauth=(\S*) syslog=(\S*) keymap=(\S*)$`)

// TestSetupConfigPersists: the settings of an install (hostname,
// ssh_pwauth, syslog) take effect on the booted node through the Config
// partition contract; `node-installer config set` on the Config partition
// changes them, the next boot has the new values, and so has the boot
// after an upgrade to v2.
func TestSetupConfigPersists(t *testing.T) {
	e := setup(t)
	needOVMF(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts the Config partition of the installed image through a loop device")
	}
	t.Parallel()
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := vm.CreateSparse(disk, 20*vm.GiB); err != nil {
		t.Fatal(err)
	}
	e.install(t, "storage_init=/dev/vda adminpw="+adminHash+" hostname=node1.example.org ssh_pwauth=0 syslog=logs.example.org keyboard=de", []vm.Disk{{Path: disk}})
	_, got := boot(t, vm.Machine{Name: "config-boot1", UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute}, configRE)
	if want := []string{"node1.example.org", "no", "logs.example.org:514", "de"}; strings.Join(got[0][1:], " ") != strings.Join(want, " ") {
		t.Errorf("after the install: %q, want %v", got[0][0], want)
	}

	// change the settings on the Config partition, as the node's setup does
	dir := mountConfig(t, disk)
	facts := filepath.Join(t.TempDir(), "facts.json")
	if err := os.WriteFile(facts, []byte(`{"firmware":"uefi","mem_bytes":4294967296,"nics":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	start := time.Now()
	out, err := exec.Command(e.binary, "config", "set", "--root", root, "--config-dir", dir, "--facts", facts,
		"hostname=node2.example.org", "ssh_pwauth=1", "syslog=", "keyboard=fr").CombinedOutput()
	if err != nil {
		t.Fatalf("config set: %v\n%s", err, out)
	}
	t.Logf("timing: config set %.3fs\n%s", time.Since(start).Seconds(), out)
	umountConfig(t, dir)
	_, got = boot(t, vm.Machine{Name: "config-boot2", UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute}, configRE,
		regexp.MustCompile(`^NODE-MARKER version=\S+ slot=A hostname=node2\.example\.org$`))
	want := []string{"node2.example.org", "yes", "", "fr"}
	if strings.Join(got[0][1:], " ") != strings.Join(want, " ") {
		t.Errorf("after config set: %q, want %v", got[0][0], want)
	}

	// an upgrade to v2 keeps every setting
	lcMust(t, e.lcInstaller(t, "config-upgrade", e.bundles[v2], "upgrade", []vm.Disk{{Path: disk}}, 5*time.Minute))
	_, got = boot(t, vm.Machine{Name: "config-boot-v2", UEFI: true, Disks: []vm.Disk{{Path: disk}}, Timeout: 3 * time.Minute}, configRE,
		regexp.MustCompile(`^NODE-MARKER version=`+regexp.QuoteMeta(v2)+` slot=B hostname=node2\.example\.org$`))
	if strings.Join(got[0][1:], " ") != strings.Join(want, " ") {
		t.Errorf("after the upgrade to %s: %q, want %v", v2, got[0][0], want)
	}
}

// mountConfig mounts the image's Config partition (GPT partition 4) on a
// temporary folder through a loop device over its byte range (this host
// kernel makes no partition nodes); the cleanup undoes it.
func mountConfig(t *testing.T, disk string) string {
	t.Helper()
	info := sh(t, "sgdisk", "-i", "4", disk)
	first, last := sectorOf(t, info, "First sector"), sectorOf(t, info, "Last sector")
	if !strings.Contains(info, "'Config'") {
		t.Fatalf("partition 4 is not Config:\n%s", info)
	}
	loop := strings.TrimSpace(sh(t, "losetup", "-f", "--show", "-o", strconv.FormatInt(first*512, 10),
		"--sizelimit", strconv.FormatInt((last-first+1)*512, 10), disk))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", loop).Run() })
	dir := t.TempDir()
	sh(t, "mount", "-t", "ext4", loop, dir)
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

func umountConfig(t *testing.T, dir string) {
	t.Helper()
	sh(t, "umount", dir)
}

func sectorOf(t *testing.T, info, field string) int64 {
	t.Helper()
	m := regexp.MustCompile(field + `: (\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no %s in:\n%s", field, info)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}
