#!/bin/bash
# make demo-vm: boots the media's ISO in qemu with two blank disks and the
# serial console in this terminal: the boot menu, the TUI (on the serial
# line), the install, and the installed node's first boot (the installer
# adds a firmware boot entry: the variable store persists in DIR).
# Usage: test/demo-vm.sh ISO [DIR]   (quit qemu with Ctrl-A X)
# NODE_VM_ACCEL=kvm uses KVM where it works (default tcg: slower, always works).
set -euo pipefail
iso=${1:?usage: $0 ISO [DIR]}
dir=${2:-out/demo-vm}
bin=${NODE_INSTALLER:-bin/node-installer}
code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$iso" "$bin" "$code" "$vars"; do
  [ -e "$f" ] || { echo "demo-vm: $f is missing (make media; make deps installs ovmf and qemu)" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "demo-vm: qemu-system-x86_64 is missing (make deps)" >&2; exit 2; }
mkdir -p "$dir"
# a copy of the ISO whose default entry is the serial console's Install
# or Upgrade (this terminal is the serial line); the built one is left alone
"$bin" media customize "$iso" --out "$dir/demo.iso" --default install-serial --timeout 10 >/dev/null
for d in disk1 disk2; do
  [ -e "$dir/$d.img" ] || truncate -s 20G "$dir/$d.img"
done
[ -e "$dir/vars.fd" ] || cp "$vars" "$dir/vars.fd"
echo "demo-vm: $dir/demo.iso with blank disks $dir/disk1.img and $dir/disk2.img (20 GiB sparse); quit with Ctrl-A X"
echo "demo-vm: start again from blank disks with: rm -r $dir"
exec qemu-system-x86_64 -machine "q35,accel=${NODE_VM_ACCEL:-tcg}" -cpu max -m 2048 -smp 2 \
  -nodefaults -nographic -serial mon:stdio \
  -drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" -drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd" \
  -device virtio-scsi-pci,id=scsi0 -drive "file=$dir/demo.iso,if=none,id=cd0,media=cdrom,readonly=on,format=raw" -device scsi-cd,drive=cd0,bootindex=1 \
  -drive "file=$dir/disk1.img,if=none,id=d1,format=raw,cache=unsafe" -device virtio-blk-pci,drive=d1,serial=DEMODISK1 \
  -drive "file=$dir/disk2.img,if=none,id=d2,format=raw,cache=unsafe" -device virtio-blk-pci,drive=d2,serial=DEMODISK2 \
  -nic user,model=virtio-net-pci
