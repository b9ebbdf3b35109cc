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
	if _, err := WipeDisks(context.Background(), set, nil); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), bystander.Path) {
		t.Fatalf("wipe with an unnamed installation: %v", err)
	}
	if fileSHA(t, node.Path) != nodeSHA || fileSHA(t, bystander.Path) != bystanderSHA {
		t.Fatal("a refused wipe wrote to a disk")
	}

	set = PlanWipeSet(storage.Choice{Boot: node, Data: []storage.Disk{named}}, []storage.Disk{node, named})
	rep, err := WipeDisks(context.Background(), set, nil)
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
