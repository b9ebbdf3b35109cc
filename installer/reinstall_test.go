package installer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/storage"
)

func TestWipeDisks(t *testing.T) {
	dir := t.TempDir()
	v1 := makeBundle(t, filepath.Join(dir, "v1"), "1.1.0", 3<<20)
	node := makeInstalled(t, filepath.Join(dir, "node"), v1)
	named := makeForeign(t, filepath.Join(dir))
	bystander := makeInstalled(t, filepath.Join(dir, "bystander"), v1)
	bystanderSHA := fileSHA(t, bystander.Path)

	// The installation on the bystander disk is not named: refused, nothing written.
	nodeSHA := fileSHA(t, node.Path)
	set := PlanWipeSet(storage.Choice{Boot: node, Data: []storage.Disk{named}}, []storage.Disk{node, named, bystander})
	if _, err := WipeDisks(context.Background(), set, UninstallOptions{}, nil); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), bystander.Path) {
		t.Fatalf("wipe with an unnamed installation: %v", err)
	}
	if fileSHA(t, node.Path) != nodeSHA || fileSHA(t, bystander.Path) != bystanderSHA {
		t.Fatal("a refused wipe wrote to a disk")
	}

	set = PlanWipeSet(storage.Choice{Boot: node, Data: []storage.Disk{named}}, []storage.Disk{node, named})
	rep, err := WipeDisks(context.Background(), set, UninstallOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []storage.Disk{node, named} {
		after, err := storage.ProbeImage(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		if after.Table != "" || len(after.Partitions) != 0 {
			t.Errorf("%s after the wipe: table %q partitions %v", d.Path, after.Table, after.Partitions)
		}
		if !strings.Contains(rep.Text(), d.Path+": partition-table backup GPT") {
			t.Errorf("report lacks %s's backup GPT:\n%s", d.Path, rep.Text())
		}
	}
	if fileSHA(t, bystander.Path) != bystanderSHA {
		t.Error("the disk outside the set changed")
	}
}

// A reinstall's progress: the wipe is its first tenth, the install the
// rest; the bar never goes back (it jumped to the end of the wipe and
// then sat there) and ends at 1.
func TestReinstallProgress(t *testing.T) {
	fx := newInstallFixtureOn(t, 3072, false)
	secrets := RunOptions{EFIVarsDir: "/nonexistent", Secrets: &Host{AdminPW: engTestHash}}
	if err := RunWith(context.Background(), racePlan(t, fx, ActionInstall), fx.bundle, nil, secrets); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := RunWith(context.Background(), racePlan(t, fx, ActionReinstall), fx.bundle, rec, secrets); err != nil {
		t.Fatal(err)
	}
	rec.checkFractions(t)
	for _, e := range rec.events {
		if e.Step == "wipe-table" && e.Fraction > wipeShare {
			t.Errorf("wipe step at %.3f, beyond its share %.2f", e.Fraction, wipeShare)
		}
		if e.Step == "partition" && e.Fraction < wipeShare {
			t.Errorf("install step at %.3f, before the wipe's end %.2f", e.Fraction, wipeShare)
		}
	}
}
