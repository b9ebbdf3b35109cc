package bootmedia

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestChangeApply(t *testing.T) {
	answer := filepath.Join(t.TempDir(), "answer.yaml")
	if err := os.WriteFile(answer, []byte("network:\n  hostname: n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	base := Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0", Args: []string{"panic=-1"}}
	withAnswer := base
	withAnswer.Answer, withAnswer.Default = true, "automated-serial"
	for _, c := range []struct {
		name    string
		from    Options
		change  Change
		want    Options
		wantErr string // substring; "" for success
	}{
		{"nothing", base, Change{}, base, ""},
		{"embed answer", base, Change{Answer: answer}, Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0", Answer: true, Args: []string{"panic=-1"}}, ""},
		{"add and remove args, twice is once", base, Change{AddArgs: []string{"node.keymap=de", "node.keymap=de"}, RemoveArgs: []string{"panic=-1"}},
			Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0", Args: []string{"node.keymap=de"}}, ""},
		{"default and timeout", base, Change{Default: str("rescue-serial"), Timeout: num(1)},
			Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0", Args: []string{"panic=-1"}, Default: "rescue-serial", Timeout: 1}, ""},
		{"remove answer drops an automated default", withAnswer, Change{RemoveAnswer: true}, base, ""},
		{"pxe base", base, Change{PXEBase: str("http://10.0.2.2:8080/node/")},
			Options{Product: "node", Version: "1.0.0", Label: "NODE_1_0_0", Args: []string{"panic=-1"}, PXEBase: "http://10.0.2.2:8080/node"}, ""},
		{"both answer flags", base, Change{Answer: answer, RemoveAnswer: true}, base, "--answer and --remove-answer"},
		{"missing answer", base, Change{Answer: answer + ".gone"}, base, "--answer " + answer + ".gone: not a readable file"},
		{"remove unknown arg", base, Change{RemoveArgs: []string{"quiet"}}, base, `--remove-karg "quiet": not among`},
		{"bad arg", base, Change{AddArgs: []string{"a b"}}, base, `--karg "a b"`},
		{"automated default without answer", base, Change{Default: str("automated")}, base, `--default "automated": no such entry`},
		{"bad timeout", base, Change{Timeout: num(-2)}, base, "--timeout -2"},
		{"pxe base not a URL", base, Change{PXEBase: str("tftp://x")}, base, "--pxe-base"},
		{"pxe base with a space", base, Change{PXEBase: str("http://x/a b")}, base, "--pxe-base"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.change.Apply(c.from)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one with %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestInspectRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{text, "not an ISO 9660 image"},
		{dir, "not a PXE set of media build"},
		{filepath.Join(dir, "gone.iso"), "no such file"},
	} {
		if _, err := Inspect(t.Context(), c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Inspect(%s): %v, want %q", c.path, err, c.want)
		}
		if _, err := Customize(t.Context(), c.path, "", Change{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Customize(%s): %v, want %q", c.path, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused runs left files: %v", entries)
	}
}
