package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"node-installer/internal/event"
	"node-installer/storage"
)

func installed(version string, notFinished bool) storage.Disk {
	return storage.Disk{Name: "sda", Path: "/dev/sda", Size: 100 * gib, Table: "gpt",
		Installation: &storage.Installation{Product: "node", NotFinished: notFinished,
			Slots: []storage.Slot{{Name: "A", Version: version, Default: true}, {Name: "B", Version: "4.0.0"}}}}
}

func TestOptions(t *testing.T) {
	media := MediaInfo{Product: "node", Version: "4.5.0"}
	tests := []struct {
		name  string
		disks []storage.Disk
		want  []Choice
	}{
		{"empty machine", []storage.Disk{{Name: "sda", Size: 100 * gib}}, []Choice{ChoiceInstall}},
		{"older installed", []storage.Disk{installed("4.4.1", false)}, []Choice{ChoiceUpgrade, ChoiceReinstall, ChoiceUninstall}},
		{"newer installed", []storage.Disk{installed("4.6.0", false)}, []Choice{ChoiceDowngrade, ChoiceReinstall, ChoiceUninstall}},
		{"same installed", []storage.Disk{installed("4.5.0", false)}, []Choice{ChoiceRepair, ChoiceReinstall, ChoiceUninstall}},
		{"not finished", []storage.Disk{installed("4.4.1", true)}, []Choice{ChoiceReinstall, ChoiceUninstall}},
		{"skipped major refused in place", []storage.Disk{installed("2.0.0", false)}, []Choice{ChoiceReinstall, ChoiceUninstall}},
		{"installation on boot media ignored", []storage.Disk{func() storage.Disk { d := installed("4.4.1", false); d.BootMedia = true; return d }()}, []Choice{ChoiceInstall}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Choice
			for _, o := range options(detect(tc.disks), media) {
				got = append(got, o.Choice)
				if o.Help == "" || o.Label == "" {
					t.Errorf("option %s has no text", o.Choice)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("choices (-want +got):\n%s", d)
			}
		})
	}
	o := options(detect([]storage.Disk{installed("4.4.1", false)}), media)
	if !strings.Contains(o[0].Label, "4.4.1 -> 4.5.0") {
		t.Errorf("upgrade label %q does not show both versions", o[0].Label)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		d    storage.Disk
		want string
	}{
		{"blank", storage.Disk{}, "nothing (no partition table found)"},
		{"empty gpt", storage.Disk{Table: "gpt"}, "an empty GPT partition table"},
		{"whole-disk fs", storage.Disk{Signature: "xfs"}, "a whole-disk xfs filesystem"},
		{"partitions", storage.Disk{Table: "dos", Partitions: []storage.Partition{{Size: 1 * gib, FSType: "ext4", Label: "boot"}, {Size: 10 * gib, FSType: "LVM2_member"}}},
			`DOS partition table with 2 partition(s): 1.0 GiB ext4 "boot", 10.0 GiB LVM2_member`},
		{"installation", installed("4.4.1", true), "a node installation (slot A: 4.4.1, slot B: 4.0.0), not finished"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(tc.d); got != tc.want {
				t.Errorf("describe = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEligible(t *testing.T) {
	tests := []struct {
		name string
		d    storage.Disk
		want string
	}{
		{"ok", storage.Disk{Size: 100 * gib}, ""},
		{"boot media", storage.Disk{Size: 100 * gib, BootMedia: true}, "boot media"},
		{"read-only", storage.Disk{Size: 100 * gib, ReadOnly: true}, "read-only"},
		{"in use", storage.Disk{Size: 100 * gib, InUse: "mounted at /"}, "mounted at /"},
		{"raid member", storage.Disk{Size: 100 * gib, Holders: []string{"md0"}}, "md0"},
		{"tiny", storage.Disk{Size: 100 << 20}, "smaller than 1 GiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := eligible(tc.d)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("eligible = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFooterFromKeyTable(t *testing.T) {
	got := footerText([]action{actQuit, actNext, actBack})
	// Table order, not the order asked.
	if want := " [::r]F3[::-] Back  [::r]F10[::-] Next  [::r]Esc[::-] Quit"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
	for _, b := range keyTable {
		if !b.global {
			continue
		}
		for _, k := range b.keys {
			act, ok := lookup(newKey(k))
			if !ok || act != b.act {
				t.Errorf("key %v: lookup = %v %v, want %v", k, act, ok, b.act)
			}
		}
	}
}

func TestUTF8Locale(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"LANG": "C"}, false},
		{map[string]string{}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "de_DE.utf8"}, true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "C"}, false},
		{map[string]string{"LANG": "C", "LC_CTYPE": "C.UTF-8"}, true},
	}
	for _, tc := range tests {
		if got := utf8Locale(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("utf8Locale(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestEventQueueNeverBlocks: an engine emitting a flood while nobody
// drains must not stall, steps are kept and progress is coalesced.
func TestEventQueueNeverBlocks(t *testing.T) {
	q := newEventQueue(64)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			q.Emit(event.Event{Kind: event.Progress, Fraction: float64(i) / 100000})
			if i%1000 == 0 {
				q.Emit(event.Event{Kind: event.StepStarted, Step: "step"})
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Emit blocked without a reader")
	}
	evs := q.take()
	steps := 0
	for _, e := range evs {
		if e.Kind == event.StepStarted {
			steps++
		}
	}
	if steps != 100 {
		t.Errorf("kept %d step events, want all 100", steps)
	}
	if len(evs) > 64+100 {
		t.Errorf("queue grew to %d events: progress is not coalesced", len(evs))
	}
	if last := evs[len(evs)-1]; last.Kind != event.Progress || last.Fraction < 0.999 {
		t.Errorf("last event %+v, want the newest progress", last)
	}
}
