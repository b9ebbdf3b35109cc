package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"node-installer/storage"
)

// captureInspect runs the inspect command and returns its stdout.
func captureInspect(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	code := runInspect(args)
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out), code
}

func TestInspectCommand(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.img")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no disk", nil, 2, ""},
		{"empty image", []string{empty}, 0, "empty: 0 bytes"},
		{"missing image", []string{filepath.Join(dir, "nope")}, 1, "cannot read"},
		{"two disks", []string{empty, filepath.Join(dir, "nope")}, 1, "empty: 0 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := captureInspect(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
		})
	}
	out, code := captureInspect(t, "--json", empty)
	var reps []storage.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil || code != 0 || len(reps) != 1 || reps[0].Path != empty {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, out)
	}
}
