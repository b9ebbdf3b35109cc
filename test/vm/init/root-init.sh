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
# The Config partition contract (docs/setup.md): /etc becomes writable
# (a tmpfs holding the image's /etc) and every group folder of the
# Config partition is laid over it; NODE-CONFIG shows what took effect.
apply_config() {
  mount -t tmpfs tmpfs /run && mkdir /run/etc && cp -a /etc/. /run/etc/ && mount --bind /run/etc /etc || {
    echo "NODE-ROOT: cannot make /etc writable"; return; }
  for g in network security keyboard logging kdump storage monitoring management; do
    [ -d "/mnt/config/$g/etc" ] && cp -a "/mnt/config/$g/etc/." /etc/
  done
  f() { [ -f "$1" ] && sed -n "s/^$2//p" "$1" | head -n1; }
  echo "NODE-CONFIG hostname=$(f /etc/hostname '') sshd_pwauth=$(f /etc/ssh/sshd_config.d/50-node-installer.conf 'PasswordAuthentication ') syslog=$(f /etc/rsyslog.d/50-node-installer.conf '\*\.\* @@') keymap=$(f /etc/vconsole.conf 'KEYMAP=')"
}
hostname=-
if cfg=$(bylabel Config); then
  if mount -t ext4 -o ro "$cfg" /mnt/config; then
    apply_config
    if grep -qw nodetest.setup /proc/cmdline && [ -x /bin/node-installer ] && [ ! -e /mnt/config/.nodetest-setup-done ]; then
      # the node's setup console on this (serial) console, as an admin
      # would start it, on the first boot only; the Config partition
      # read-write under it
      mount -o remount,rw /mnt/config
      : > /mnt/config/.nodetest-setup-done
      echo "NODE-SETUP-START"
      # its own session with the console as controlling terminal (/dev/tty)
      TERM=vt100 LANG=C.UTF-8 setsid -c /bin/node-installer setup --config-dir /mnt/config --esp /nonexistent
      echo "NODE-SETUP-EXIT rc=$?"
      sync
    fi
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
