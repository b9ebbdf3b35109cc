package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
	"node-installer/storage"
)

// installedFixture is an image file holding an installation of the demo
// 2.0.1 (installed by `auto`), and a media directory to upgrade from.
func installedFixture(t *testing.T) autoFixture {
	t.Helper()
	fx := newAutoFixture(t)
	if code, out := fx.run(t, "storage_init="+fx.disk+smallVols); code != installer.ExitOK {
		t.Fatalf("install: exit %d:\n%s", code, out)
	}
	return fx
}

func (fx autoFixture) upgrade(t *testing.T, mediaDir string, flags ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args := append([]string{"--media", mediaDir, "--disk", fx.disk, "--log", fx.log}, flags...)
	code := upgradeMain(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func slotVersions(t *testing.T, disk string) map[string]string {
	t.Helper()
	rep := storage.Inspect(disk)
	if rep.Installation == nil {
		t.Fatalf("no installation on %s:\n%s", disk, rep.Text())
	}
	v := map[string]string{}
	for _, s := range rep.Installation.Slots {
		v[s.Name] = s.Version
		if s.Default {
			v["default"] = s.Name
		}
	}
	return v
}

// TestUpgradeCommand: `upgrade --json` from a bundle directory writes
// the inactive slot and makes it the default, the events streaming as
// JSON lines on stdout; a second upgrade goes back into the first slot.
func TestUpgradeCommand(t *testing.T) {
	fx := installedFixture(t)
	v2 := filepath.Join(fx.dir, "v2")
	if err := media.BuildDemo(v2, "2.1.0"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := fx.upgrade(t, v2, "--json")
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	var kinds []event.Kind
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line %q is not a JSON event: %v", sc.Text(), err)
		}
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) == 0 || kinds[len(kinds)-1] != event.Done {
		t.Errorf("events %v, want the last one %q", kinds, event.Done)
	}
	if !strings.Contains(out, `"step":"write-slot"`) || !strings.Contains(out, `"step":"commit"`) {
		t.Errorf("no write-slot/commit steps in the stream:\n%s", out)
	}
	if v := slotVersions(t, fx.disk); v["A"] != "2.0.1" || v["B"] != "2.1.0" || v["default"] != "B" {
		t.Errorf("after upgrade %v, want A 2.0.1, B 2.1.0 the default", v)
	}
}

// TestUpgradeRefusals: every refusal exits 3, names why, and leaves the
// disk's bytes as they were.
func TestUpgradeRefusals(t *testing.T) {
	fx := installedFixture(t)
	build := func(name, product, version string) string {
		d := filepath.Join(fx.dir, name)
		if err := media.BuildDemo(d, version); err != nil {
			t.Fatal(err)
		}
		if product != "" {
			if err := media.Create(d, product, version, "demo"); err != nil {
				t.Fatal(err)
			}
			if err := media.SignBundle(d, media.DemoSigner()); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	// An image one sector larger than the inactive slot.
	big := build("big", "", "2.1.0")
	probed, err := storage.ProbeImage(fx.disk)
	if err != nil {
		t.Fatal(err)
	}
	var slotB int64
	for _, p := range probed.Partitions {
		if p.PartLabel == "RootB" {
			slotB = p.Size
		}
	}
	if slotB == 0 {
		t.Fatalf("no RootB on %s", fx.disk)
	}
	if err := os.Truncate(filepath.Join(big, media.DefaultNames[media.RoleRootfs]), slotB+512); err != nil {
		t.Fatal(err)
	}
	if err := media.Create(big, media.DemoProduct, "2.1.0", "demo"); err != nil {
		t.Fatal(err)
	}
	if err := media.SignBundle(big, media.DemoSigner()); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(fx.dir, "blank.img")
	if err := os.WriteFile(blank, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blank, 4<<30); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, media, disk string
		flags             []string
		want              string
	}{
		{"older without --allow-downgrade", build("old", "", "2.0.0"), fx.disk, nil, "allow_downgrade"},
		{"same version without --force", build("same", "", "2.0.1"), fx.disk, nil, "--force"},
		{"another product", build("other", "Other OS", "2.1.0"), fx.disk, nil, "Other OS"},
		{"not an installation", build("new", "", "2.1.0"), blank, nil, "no disk holds an installation"},
		{"slot too small", big, fx.disk, nil, "RootB"},
		{"major skip", build("major", "", "4.0.0"), fx.disk, []string{"--force"}, "skips a major version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := diskDigest(t, tc.disk)
			var out, errOut bytes.Buffer
			args := append([]string{"--media", tc.media, "--disk", tc.disk, "--log", fx.log}, tc.flags...)
			code := upgradeMain(args, &out, &errOut)
			if code != installer.ExitInvalid {
				t.Errorf("exit %d, want %d:\n%s\n%s", code, installer.ExitInvalid, out.String(), errOut.String())
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, tc.want) {
				t.Errorf("output does not name %q:\n%s", tc.want, all)
			}
			if after := diskDigest(t, tc.disk); after != before {
				t.Errorf("the disk changed (SHA-256 of its extents %s -> %s)", before, after)
			}
		})
	}
}

// TestUpgradeOverHTTP: the media from a loopback HTTP server, verified
// while it streams, as a manager serving the bundle would run it.
func TestUpgradeOverHTTP(t *testing.T) {
	fx := installedFixture(t)
	v2 := filepath.Join(fx.dir, "v2")
	if err := media.BuildDemo(v2, "2.1.0"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(v2)))
	defer srv.Close()
	code, out, errOut := fx.upgrade(t, srv.URL+"/")
	if code != installer.ExitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if v := slotVersions(t, fx.disk); v["B"] != "2.1.0" || v["default"] != "B" {
		t.Errorf("after upgrade %v, want B 2.1.0 the default", v)
	}
}
