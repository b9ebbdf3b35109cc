#!/bin/sh
# /init of the installed node's initramfs (loaded by systemd-boot from the
# ESP): load modules, find the root slot named by root=PARTLABEL=<name>
# (GPT partition names from sysfs: no udev, no blkid needed), mount its
# squashfs read-only and switch_root into it.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
kver=$(uname -r)
while read -r m; do
  [ -n "$m" ] && { insmod "/lib/modules/$kver/$m" || echo "NODE-INITRD: insmod $m failed"; }
done < /etc/modules.order
fail() { echo "NODE-BOOT-FAILED $*"; poweroff -f; sleep 60; }
arg() { set -f; v=; for w in $(cat /proc/cmdline); do case "$w" in "$1="*) v=${w#*=} ;; esac; done; set +f; echo "$v"; }
# bylabel NAME: the /dev node of the partition whose GPT name is NAME
bylabel() {
  for u in /sys/class/block/*/uevent; do
    if grep -qx "PARTNAME=$1" "$u"; then echo "/dev/$(sed -n 's/^DEVNAME=//p' "$u")"; return 0; fi
  done
  return 1
}
root=$(arg root)
case "$root" in
  PARTLABEL=*) label=${root#PARTLABEL=}
    i=0; dev=
    while [ $i -lt 100 ]; do dev=$(bylabel "$label") && break; sleep 0.1; i=$((i+1)); done
    [ -n "$dev" ] || fail "no partition named $label" ;;
  /dev/*) dev=$root ;;
  *) fail "root=$root: want PARTLABEL=<name> or /dev/<node>" ;;
esac
echo "NODE-INITRD: slot=$(arg node.slot) root=$root dev=$dev"
mount -t squashfs -o ro "$dev" /sysroot || fail "cannot mount squashfs $dev ($root)"
mount --move /dev /sysroot/dev
umount /proc /sys
exec switch_root /sysroot /sbin/init
