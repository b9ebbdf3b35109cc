// Command node-installer installs, upgrades, reinstalls and uninstalls the
// node OS image, interactively (TUI) or unattended from kernel arguments.
package main

import (
	"fmt"
	"os"
	"sort"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand; each lives in its own file and registers here.
type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{
	"version": {"print the version", func([]string) int { fmt.Println(version); return 0 }},
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: node-installer COMMAND [ARGS]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		if c, ok := commands["default"]; ok {
			os.Exit(c.run(nil))
		}
		usage()
		os.Exit(2)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "node-installer: unknown command %q\n", args[0])
		usage()
		os.Exit(2)
	}
	os.Exit(c.run(args[1:]))
}
