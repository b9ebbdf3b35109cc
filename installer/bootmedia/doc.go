// Package bootmedia turns a media bundle into what a machine boots: a
// hybrid ISO (El Torito for BIOS via isolinux and for UEFI via
// systemd-boot on an embedded FAT image, and the same file written raw to
// a USB stick) and a PXE set (kernel, live initrd, an iPXE menu and the
// kernel arguments of each entry for other PXE loaders). The boot menu's
// entries are decided once, in menu.go, and rendered for every loader.
package bootmedia
