package installer

import (
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		nums    [4]int
		release string
		wantErr string
	}{
		{name: "three parts", in: "4.5.1", nums: [4]int{4, 5, 1}},
		{name: "two parts", in: "4.5", nums: [4]int{4, 5}},
		{name: "one part", in: "7", nums: [4]int{7}},
		{name: "four parts", in: "1.2.3.4", nums: [4]int{1, 2, 3, 4}},
		{name: "leading v", in: "v2.0.0", nums: [4]int{2}},
		{name: "release", in: "4.6.0-1.el9", nums: [4]int{4, 6}, release: "1.el9"},
		{name: "spaces trimmed", in: " 1.0.0\n", nums: [4]int{1}},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "five parts", in: "1.2.3.4.5", wantErr: "at most 4"},
		{name: "word", in: "latest", wantErr: "not a non-negative number"},
		{name: "empty part", in: "1..2", wantErr: "part 2"},
		{name: "empty release", in: "1.0-", wantErr: "empty release"},
		{name: "plus sign", in: "1.+2", wantErr: "part 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseVersion(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if v.Nums != tt.nums || v.Release != tt.release {
				t.Errorf("ParseVersion(%q) = %v release %q, want %v release %q", tt.in, v.Nums, v.Release, tt.nums, tt.release)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"4.5.1", "4.5.1", 0},
		{"4.5", "4.5.0", 0},
		{"4.5.10", "4.5.9", 1},
		{"4.10.0", "4.9.9", 1},
		{"5.0.0", "4.99.99", 1},
		{"1.0.0", "1.0.0.1", -1},
		{"1.0.0-2", "1.0.0-1", 1},
		{"1.0.0-10", "1.0.0-9", 1},
		{"1.0.0-1", "1.0.0", 1},
		{"1.0.0-1.el9", "1.0.0-1.el10", -1},
		{"1.0.0-1", "1.0.0-rc1", 1},
		{"1.0.0-01", "1.0.0-1", 0},
		{"1.0.0-1.1", "1.0.0-1", 1},
		{"v1.2.3", "1.2.3", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			a, err := ParseVersion(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseVersion(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := CompareVersions(a, b); got != tt.want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareVersions(b, a); got != -tt.want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestClassifyVersions(t *testing.T) {
	tests := []struct {
		name      string
		installed string
		media     string
		want      VersionChange
		confirm   bool
		reasonHas string
	}{
		{name: "patch upgrade", installed: "4.5.1", media: "4.5.2", want: ChangeUpgrade, reasonHas: "newer"},
		{name: "next major", installed: "1.0.0", media: "2.0.0", want: ChangeUpgrade},
		{name: "release upgrade", installed: "4.5.1-1", media: "4.5.1-2", want: ChangeUpgrade},
		{name: "skipped major", installed: "4.5.1", media: "6.0.0", want: ChangeRefused, reasonHas: "upgrade to 5.x first"},
		{name: "same", installed: "4.5.1", media: "4.5.1", want: ChangeSame, reasonHas: "image is rewritten"},
		{name: "same spelled differently", installed: "4.5", media: "v4.5.0", want: ChangeSame},
		{name: "minor downgrade", installed: "4.6.0", media: "4.5.9", want: ChangeDowngrade, confirm: true, reasonHas: "node.allow_downgrade"},
		{name: "major downgrade", installed: "5.0.0", media: "4.9.9", want: ChangeRefused, reasonHas: "never done in place"},
		{name: "bad installed", installed: "", media: "1.0", want: ChangeRefused, reasonHas: "installed version is empty"},
		{name: "bad media", installed: "1.0", media: "x", want: ChangeRefused, reasonHas: "media version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ClassifyVersions(tt.installed, tt.media)
			if d.Change != tt.want || d.NeedsConfirmation != tt.confirm {
				t.Fatalf("ClassifyVersions(%q, %q) = %+v, want change %s confirm %v", tt.installed, tt.media, d, tt.want, tt.confirm)
			}
			if !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reasonHas)
			}
		})
	}
}

// FuzzClassifyVersions checks that parsing never panics, that comparison
// is antisymmetric and that a classification always has a reason.
func FuzzClassifyVersions(f *testing.F) {
	f.Add("4.5.1", "4.6.0-1.el9")
	f.Add("v1", "1.0.0.0")
	f.Add("2.0-rc1", "2.0-1")
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseVersion(a)
		vb, errB := ParseVersion(b)
		if errA == nil && errB == nil && CompareVersions(va, vb) != -CompareVersions(vb, va) {
			t.Errorf("CompareVersions(%q, %q) not antisymmetric", a, b)
		}
		if d := ClassifyVersions(a, b); d.Reason == "" || (errA != nil || errB != nil) && d.Change != ChangeRefused {
			t.Errorf("ClassifyVersions(%q, %q) = %+v", a, b, d)
		}
	})
}
