package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/storage"
	"node-installer/tui"
)

func init() {
	commands["demo"] = command{summary: "walk through an install on sparse image files (no root, no real disk)", run: runDemo}
}

// demoVersion is the version of the generated demo bundle.
const demoVersion = "4.5.0"

func runDemo(args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder for the image files and the bundle (default: a new temporary folder)")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	d, disks, err := prepareDemo(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-installer demo: %v\n", err)
		return 1
	}
	// The demo starts from the defaults: this machine's kernel command line
	// is not meant for the image files.
	// The demo bundle is signed with the published demo key: trust it
	// here only.
	key := filepath.Join(d, "demo-key.pub")
	if err := os.WriteFile(key, []byte(media.DemoKeys().Lines()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "node-installer demo: %v\n", err)
		return 1
	}
	s, err := newSession("", filepath.Join(d, "media"), disks, filepath.Join(d, "install.log"), key)
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-installer demo: %v\n", err)
		return 1
	}
	s.opts.Demo = true
	// The image files stand for the disks of a UEFI server: machineFacts
	// plans image files for UEFI.
	// The demo never touches the machine's network (nothing is sent) nor
	// its firmware boot entries (no EFI variables directory).
	s.opts.Backend.Ping = nil
	s.opts.Backend.Run = runEngine(s.bundle, s.opts.Config, filepath.Join(d, "install.log"), installer.RunOptions{EFIVarsDir: filepath.Join(d, "no-efivars")})
	out, err := tui.Run(s.opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-installer demo: %v\n", err)
		return 1
	}
	rc := afterTUI(out, true)
	self, _ := os.Executable()
	if self == "" {
		self = "node-installer"
	}
	fmt.Printf("\nThe demo's files are in %s:\n", d)
	for _, p := range disks {
		fmt.Printf("  %s\n", p)
	}
	fmt.Printf("  %s (media bundle)\n", filepath.Join(d, "media"))
	fmt.Printf("  %s (the install log)\n", filepath.Join(d, "install.log"))
	fmt.Printf("\nLook at the result with:\n  %s inspect %s\n", self, disks[0])
	fmt.Printf("Remove it with:\n  rm -r %s\n", d)
	return rc
}

// prepareDemo creates the folder, two sparse image files and the demo bundle.
func prepareDemo(dir string) (string, []string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "node-installer-demo-")
		if err != nil {
			return "", nil, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	// The boot disk fits the default layout with this machine's swap
	// formula; sparse files cost only what is written.
	boot := int64(32) << 30
	if need := (storage.SwapMiB(memBytes(), 0.5) + 16<<10) << 20; need > boot {
		boot = need
	}
	disks := []string{filepath.Join(dir, "disk1.img"), filepath.Join(dir, "disk2.img")}
	for i, size := range []int64{boot, 16 << 30} {
		f, err := os.OpenFile(disks[i], os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return "", nil, err
		}
		err = f.Truncate(size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", nil, fmt.Errorf("create %s: %w", disks[i], err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "media", "manifest.json")); err != nil {
		if err := media.BuildDemo(filepath.Join(dir, "media"), demoVersion); err != nil {
			return "", nil, err
		}
	}
	return dir, disks, nil
}
