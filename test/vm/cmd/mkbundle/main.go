// Command mkbundle builds the bootable test media bundle (Debian's cloud
// kernel, a busybox node initramfs, a squashfs image printing a marker
// line, systemd-boot, manifest.json) into OUT, and optionally an installer
// initramfs carrying a static node-installer and that bundle:
//
//	go run ./test/vm/cmd/mkbundle [-version 1.0.0] [-installer bin/node-installer] OUT
//
// The bundle is signed (manifest.json.sig) with the published test key;
// OUT/test-key.pub is its public half.
//
// Downloads and builds are cached (see docs/testing.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"node-installer/installer/media"
	"node-installer/test/vm"
)

func main() {
	version := flag.String("version", "1.0.0", "version of the OS image (printed by its marker line)")
	release := flag.String("release", "1", "release of the bundle")
	product := flag.String("product", "node", "product name of the bundle")
	cacheDir := flag.String("cache", vm.DefaultCache().Dir, "cache folder of downloads and builds")
	installer := flag.String("installer", "", "static node-installer binary: also write OUT/installer-initrd.img and OUT/installer-vmlinuz")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkbundle [flags] OUT\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := build(ctx, flag.Arg(0), vm.Cache{Dir: *cacheDir}, vm.BundleSpec{Product: *product, Version: *version, Release: *release}, *installer); err != nil {
		fmt.Fprintf(os.Stderr, "mkbundle: %v\n", err)
		os.Exit(1)
	}
}

func build(ctx context.Context, out string, c vm.Cache, spec vm.BundleSpec, installer string) error {
	t0 := time.Now()
	tc, err := vm.Prepare(ctx, c)
	if err != nil {
		return err
	}
	fmt.Printf("kernel %s (%s), systemd-boot %s: %.1fs\n", tc.Kernel.Package, tc.Kernel.Version, tc.SystemdBoot, time.Since(t0).Seconds())
	bundle, err := tc.Bundle(ctx, spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	m, err := vm.ReadManifest(bundle)
	if err != nil {
		return err
	}
	for _, f := range append([]media.File{{Name: media.ManifestName}, {Name: media.SignatureName}}, m.Files...) {
		if err := copyFile(filepath.Join(bundle, f.Name), filepath.Join(out, f.Name)); err != nil {
			return err
		}
	}
	// The public half of the key the bundle is signed with, for
	// media build --trust-key.
	if err := os.WriteFile(filepath.Join(out, TestKeyName), []byte(vm.TestKeys().Lines()), 0o644); err != nil {
		return err
	}
	fmt.Printf("bundle %s %s-%s in %s (signed, key %s): %.1fs\n", m.Product, m.Version, m.Release, out, TestKeyName, time.Since(t0).Seconds())
	if installer == "" {
		return nil
	}
	initrd, err := tc.InstallerInitrd(ctx, vm.InstallerSpec{Binary: installer, Bundle: bundle, Exec: true, Disks: 1})
	if err != nil {
		return err
	}
	if err := copyFile(initrd, filepath.Join(out, "installer-initrd.img")); err != nil {
		return err
	}
	if err := copyFile(tc.Kernel.Vmlinuz(), filepath.Join(out, "installer-vmlinuz")); err != nil {
		return err
	}
	fmt.Printf("installer initramfs %s (media at %s): %.1fs\n", filepath.Join(out, "installer-initrd.img"), vm.MediaPath, time.Since(t0).Seconds())
	return nil
}

// TestKeyName is the trusted key file written beside the bundle's files.
const TestKeyName = "test-key.pub"

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
