package installer

import (
	"os"
	"sort"
	"strings"
	"testing"

	"node-installer/internal/cmdline"
)

// TestEveryArgumentCovered: each argument the parser consumes appears in
// a valid table case, is named by an invalid table case, and is
// documented in docs/kernel-arguments.md. A new argument without tests
// or documentation fails here.
func TestEveryArgumentCovered(t *testing.T) {
	valid := map[string]bool{}
	for _, c := range validCases {
		for _, p := range cmdline.Tokenize(c.line) {
			if !p.Init {
				valid[p.Key] = true
			}
		}
	}
	invalid := map[string]bool{}
	for _, c := range invalidCases {
		invalid[c.arg] = true
	}
	doc, err := os.ReadFile("../docs/kernel-arguments.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(handlers))
	for k := range handlers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !valid[k] {
			t.Errorf("%s: no valid case in validCases", k)
		}
		if !invalid[k] {
			t.Errorf("%s: no invalid case in invalidCases", k)
		}
		if !strings.Contains(string(doc), "`"+k) {
			t.Errorf("%s: not in docs/kernel-arguments.md", k)
		}
	}
	if len(keys) < 55 {
		t.Errorf("only %d arguments handled; expected the whole SPEC §2 set", len(keys))
	}
}
