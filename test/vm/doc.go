// Package vm is the virtual-machine test bed of the end-to-end tests: it
// builds the bootable test media bundle (Debian's cloud kernel, a busybox
// node initramfs, a squashfs OS image that prints one marker line,
// systemd-boot) and the installer initramfs (busybox, kernel modules,
// mkfs tools, the static node-installer and the bundle), makes reference
// disks, and runs qemu with a hard timeout and a kept serial log.
//
// Downloads (apt-get download + dpkg -x, never installed) and builds are
// cached by their inputs (see Cache), so only the first run on a machine
// pays for them. See docs/testing.md.
package vm
