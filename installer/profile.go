package installer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// LoadFacts reads a recorded machine profile: the JSON of Facts, as
// `node-installer plan --save-facts` writes it. Unknown keys are errors
// (a misspelt key would silently change what a test plans against).
func LoadFacts(path string) (Facts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Facts{}, fmt.Errorf("load facts: %w", err)
	}
	var f Facts
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Facts{}, fmt.Errorf("load facts %s: %w", path, err)
	}
	if err := f.check(); err != nil {
		return Facts{}, fmt.Errorf("load facts %s: %w", path, err)
	}
	return f, nil
}

// SaveFacts writes f as a machine profile (indented JSON).
func SaveFacts(path string, f Facts) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	return nil
}

// check rejects profiles that no machine could have produced.
func (f Facts) check() error {
	if f.Firmware != "uefi" && f.Firmware != "bios" {
		return fmt.Errorf("firmware %q: want uefi or bios", f.Firmware)
	}
	if f.MemBytes <= 0 {
		return fmt.Errorf("mem_bytes %d: want the RAM size in bytes", f.MemBytes)
	}
	seen := map[string]bool{}
	for i, d := range f.Disks {
		switch {
		case d.Name == "" || d.Path == "":
			return fmt.Errorf("disks[%d]: name and path are required", i)
		case seen[d.Path]:
			return fmt.Errorf("disks[%d]: path %s listed twice", i, d.Path)
		case d.Size <= 0:
			return fmt.Errorf("disks[%d] %s: size %d: want bytes", i, d.Name, d.Size)
		case d.LogicalSector != 512 && d.LogicalSector != 4096 && d.LogicalSector != 2048:
			return fmt.Errorf("disks[%d] %s: logical_sector %d: want 512, 2048 or 4096", i, d.Name, d.LogicalSector)
		}
		seen[d.Path] = true
	}
	return nil
}
