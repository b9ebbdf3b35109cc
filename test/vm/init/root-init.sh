#!/bin/sh
# /sbin/init of the test OS image (the squashfs in a root slot): print ONE
# marker line with the image's version, the slot it booted from and the
# hostname the installer wrote to the Config partition, then power off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
. /etc/node-release
arg() { set -f; v=; for w in $(cat /proc/cmdline); do case "$w" in "$1="*) v=${w#*=} ;; esac; done; set +f; echo "$v"; }
bylabel() {
  for u in /sys/class/block/*/uevent; do
    if grep -qx "PARTNAME=$1" "$u"; then echo "/dev/$(sed -n 's/^DEVNAME=//p' "$u")"; return 0; fi
  done
  return 1
}
hostname=-
if cfg=$(bylabel Config); then
  if mount -t ext4 -o ro "$cfg" /mnt/config; then
    [ -s /mnt/config/hostname ] && hostname=$(head -n1 /mnt/config/hostname)
    umount /mnt/config
  else
    echo "NODE-ROOT: cannot mount Config ($cfg)"
  fi
else
  echo "NODE-ROOT: no partition named Config"
fi
echo "NODE-MARKER version=$VERSION slot=$(arg node.slot) hostname=$hostname"
echo "NODE-ROOT: kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)s cmdline=$(cat /proc/cmdline)"
# Mark this boot good, as systemd-bless-boot does on the node: rename the
# boot-counted entry node-<slot>+N[-M].conf to node-<slot>.conf on the ESP.
slot=$(arg node.slot)
if esp=$(bylabel EFI) && mount -t vfat "$esp" /mnt/config; then
  for e in /mnt/config/loader/entries/node-$slot+*.conf; do
    [ -e "$e" ] && mv "$e" "/mnt/config/loader/entries/node-$slot.conf" && echo "NODE-BLESSED ${e##*/}"
  done
  umount /mnt/config
  sync
fi
poweroff -f
