#!/bin/sh
# The work of an unattended install done with standard tools, for
# BenchmarkAutoVsScript: the installer's partition layout on an image
# file (sgdisk), a FAT32 ESP (mkfs.vfat) with the boot files (mcopy),
# three ext4 filesystems (mkfs.ext4), the root image into slot A (dd,
# fsync), and its SHA-256 read back from the image (sha256sum) checked
# against the manifest.
#   install-by-script.sh IMAGE BUNDLE ROOT_MIB
set -eu
img=$1 bundle=$2 root=$3
sgdisk -Z "$img" >/dev/null 2>&1 || true
sgdisk -n1:2048:+256M -t1:ef00 -c1:EFI \
	-n2:0:+"$root"M -t2:8304 -c2:RootA -n3:0:+"$root"M -t3:8304 -c3:RootB \
	-n4:0:+16M -t4:8300 -c4:Config -n5:0:+256M -t5:8300 -c5:Logging -n6:0:0 -t6:8306 -c6:Data "$img" >/dev/null
first() { sgdisk -i "$1" "$img" | awk '/^First sector/{print $3}'; }
sectors() { sgdisk -i "$1" "$img" | awk '/^Partition size/{print $3}'; }
mkfs.vfat -F 32 -s 1 -n NODE-EFI --offset "$(first 1)" "$img" $(( $(sectors 1) / 2 )) >/dev/null 2>&1
for p in 4 5 6; do
	mkfs.ext4 -q -F -E offset=$(( $(first $p) * 512 )) "$img" $(( $(sectors $p) / 2 ))k
done
esp="$img@@$(( $(first 1) * 512 ))"
export MTOOLS_SKIP_CHECK=1
for d in /EFI /EFI/BOOT /A; do mmd -i "$esp" "::$d"; done
mcopy -i "$esp" "$bundle/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$bundle/vmlinuz" "$bundle/initrd.img" ::/A/
size=$(stat -c %s "$bundle/root.squashfs")
off=$(( $(first 2) * 512 ))
dd if="$bundle/root.squashfs" of="$img" bs=4M seek="$off" oflag=seek_bytes conv=notrunc,fsync status=none
want=$(sed -n '/"root.squashfs"/,/}/s/.*"sha256": "\([0-9a-f]*\)".*/\1/p' "$bundle/manifest.json")
got=$(dd if="$img" bs=4M skip="$off" count="$size" iflag=skip_bytes,count_bytes status=none | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "root image: sha256 $got, manifest $want" >&2; exit 1; }
