package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"node-installer/installer"
	"node-installer/installer/bootmedia"
	"node-installer/installer/media"
	"node-installer/internal/live"
)

func init() {
	commands["media"] = command{summary: "media build|inspect|customize|verify: bootable hybrid ISO/USB image and PXE set from a media bundle", run: runMedia}
}

func runMedia(args []string) int {
	const use = "usage: node-installer media build --bundle DIR [--out DIR] [flags]\n" +
		"       node-installer media inspect ISO|PXEDIR [--json]\n" +
		"       node-installer media customize ISO|PXEDIR [--out ISO] [--answer FILE | --remove-answer] [--karg ARG]... [--remove-karg ARG]... [--ca PEM | --remove-ca] [--default ID] [--timeout S] [--pxe-base URL]\n" +
		"       node-installer media verify BUNDLE-DIR [--trust-key KEY.pub]...\n" +
		"(media SUBCOMMAND --help: the flags)"
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "build":
	case "inspect":
		return runMediaInspect(args[1:])
	case "customize":
		return runMediaCustomize(args[1:])
	case "verify":
		return runMediaVerify(args[1:])
	default:
		if wantsHelp(args) {
			fmt.Println(use)
			return 0
		}
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
	fs.StringVar(&s.Options.Default, "default", "", "default menu entry: install, install-serial, rescue, rescue-serial, automated, automated-serial")
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
	if !answerEmbeddable("media build", s.Answer) {
		return 2
	}
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

// answerEmbeddable tells (and says why not) whether the answer file to
// embed is one the live installer would read; "" is none.
func answerEmbeddable(cmd, path string) bool {
	if path == "" {
		return true
	}
	if ps := installer.CheckAnswerFile(path); len(ps) > 0 {
		fmt.Fprintf(os.Stderr, "%s: --answer %s: the installer would refuse it:\n%v\n", cmd, path, ps)
		return false
	}
	return true
}

// parseMediaFlags parses fs and takes the one ISO or PXE folder
// argument (before or after the flags); stop means return code.
func parseMediaFlags(fs *flag.FlagSet, args []string) (path string, code int, stop bool) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, args = args[0], args[1:]
	}
	if code, stop := parseFlags(fs, args); stop {
		return "", code, true
	}
	if path == "" && fs.NArg() == 1 {
		path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		path = ""
	}
	if path == "" {
		fmt.Fprintf(os.Stderr, "%s: name one image or folder\n", fs.Name())
		return "", 2, true
	}
	return path, 0, false
}

func runMediaInspect(args []string) int {
	fs := flag.NewFlagSet("media inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	path, code, stop := parseMediaFlags(fs, args)
	if stop {
		return code
	}
	info, err := bootmedia.Inspect(context.Background(), path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "media inspect: %v\n", err)
		return 1
	}
	if *asJSON {
		out, _ := json.MarshalIndent(info, "", "  ")
		fmt.Println(string(out))
		return 0
	}
	o := info.Options
	fmt.Printf("%s %s (%s)\n  product %s %s release %s, label %s\n  answer file embedded: %v, CA certificate embedded: %v\n  menu: default %s, timeout %d s, extra arguments %q\n",
		info.Kind, info.Path, o.Product+" "+o.Version, info.Bundle.Product, info.Bundle.Version, info.Bundle.Release, o.Label,
		o.Answer, o.CA, info.DefaultE, info.Timeout, o.Args)
	if info.Kind == "pxe" {
		fmt.Printf("  PXE base URL: %s\n", o.PXEBase)
	}
	fmt.Println("  entries:")
	for _, e := range info.Entries {
		mark := " "
		if e.ID == info.DefaultE {
			mark = "*"
		}
		fmt.Printf("  %s %-14s %s\n      %s\n", mark, e.ID, e.Title, strings.Join(e.Args, " "))
	}
	fmt.Println("  bundle files:")
	for _, f := range info.Bundle.Files {
		fmt.Printf("    %-22s %-10s %10d bytes sha256 %s\n", f.Name, f.Role, f.Size, f.SHA256)
	}
	return 0
}

func runMediaCustomize(args []string) int {
	fs := flag.NewFlagSet("media customize", flag.ContinueOnError)
	var c bootmedia.Change
	var add, remove stringList
	out := fs.String("out", "", "write the changed ISO here (default: replace the given one)")
	fs.StringVar(&c.Answer, "answer", "", "embed this answer file (adds the Automated install entries, the default)")
	fs.BoolVar(&c.RemoveAnswer, "remove-answer", false, "remove the embedded answer file")
	fs.StringVar(&c.CA, "ca", "", "embed these CA certificates (PEM) for https node.config and node.media")
	fs.BoolVar(&c.RemoveCA, "remove-ca", false, "remove the embedded CA certificates")
	fs.Var(&add, "karg", "add a kernel argument to every entry (repeatable)")
	fs.Var(&remove, "remove-karg", "remove an argument --karg added (repeatable)")
	def := fs.String("default", "", "default menu entry")
	timeout := fs.Int("timeout", -1, "menu timeout in seconds")
	base := fs.String("pxe-base", "", "PXE set: the URL it is served from (boot.ipxe's default ${base})")
	path, code, stop := parseMediaFlags(fs, args)
	if stop {
		return code
	}
	c.AddArgs, c.RemoveArgs = add, remove
	if !answerEmbeddable("media customize", c.Answer) {
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "default":
			c.Default = def
		case "timeout":
			c.Timeout = timeout
		case "pxe-base":
			c.PXEBase = base
		}
	})
	o, err := bootmedia.Customize(context.Background(), path, *out, c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "media customize: %v\n", err)
		return 1
	}
	dst := *out
	if dst == "" {
		dst = path
	}
	fmt.Printf("%s: default %s, timeout %d s, answer file %v, extra arguments %q\n", dst, o.DefaultID(), o.TimeoutSec(), o.Answer, o.Args)
	return 0
}

// runMediaVerify reads every file of a bundle folder once and checks it
// against the manifest: the live system runs it on its boot medium
// before the installer starts (a damaged CD or stick is found before
// anything is written).
func runMediaVerify(args []string) int {
	fs := flag.NewFlagSet("media verify", flag.ContinueOnError)
	var keys stringList
	fs.Var(&keys, "trust-key", "also check manifest.json.sig against this public key file (repeatable); refused when no key verifies it")
	path, code, stop := parseMediaFlags(fs, args)
	if stop {
		return code
	}
	start := time.Now()
	trust := media.Trust{Insecure: true} // no keys: the signature is only reported
	var err error
	if len(keys) > 0 {
		trust = media.Trust{KeysFrom: "--trust-key " + strings.Join(keys, ", ")}
		trust.Keys, err = media.LoadKeys(false, keys...)
	}
	var b *media.Bundle
	if err == nil {
		b, err = media.OpenTrusted(path, trust)
	}
	if err == nil {
		err = b.Verify()
	}
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(os.Stderr, "media verify: %s\n", l)
		}
		return 1
	}
	var total int64
	for _, f := range b.Manifest.Files {
		total += f.Size
	}
	fmt.Printf("media verify: %s: %s %s, %d files (%.1f MiB) match the manifest (%.1fs)\n", path, b.Manifest.Product, b.Manifest.Version,
		len(b.Manifest.Files), float64(total)/(1<<20), time.Since(start).Seconds())
	if len(keys) > 0 {
		fmt.Printf("media verify: manifest %s\n", b.Verdict)
	} else {
		fmt.Println("media verify: signature not checked (give --trust-key KEY.pub)")
	}
	return 0
}
