#!/bin/sh
# /init (PID 1) of the installer initramfs of the VM tests: mount the API
# filesystems, load the kernel modules in dependency order, wait for the
# virtio disks, then run node-installer. In "exec" mode the installer
# becomes PID 1 and powers the VM off itself (as on real media); in "child"
# mode (smoke tests) this script reports its exit code and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
# booted through UEFI: the EFI variables (firmware boot entries)
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
kver=$(uname -r)
while read -r m; do
  [ -n "$m" ] && { insmod "/lib/modules/$kver/$m" || echo "VMTEST: insmod $m failed"; }
done < /etc/modules.order
# virtio_blk probes asynchronously: give the disks a moment to appear
want=$(cat /etc/vmtest.disks 2>/dev/null || echo 0)
i=0
while [ "$(ls /sys/block | grep -c '^vd')" -lt "$want" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
# a PXE-style run: bring the NIC up as the live environment would
if [ -f /etc/vmtest.net ]; then
  read -r nic addr gw < /etc/vmtest.net
  i=0
  while [ ! -e "/sys/class/net/$nic" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  ip link set lo up && ip link set "$nic" up && ip addr add "$addr" dev "$nic" && ip route add default via "$gw" \
    && echo "VMTEST-INSTALLER-NET $nic $addr via $gw" || echo "VMTEST-INSTALLER-NET failed"
fi
echo "VMTEST-INSTALLER-INIT kernel=$kver modules=$(grep -c . /etc/modules.order) disks=[$(ls /sys/block | grep '^vd' | tr '\n' ' ' | sed 's/ $//')] uptime=$(cut -d' ' -f1 /proc/uptime)"
# a test's own setup inside the guest (e.g. a device-mapper holder)
[ -f /etc/vmtest.pre ] && . /etc/vmtest.pre
CMDLINE=$(cat /proc/cmdline)
export CMDLINE
eval "set -- $(cat /etc/vmtest.args)"
if [ "$(cat /etc/vmtest.mode)" = exec ]; then
  exec /bin/node-installer "$@"
fi
/bin/node-installer "$@"
echo "VMTEST-INSTALLER-EXIT rc=$?"
poweroff -f
