package installer

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"node-installer/storage"
)

// Two installers on one disk, planned at the same moment (both saw it
// empty) and started with a random offset: every pair ends with exactly
// one installation and a clean refusal for the other ("busy" while the
// first runs, "changed since the plan" after it), on loop devices as
// root, else on image files. Before, both succeeded and the later one
// silently overwrote the first (8 of 8 pairs).
func TestTwoInstallersOneDisk(t *testing.T) {
	pairs := 12
	if testing.Short() {
		pairs = 4
	}
	deadline := time.Now().Add(3 * time.Minute)
	loop := os.Geteuid() == 0
	busy, changed := 0, 0
	for i := range pairs {
		if time.Now().After(deadline) {
			t.Logf("time budget spent after %d pairs", i)
			break
		}
		fx := newInstallFixtureOn(t, 3072, loop)
		disk := fx.layout.Disks[0].Disk
		plan := Plan{Action: ActionInstall, Config: fx.cfg, Layout: fx.layout, Choice: storage.Choice{Boot: disk}, BootParams: fx.cfg.BootParams}
		offset := time.Duration(rand.IntN(600)) * time.Millisecond
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if k == 1 {
					time.Sleep(offset)
				}
				errs[k] = RunWith(context.Background(), plan, fx.bundle, nil, RunOptions{EFIVarsDir: "/nonexistent"})
			}()
		}
		wg.Wait()
		ok := 0
		for k, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrRefused) && strings.Contains(err.Error(), "busy: another installer holds "+fx.disk):
				busy++
			case errors.Is(err, ErrRefused) && strings.Contains(err.Error(), "changed since the plan was made"):
				changed++
			default:
				t.Errorf("pair %d (offset %v), run %d: %v", i, offset, k, err)
			}
		}
		if ok != 1 {
			t.Errorf("pair %d (offset %v): %d runs succeeded, want exactly 1: %v", i, offset, ok, errs)
		}
		if rep := storage.Inspect(fx.disk); rep.Installation == nil || len(rep.Problems) > 0 {
			t.Errorf("pair %d: after the pair:\n%s", i, rep.Text())
		}
	}
	t.Logf("refusals: %d busy, %d changed since the plan", busy, changed)
}

// Without a writable ClaimDir (no root) the claim falls back to a private
// folder instead of failing every install onto an image file.
func TestClaimFallbackDir(t *testing.T) {
	old := ClaimDir
	t.Cleanup(func() { ClaimDir = old })
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	ClaimDir = filepath.Join(blocker, "claims") // cannot be made: a file is in the way
	img := filepath.Join(t.TempDir(), "disk.img")
	os.WriteFile(img, make([]byte, 4096), 0o600)
	f, err := claimOne(img, "install")
	if err != nil {
		t.Fatalf("claim without ClaimDir: %v", err)
	}
	defer f.Close()
	if _, err := claimOne(img, "install"); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Errorf("second claim in the fallback folder: %v", err)
	}
}
