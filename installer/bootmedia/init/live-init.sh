#!/bin/sh
# /init (PID 1) of the live environment on the node-installer media:
# mount the API filesystems, load the kernel modules in dependency order,
# find the boot medium by its volume label (root=live:CDLABEL=...) and
# mount it read-only at /run/initramfs/live (the installer takes the
# bundle from there and never offers that device), then hand PID 1 to
# node-installer. "single" starts a rescue shell first. The bundle on
# the medium is checked against its manifest first (rd.live.check=0 skips). A PXE boot has no
# root=live: the bundle comes from node.media.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
kver=$(uname -r)
while read -r m; do
  [ -n "$m" ] && { insmod "/lib/modules/$kver/$m" 2>/dev/null || echo "live: insmod $m failed"; }
done < /etc/modules.order
label=
for a in $(cat /proc/cmdline); do
  case "$a" in
    root=live:CDLABEL=*) label=${a#root=live:CDLABEL=} ;;
    root=live:LABEL=*) label=${a#root=live:LABEL=} ;;
  esac
done
live=/run/initramfs/live
if [ -n "$label" ]; then
  mkdir -p "$live"
  found=
  i=0
  # USB and SCSI disks appear asynchronously: poll for 30 s
  while [ -z "$found" ] && [ $i -lt 150 ]; do
    for b in /sys/block/*; do
      d=/dev/${b##*/}
      case "${b##*/}" in loop*|ram*|zram*) continue ;; esac
      # the ISO 9660 volume id: 32 bytes at 32768+40
      id=$(dd if="$d" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' \000')
      if [ "$id" = "$label" ] && mount -t iso9660 -o ro "$d" "$live" 2>/dev/null; then
        found=$d
        break
      fi
    done
    [ -z "$found" ] && { sleep 0.2; i=$((i+1)); }
  done
  if [ -n "$found" ]; then
    echo "live: boot medium $found (label $label) mounted at $live"
    check=1
    for a in $(cat /proc/cmdline); do
      case "$a" in rd.live.check=0|rd.live.check=no|rd.live.check=off) check= ;; esac
    done
    # a damaged CD or stick (or a bundle changed after the build) is found
    # before the installer starts, so nothing is written from it
    if [ -n "$check" ] && [ -f "$live/node/manifest.json" ]; then
      echo "live: checking the medium's bundle against its manifest (rd.live.check=0 skips this)"
      if ! /bin/node-installer media verify "$live/node"; then
        echo "live: the boot medium is damaged or does not match its manifest: the installer is not started and nothing was written"
        echo "live: write the image again (or use another medium) and boot again; a shell follows"
        while :; do setsid -c sh -l || sh -l; sleep 1; done
      fi
    fi
  else
    echo "live: no boot medium with label $label found (the installer looks for node.media)"
  fi
fi
for a in $(cat /proc/cmdline); do
  if [ "$a" = single ]; then
    echo "live: rescue shell (exit it to start the installer)"
    setsid -c sh -l || sh -l
  fi
done
# on a VGA console, as in Anaconda and Debian's installer: a shell on tty2
# (Alt-F2) and the installer's log on tty3 (Alt-F3); skipped where the
# virtual terminals cannot be opened (a serial-only machine)
if (exec </dev/tty2) 2>/dev/null; then
  (while :; do setsid -c sh -l </dev/tty2 >/dev/tty2 2>&1; sleep 1; done) &
fi
if (exec >/dev/tty3) 2>/dev/null; then
  (log=/run/node-installer/install.log
   echo "live: the installer's log ($log) follows here" >/dev/tty3
   while [ ! -f "$log" ]; do sleep 1; done
   exec tail -n +1 -f "$log" >/dev/tty3 2>&1) &
fi
echo "live: starting node-installer uptime=$(cut -d' ' -f1 /proc/uptime)"
# node-installer takes the console (the last console=) as its controlling
# terminal itself: it stays PID 1
exec /bin/node-installer
