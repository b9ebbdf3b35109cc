package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"node-installer/installer/bootmedia"
	"node-installer/internal/live"
)

func init() {
	commands["media"] = command{summary: "media build: a bootable hybrid ISO/USB image and a PXE set from a media bundle", run: runMedia}
}

func runMedia(args []string) int {
	const use = "usage: node-installer media build --bundle DIR [--out DIR] [flags]   (media build --help: the flags)"
	if wantsHelp(args) && (len(args) == 0 || args[0] != "build") {
		fmt.Println(use)
		return 0
	}
	if len(args) == 0 || args[0] != "build" {
		fmt.Fprintln(os.Stderr, use)
		return 2
	}
	fs := flag.NewFlagSet("media build", flag.ContinueOnError)
	var s bootmedia.Spec
	var extra stringList
	fs.StringVar(&s.Bundle, "bundle", "", "media bundle folder (manifest.json and its files)")
	fs.StringVar(&s.Out, "out", "out/media", "output folder: <product>-<version>.iso and pxe/")
	fs.StringVar(&s.Binary, "installer", "", "static node-installer for the live environment (default: this program)")
	fs.StringVar(&s.Answer, "answer", "", "answer file to embed: adds the Automated install entry, the default")
	fs.StringVar(&s.Flavor, "kernel-flavor", "amd64", "Debian kernel flavour of the live environment (amd64; cloud-amd64 for VMs only)")
	fs.StringVar(&s.PXEBase, "pxe-base", "http://boot.example.org/node", "URL the PXE set is served from (boot.ipxe's default ${base})")
	fs.StringVar(&s.Options.Default, "default", "", "default menu entry: install, install-serial, rescue, rescue-serial, auto, auto-serial")
	fs.IntVar(&s.Options.Timeout, "timeout", 0, "menu timeout in seconds (default 5)")
	fs.Var(&extra, "karg", "kernel argument added to every entry (repeatable)")
	var keys stringList
	fs.Var(&keys, "trust-key", "public key file (KEY.pub, or a folder of *.pub) the live system trusts; the bundle must be signed by one (repeatable: rotation)")
	fs.BoolVar(&s.RequireConfigSignature, "require-config-signature", false, "the live system requires a signed node.config (node.config_signature=required by default)")
	if code, stop := parseFlags(fs, args[1:]); stop {
		return code
	}
	if s.Bundle == "" {
		fmt.Fprintln(os.Stderr, "media build: --bundle DIR is required")
		return 2
	}
	s.Options.Args = extra
	s.TrustKeys = keys
	if s.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(os.Stderr, "media build: --installer: %v\n", err)
			return 2
		}
		s.Binary = exe
	}
	s.Cache, s.Log = live.DefaultCache(), os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bootmedia.Build(ctx, s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "media build: %v\n", err)
		return 1
	}
	fmt.Printf("iso:    %s\npxe:    %s\nkernel: %s\n", res.ISO, res.PXE, res.Kernel)
	return 0
}
