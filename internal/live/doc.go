// Package live builds the installer's live environment: it fetches Debian
// packages (apt-get download + dpkg -x, never installed) into a Cache keyed
// by their inputs, resolves kernel modules in load order, and writes the
// busybox initramfs (newc cpio) that runs the static node-installer as
// PID 1. `node-installer media build` and the VM test bed both use it.
package live
