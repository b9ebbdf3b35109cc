package passwd

import (
	"strings"
	"testing"
)

func TestStrength(t *testing.T) {
	for _, tt := range []struct {
		pw   string
		ok   bool
		word string
	}{
		{"short1A", false, "too short"},
		{"alllowercase", false, "too weak"},
		{"alllowercaseletters", true, "acceptable"}, // 16+ of one kind
		{"Abcdef12", true, "acceptable"},
		{"Abcdef12-xyz", true, "strong"},
	} {
		msg, ok := Strength(tt.pw)
		if ok != tt.ok || !strings.Contains(msg, tt.word) {
			t.Errorf("Strength(%q) = %q, %v; want %v and %q", tt.pw, msg, ok, tt.ok, tt.word)
		}
	}
}

func TestHashCheck(t *testing.T) {
	h, err := Hash("Secr3t-pass")
	if err != nil || !strings.HasPrefix(h, "$6$") {
		t.Fatalf("Hash = %q, %v", h, err)
	}
	h2, _ := Hash("Secr3t-pass")
	if h == h2 {
		t.Error("two hashes of one password are equal: no random salt")
	}
	for pw, want := range map[string]bool{"Secr3t-pass": true, "secr3t-pass": false, "": false} {
		if ok, err := Check(pw, h); ok != want || err != nil {
			t.Errorf("Check(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if _, err := Check("x", "not-a-hash"); err == nil {
		t.Error("Check against a non-hash: no error")
	}
}
