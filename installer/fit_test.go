package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/installer/media"
	"node-installer/storage"
)

// bigRootBundle is a demo bundle whose root image is grown (sparse) to
// size bytes; its hash no longer matches, which no refused run reads.
func bigRootBundle(t *testing.T, size int64) *media.Bundle {
	t.Helper()
	b := engDemoBundle(t)
	m := b.Manifest
	for i, f := range m.Files {
		if f.Role == media.RoleRootfs {
			if err := os.Truncate(filepath.Join(b.Dir, f.Name), size); err != nil {
				t.Fatal(err)
			}
			m.Files[i].Size = size
		}
	}
	if err := media.WriteManifest(b.Dir, m); err != nil {
		t.Fatal(err)
	}
	big, err := media.Open(b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return big
}

// The fault study's data loss: install, then `reinstall storage_vol=::1024`
// with a root image a little over 1 GiB. The plan made with the manifest
// refuses it, and the engine refuses a plan made without it, before the
// wipe: the installation stays, byte for byte.
func TestReinstallThatDoesNotFitWritesNothing(t *testing.T) {
	fx := newInstallFixture(t, 8192) // sparse; room for the default volumes
	if err := Install(context.Background(), fx.spec, fx.bundle, nil, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	disk, err := storage.ProbeImage(fx.disk)
	if err != nil {
		t.Fatal(err)
	}
	if disk.Installation == nil {
		t.Fatal("the probe finds no installation after the install")
	}
	before := headsSHA(t, fx.disk, disk)
	cfg, ps := ParseCmdline("reinstall storage_init=" + fx.disk + " storage_vol=::1024 adminpw=" + engTestHash)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	facts := Facts{Firmware: "uefi", MemBytes: 1 << 30, Disks: []storage.Disk{disk}}
	big := bigRootBundle(t, 1<<30+4<<20)

	plain := MakePlan(cfg, facts)
	if !plain.OK() {
		t.Fatalf("the plan without media has problems: %v", plain.Problems)
	}
	if boot, ok := bootLayout(plain.Layout); !ok {
		t.Fatal("no boot disk in the layout")
	} else if p, _ := partitionNamed(boot, "RootA"); p.Size*uint64(boot.SectorSize) != 1<<30 {
		t.Fatalf("RootA is %d sectors, the test wants a 1 GiB slot", p.Size)
	}

	facts.Media = &big.Manifest
	withMedia := MakePlan(cfg, facts)
	if withMedia.OK() || !strings.Contains(withMedia.Problems.Error(), "does not fit slot RootA") {
		t.Fatalf("the plan with the manifest: problems %v, want the fit refusal", withMedia.Problems)
	}
	if !strings.Contains(withMedia.Text(), "media: ") {
		t.Errorf("the plan text does not name the media:\n%s", withMedia.Text())
	}

	err = RunWith(context.Background(), plain, big, nil, RunOptions{Secrets: &cfg.Host})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "does not fit slot RootA") {
		t.Fatalf("RunWith = %v, want a refusal naming the slot", err)
	}
	if ExitCode(err) != ExitInvalid {
		t.Errorf("exit code %d, want %d (nothing written)", ExitCode(err), ExitInvalid)
	}
	if headsSHA(t, fx.disk, disk) != before {
		t.Fatal("the refused reinstall wrote to the disk")
	}
}

// headsSHA hashes what a wipe or a reinstall writes first: both GPTs (the
// first and last MiB) and the first MiB of every partition. (fileSHA's
// extent map of a freshly made 8 GiB image moves under writeback.)
func headsSHA(t *testing.T, path string, d storage.Disk) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	offs := []int64{0, d.Size - 1<<20}
	for _, p := range d.Partitions {
		offs = append(offs, p.Start)
	}
	for _, off := range offs {
		if _, err := io.Copy(h, io.NewSectionReader(f, off, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
