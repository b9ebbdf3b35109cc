#!/bin/sh
# The package layering (docs/architecture.md): each line is a package
# pattern and the project packages it must not depend on, directly or not.
# `make lint` runs this; it prints every violation and fails on any.
set -eu
cd "$(dirname "$0")/.."
m=node-installer
fail=0
check() { # pattern, forbidden (extended regexp on import paths), why
	for p in $(go list "$m/$1"); do
		bad=$(go list -deps "$p" | grep -v "^$p\$" | grep -E "^$m/($2)(/|\$)" || true)
		if [ -n "$bad" ]; then
			echo "layering: $p must not depend on: $(echo $bad) ($3)"
			fail=1
		fi
	done
}
check 'internal/...' 'installer|storage|network|tui|cmd' 'internal packages are leaves'
check 'network/...' 'installer|storage|tui|cmd' 'the network knows nothing of disks or the installer'
check 'storage/...' 'installer|network|tui|cmd' 'storage knows nothing of the installer or the network'
check 'installer/media' 'installer|storage|network|tui|cmd' 'the media bundle is read without the engine'
check 'installer/...' 'tui|cmd' 'the engine does not know its front ends'
check 'tui/...' 'cmd' 'the TUI is wired by cmd, not the reverse'
exit $fail
