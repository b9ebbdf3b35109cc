#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing
# (as root with apt-get), and says so; otherwise lists what is missing.
set -euo pipefail
# command -> Debian package
declare -A need=(
  [qemu-system-x86_64]=qemu-system-x86 [mksquashfs]=squashfs-tools [cpio]=cpio
  [busybox]=busybox-static [sgdisk]=gdisk [sfdisk]=fdisk [mcopy]=mtools
  [fsck.vfat]=dosfstools [mkfs.ext4]=e2fsprogs [dnsmasq]=dnsmasq-base
  [tmux]=tmux [efibootmgr]=efibootmgr [losetup]=mount [ip]=iproute2 [blkid]=util-linux [zstd]=zstd
  [mkfs.xfs]=xfsprogs [mkfs.btrfs]=btrfs-progs [debugfs]=e2fsprogs [swapon]=mount [dmsetup]=dmsetup
  [xorriso]=xorriso [ssh-keygen]=openssh-client
)
# files (not commands) -> Debian package
declare -A needfile=( [/usr/share/ovmf/OVMF.fd]=ovmf [/usr/lib/ISOLINUX/isolinux.bin]=isolinux
  [/usr/lib/syslinux/modules/bios/menu.c32]=syslinux-common [/usr/lib/ISOLINUX/isohdpfx.bin]=isolinux )
missing=()
for c in "${!need[@]}"; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || [ -x "/sbin/$c" ] || missing+=("${need[$c]}")
done
for f in "${!needfile[@]}"; do [ -e "$f" ] || missing+=("${needfile[$f]}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test/deps.sh: installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "test/deps.sh: installed ${missing[*]}"
else
  echo "test/deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "test/deps.sh: run as root with apt-get, or install them: apt-get install ${missing[*]}" >&2
  exit 1
fi
