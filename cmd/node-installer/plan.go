package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"node-installer/installer"
	"node-installer/installer/media"
	"node-installer/internal/event"
)

func init() {
	commands["plan"] = command{summary: "print what a kernel command line would do on this machine (writes nothing)", run: runPlan}
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runPlan is `node-installer plan`. Exit status: 0 the plan has no
// problem, 1 it has problems (listed), 2 bad usage or unreadable facts.
func runPlan(args []string) int {
	return planMain(args, os.Stdout, os.Stderr)
}

func planMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cmdline := fs.String("cmdline", "", "kernel command line to plan (default: /proc/cmdline)")
	factsPath := fs.String("facts", "", "recorded machine profile (JSON) instead of probing this machine")
	saveFacts := fs.String("save-facts", "", "also write the facts used to this file (a new machine profile)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	mediaDir := fs.String("media", "", "media bundle (directory or http(s) URL) to plan with: the fit checks need its manifest")
	var disks, trustKeys multiFlag
	fs.Var(&trustKeys, "trust-key", "trusted public key file for --media's signature (repeatable; with the live system's "+media.TrustedKeysDir+")")
	fs.Var(&disks, "disk", "plan on this image file or block device instead of the machine's disks (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node-installer plan [--cmdline \"...\"] [--facts profile.json] [--disk IMAGE ...] [--media DIR|URL] [--trust-key KEY.pub ...] [--json] [--save-facts FILE]")
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "plan: unexpected argument %q (quote the command line: --cmdline \"...\")\n", fs.Arg(0))
		return 2
	}
	line, err := kernelCmdline(*cmdline, flagGiven(fs, "cmdline"))
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v (give --cmdline)\n", err)
		return 2
	}
	facts, err := planFacts(*factsPath, disks, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v\n", err)
		return 2
	}
	if *saveFacts != "" {
		if err := installer.SaveFacts(*saveFacts, facts); err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			return 2
		}
	}
	installer.MarkConfigVolumes(&facts)
	cfg, problems := loadConfig(line, &facts, trustKeys...)
	var mediaErr error
	var verdict string
	if *mediaDir != "" {
		// The signature policy depends on the action (an upgrade is
		// checked against the installed node's keys): plan first.
		trust, err := installer.MediaTrust(installer.MakePlan(cfg, facts), trustKeys, embeddedKeysDir)
		var b *media.Bundle
		if err == nil {
			b, err = autoOpenMedia(context.Background(), *mediaDir, "", trust)
		}
		if err != nil {
			mediaErr = err
		} else {
			facts.Media = &b.Manifest
			verdict = b.Verdict.String()
		}
	}
	p := installer.MakePlan(cfg, facts)
	if verdict != "" {
		p.Notes = append(p.Notes, "media "+event.RedactURL(*mediaDir)+": "+verdict)
	}
	p.Problems = append(problems, p.Problems...)
	if mediaErr != nil {
		p.Problems = append(p.Problems, installer.Problem{Field: "media", Arg: "--media", Value: *mediaDir, Msg: mediaErr.Error()})
	} else if facts.Media == nil && p.Action != installer.ActionUninstall && p.Action != installer.ActionInteractive {
		p.Notes = append(p.Notes, "media not read (give --media): whether the images fit is checked before the first write")
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			return 2
		}
	} else {
		pre, _ := installer.ParseCmdline(line)
		if src := answerSource(pre, &facts); src != "" {
			fmt.Fprintf(stdout, "answer file: %s\n", src)
		}
		fmt.Fprint(stdout, p.Text())
	}
	if !p.OK() {
		return 1
	}
	return 0
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// planFacts is machineFacts, saying on stderr what `plan` assumed.
func planFacts(path string, disks []string, stderr io.Writer) (installer.Facts, error) {
	return machineFacts(path, disks, prefixed{stderr, "plan: "})
}
