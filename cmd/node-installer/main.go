// Command node-installer installs, upgrades, reinstalls and uninstalls the
// node OS image, interactively (TUI) or unattended from kernel arguments.
package main

import (
	"errors"
	"flag"
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
	noFlags bool // takes no flags: main answers -h/--help for it
}

var commands = map[string]command{
	"version": {summary: "print the version", run: func([]string) int { fmt.Println(version); return 0 }, noFlags: true},
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
	if c.noFlags && wantsHelp(args[1:]) {
		fmt.Printf("usage: node-installer %s\n\n%s\n", args[0], c.summary)
		return
	}
	os.Exit(c.run(args[1:]))
}

// wantsHelp tells whether args ask for usage (-h, -help, --help before "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses a subcommand's flags. stop says the command ends here
// with code: 0 after -h/--help (usage printed), 2 for bad flags.
func parseFlags(fs *flag.FlagSet, args []string) (code int, stop bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		return 2, true
	}
	return 0, false
}
