package live

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// ModuleDeps is modules.dep parsed: module path (relative to
// lib/modules/KVER) -> the paths it depends on, as depmod listed them.
type ModuleDeps struct {
	deps   map[string][]string
	byName map[string]string
}

// ModuleName normalises a module path or name: "kernel/fs/ext4/ext4.ko.xz"
// and "ext4" both give "ext4"; '-' and '_' are the same to the kernel.
func ModuleName(p string) string {
	n := path.Base(p)
	for _, ext := range []string{".xz", ".gz", ".zst"} {
		n = strings.TrimSuffix(n, ext)
	}
	n = strings.TrimSuffix(n, ".ko")
	return strings.ReplaceAll(n, "-", "_")
}

// ParseModulesDep reads a modules.dep file ("path: dep dep ...").
func ParseModulesDep(r io.Reader) (*ModuleDeps, error) {
	md := &ModuleDeps{deps: map[string][]string{}, byName: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("modules.dep line %d: want \"path: deps\", got %q", line, t)
		}
		md.deps[mod] = strings.Fields(rest)
		md.byName[ModuleName(mod)] = mod
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.dep: %w", err)
	}
	return md, nil
}

// LoadOrder returns the module paths to insmod, dependencies first, each
// once, for the wanted module names. A name prefixed with '?' is optional
// (skipped when absent, e.g. built into this kernel); builtin lists names
// built into the kernel, which are skipped too. busybox modprobe ignores
// softdeps, so soft dependencies (crc32c for ext4) must be named by callers.
func (md *ModuleDeps) LoadOrder(want []string, builtin map[string]bool) ([]string, error) {
	var order []string
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, d := range md.deps[p] {
			visit(d)
		}
		order = append(order, p)
	}
	var missing []string
	for _, w := range want {
		optional := strings.HasPrefix(w, "?")
		name := ModuleName(strings.TrimPrefix(w, "?"))
		p, ok := md.byName[name]
		switch {
		case ok:
			visit(p)
		case builtin[name] || optional:
		default:
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("kernel modules not found in modules.dep nor built in: %s", strings.Join(missing, ", "))
	}
	return order, nil
}

// ParseBuiltin reads modules.builtin (one module path a line) into names.
func ParseBuiltin(r io.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			out[ModuleName(t)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.builtin: %w", err)
	}
	return out, nil
}
