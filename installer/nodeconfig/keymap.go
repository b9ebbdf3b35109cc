package nodeconfig

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// LoadKeymap loads the console keymap name live with kbd's loadkeys, so
// what the admin types next (a password) uses it; the installer's TUI
// and the setup console's Keyboard page share it. Without loadkeys (a
// live system without kbd) the keymap applies from the next boot on.
func LoadKeymap(ctx context.Context, name string) error {
	if name == "" || strings.ContainsAny(name, "/ \t") || strings.HasPrefix(name, "-") {
		return fmt.Errorf("keymap %q: expected a keymap name such as us, de or fr", name)
	}
	bin, err := exec.LookPath("loadkeys")
	if err != nil {
		return fmt.Errorf("loadkeys is not on this system: the keymap %s applies from the next boot on", name)
	}
	out, err := exec.CommandContext(ctx, bin, "-q", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("loadkeys %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
