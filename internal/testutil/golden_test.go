package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// golden against a file: equal passes, different fails, -update writes.
func TestGolden(t *testing.T) {
	p := filepath.Join(t.TempDir(), "testdata", "x.txt")
	*update = true
	Golden(t, p, "one\n")
	*update = false
	if b, _ := os.ReadFile(p); string(b) != "one\n" {
		t.Fatalf("-update wrote %q", b)
	}
	Golden(t, p, "one\n")
	ft := &testing.T{}
	done := make(chan bool)
	go func() {
		defer close(done)
		Golden(ft, p, "two\n")
	}()
	<-done
	if !ft.Failed() {
		t.Error("a different text passed")
	}
}
