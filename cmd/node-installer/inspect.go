package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"node-installer/storage"
)

func init() {
	commands["inspect"] = command{summary: "read disks or image files: layout, installed versions per slot, default slot, health", run: runInspect}
}

// runInspect prints a report for each disk. Exit status: 0 when every
// disk could be read, 1 when one could not, 2 on a usage error.
func runInspect(args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the reports as a JSON array")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: node-installer inspect [--json] DISK...")
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var reports []storage.Report
	status := 0
	for _, p := range fs.Args() {
		r := storage.Inspect(p)
		if r.Error != "" {
			status = 1
		}
		reports = append(reports, r)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			fmt.Fprintln(os.Stderr, "inspect:", err)
			return 1
		}
		return status
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Println()
		}
		fmt.Print(r.Text())
	}
	return status
}
