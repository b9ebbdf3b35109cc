package installer

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"node-installer/internal/event"
	"node-installer/storage"
)

// raceCase is one kind of pair of installers on one disk, both planned
// before either starts (both judged the disk as it was then).
type raceCase struct {
	name          string
	first, second Action
	installed     bool // the disk holds an installation before the pair
	// when the second starts: "offset" (a random offset from the first's
	// start), "running" (a random delay after the first emitted its
	// partition step: it holds the claim) or "after" (once the first ended)
	start string
}

var raceCases = []raceCase{
	{"install+install", ActionInstall, ActionInstall, false, "offset"},
	{"install+install/after", ActionInstall, ActionInstall, false, "after"},
	{"install+reinstall/running", ActionInstall, ActionReinstall, false, "running"},
	{"reinstall+reinstall", ActionReinstall, ActionReinstall, true, "offset"},
	{"reinstall+reinstall/after", ActionReinstall, ActionReinstall, true, "after"},
}

// Two installers on one disk: every pair ends with exactly one
// installation and a clean refusal for the other before it writes
// ("busy: another installer holds ... since ..." while the first runs,
// "changed since the plan was made" after it), and a reinstall started
// while an install runs never breaks the install. On loop devices as
// root, else on image files; a few dozen pairs with random offsets,
// bounded in time. Before the claim, both runs of 8 of 8 pairs succeeded
// and the later one overwrote the first; before the fingerprint, a second
// reinstall planned on the same installation overwrote the first's.
func TestTwoInstallersOneDisk(t *testing.T) {
	rounds := 6
	if testing.Short() {
		rounds = 1
	}
	deadline := time.Now().Add(3 * time.Minute)
	loop := os.Geteuid() == 0
	busy, changed, pairs := 0, 0, 0
	for r := range rounds {
		for _, rc := range raceCases {
			if time.Now().After(deadline) {
				t.Logf("time budget spent after %d pairs", pairs)
				break
			}
			pairs++
			t.Run(rc.name, func(t *testing.T) {
				b, c := runRacePair(t, rc, loop, r)
				busy, changed = busy+b, changed+c
			})
		}
	}
	t.Logf("%d pairs; refusals: %d busy, %d changed since the plan", pairs, busy, changed)
	if pairs >= len(raceCases) && (busy == 0 || changed == 0) {
		t.Errorf("the pairs never met one of the refusals (busy %d, changed %d)", busy, changed)
	}
}

// runRacePair runs one pair on a fresh disk and checks its outcome.
func runRacePair(t *testing.T, rc raceCase, loop bool, round int) (busy, changed int) {
	fx := newInstallFixtureOn(t, 3072, loop)
	secrets := RunOptions{EFIVarsDir: "/nonexistent", Secrets: &Host{AdminPW: engTestHash}}
	if rc.installed {
		if err := RunWith(context.Background(), racePlan(t, fx, ActionInstall), fx.bundle, nil, secrets); err != nil {
			t.Fatalf("the first installation: %v", err)
		}
	}
	plans := []Plan{racePlan(t, fx, rc.first), racePlan(t, fx, rc.second)}
	var delay time.Duration
	switch rc.start {
	case "offset":
		delay = time.Duration(rand.IntN(300)) * time.Millisecond
	case "running":
		delay = time.Duration(rand.IntN(400)) * time.Millisecond
	}
	partitioning := make(chan struct{})
	var once sync.Once
	sink := event.SinkFunc(func(e event.Event) {
		if e.Kind == event.StepStarted && e.Step == "partition" {
			once.Do(func() { close(partitioning) })
		}
	})
	errs := make([]error, 2)
	first := make(chan struct{})
	go func() {
		defer close(first)
		errs[0] = RunWith(context.Background(), plans[0], fx.bundle, sink, secrets)
	}()
	switch rc.start {
	case "offset":
		time.Sleep(delay)
	case "running":
		select {
		case <-partitioning:
		case <-first:
			t.Fatalf("the first run ended before partitioning: %v", errs[0])
		}
		time.Sleep(delay)
	case "after":
		<-first
	}
	errs[1] = RunWith(context.Background(), plans[1], fx.bundle, nil, secrets)
	<-first
	ok := 0
	for k, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrRefused) && strings.Contains(err.Error(), "busy: another installer holds "+fx.disk+" (") &&
			strings.Contains(err.Error(), " since "):
			busy++
		case errors.Is(err, ErrRefused) && strings.Contains(err.Error(), fx.disk+" changed since the plan was made"):
			changed++
		default:
			t.Errorf("round %d, delay %v, run %d (%s): %v (exit %d)", round, delay, k, plans[k].Action, err, ExitCode(err))
		}
		if err != nil && ExitCode(err) != ExitInvalid {
			t.Errorf("run %d refused with exit %d, want %d (refused before writing)", k, ExitCode(err), ExitInvalid)
		}
	}
	if ok != 1 {
		t.Errorf("round %d, delay %v: %d runs succeeded, want exactly 1: %v", round, delay, ok, errs)
	}
	if rc.start != "offset" && errs[0] != nil {
		t.Errorf("the first run, which started alone, failed: %v", errs[0])
	}
	if rep := storage.Inspect(fx.disk); rep.Installation == nil || rep.Installation.NotFinished || len(rep.Problems) > 0 {
		t.Errorf("after the pair:\n%s", rep.Text())
	}
	return busy, changed
}

// racePlan plans action on the fixture's disk as it is now.
func racePlan(t *testing.T, fx *installFixture, action Action) Plan {
	t.Helper()
	cfg := fx.cfg
	cfg.Action = action
	d := storage.Reread(fx.layout.Disks[0].Disk)
	p := MakePlan(cfg, Facts{Firmware: "uefi", MemBytes: 1 << 30, Disks: []storage.Disk{d}})
	if !p.OK() {
		t.Fatalf("plan %s: %v", action, p.Problems)
	}
	return p
}

// A user without root installs onto an image file: the claim lives in a
// private folder of theirs (they may not write /run). Before, every such
// run failed with "mkdir /run/node-installer/claims: permission denied".
// Run as root, the test runs itself as nobody.
func TestClaimWithoutRoot(t *testing.T) {
	if img := os.Getenv("NODE_INSTALLER_CLAIM_IMAGE"); img != "" {
		f, err := claimOne(img, "install")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("runs a copy of itself as nobody: needs root")
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		os.Chmod(d, 0o755)
	}
	bin := filepath.Join(dir, "installer.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(img, 0o666)
	cmd := exec.Command(bin, "-test.run=^TestClaimWithoutRoot$")
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o1777)
	cmd.Env = append(os.Environ(), "NODE_INSTALLER_CLAIM_IMAGE="+img, "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("claim as nobody: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(tmp, "node-installer-claims-65534")); err != nil {
		t.Errorf("no private claim folder: %v", err)
	}
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
