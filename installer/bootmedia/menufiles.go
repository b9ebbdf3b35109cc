package bootmedia

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"node-installer/storage/esp"
)

// writeISOTexts writes the ISO tree's own menu files for o: isolinux's
// menu and StateName.
func writeISOTexts(root string, o Options) error {
	state, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	for name, text := range map[string]string{
		filepath.Join("isolinux", "isolinux.cfg"): IsolinuxCfg(o),
		StateName: string(state) + "\n",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeEFIMenu replaces systemd-boot's menu in the EFI image: loader.conf
// and exactly the entries of o (stale ones removed). ca, when set, is
// the CA initrd to put there; without o.CA the CA initrd is removed.
func writeEFIMenu(img string, o Options, ca []byte) error {
	st, err := os.Stat(img)
	if err != nil {
		return err
	}
	fs, err := esp.Open(img, 0, st.Size(), 512)
	if err != nil {
		return err
	}
	defer fs.Close()
	if err := fs.MkdirAll("/loader/entries"); err != nil {
		return err
	}
	want := map[string]string{}
	for i, e := range Entries(o) {
		want[e.ID+".conf"] = LoaderEntry(o, e, i)
	}
	old, err := fs.List("/loader/entries")
	if err != nil {
		return err
	}
	for _, n := range old {
		if _, ok := want[n]; !ok {
			if err := fs.Remove("/loader/entries/" + n); err != nil {
				return fmt.Errorf("EFI image: remove entry %s: %w", n, err)
			}
		}
	}
	want["../loader.conf"] = LoaderConf(o)
	if !o.CA {
		if _, err := fs.ReadFile(LiveCA); err == nil {
			if err := fs.Remove(LiveCA); err != nil {
				return fmt.Errorf("EFI image: remove %s: %w", LiveCA, err)
			}
		}
	} else if ca != nil {
		if err := fs.WriteFile(LiveCA, bytes.NewReader(ca), int64(len(ca))); err != nil {
			return fmt.Errorf("EFI image %s: %w", LiveCA, err)
		}
	}
	for n, text := range want {
		p := filepath.Clean("/loader/entries/" + n)
		if cur, err := fs.ReadFile(p); err == nil && string(cur) == text {
			continue // unchanged: customize twice writes nothing more
		}
		if err := fs.WriteFile(p, bytes.NewReader([]byte(text)), int64(len(text))); err != nil {
			return fmt.Errorf("EFI image %s: %w", p, err)
		}
	}
	return nil
}
