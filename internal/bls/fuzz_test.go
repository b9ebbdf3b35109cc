package bls

import "testing"

// FuzzEntry checks that any entry file parses without panicking, that a
// parsed entry renders to contents that parse back to the same entry, and
// that the version compare is antisymmetric.
func FuzzEntry(f *testing.F) {
	f.Add("node-B+3.conf", "title Node\nversion 1.0\nsort-key node-999998\nlinux /node/B/vmlinuz\ninitrd /node/B/initrd.img\noptions a b\n", "1.0~rc1", "1.0-2")
	f.Add("node-A+2-1.conf", "linux /x\noptions\tquiet\n", "abc", "123")
	f.Add("x.CONF", "", "", "~")
	f.Fuzz(func(t *testing.T, name, data, va, vb string) {
		base, left, done, ok := ParseName(name)
		if ok && left >= 0 {
			if b2, l2, d2, ok2 := ParseName(FileName(base, left, done)); !ok2 || b2 != base || l2 != left || d2 != done {
				t.Errorf("FileName(ParseName(%q)) does not round-trip: %q %d %d", name, b2, l2, d2)
			}
		}
		e, err := Parse(name, []byte(data))
		if err == nil {
			e2, err := Parse(name, e.Render())
			if err != nil || e2.Title != e.Title || e2.Version != e.Version || e2.SortKey != e.SortKey || e2.Linux != e.Linux || e2.Options != e.Options || len(e2.Initrd) != len(e.Initrd) {
				t.Errorf("render/parse of %q: %+v -> %+v (%v)", name, e, e2, err)
			}
		}
		if a, b := VerCmp(va, vb), VerCmp(vb, va); a != -b {
			t.Errorf("VerCmp(%q, %q) = %d but VerCmp(%q, %q) = %d", va, vb, a, vb, va, b)
		}
	})
}
