#!/usr/bin/env bash
# Runs a command on real kernel devices: boots Debian's own kernel in qemu (software emulation),
# loads vivid (a virtual V4L2 camera, /dev/video0 with colour bars) and snd-aloop (an ALSA
# loopback card: what is played into hw:Loopback,0 is captured from hw:Loopback,1), mounts this
# machine's root read-only over 9p, chroots into it and runs the command there, so that the
# project's own binaries meet real devices. The current directory (the project) is there at its
# own path, even under /tmp (the guest's /tmp is its own); RESULTS (a directory, inside it) is
# the guest's only writable host directory; the command's output goes to RESULTS/guest.log.
#
#   Tests/Devices/device-vm.sh RESULTS COMMAND [ARG...]
#
# Exits with the command's status, or 77 (with a line saying why) where no guest can run.
# Everything comes from Debian packages (scripts/install-deps.sh --test installs them).
set -euo pipefail

results=$(realpath -m "$1"); shift
mkdir -p "$results"
rm -f "$results/guest.log" "$results/guest.rc"

skip() { echo "device-vm: skipped: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1) || true
[ -n "$kernel" ] || skip "no Debian kernel in /boot (apt-get install linux-image-amd64)"
version=${kernel#/boot/vmlinuz-}
[ -d "/lib/modules/$version" ] || skip "no modules for $version in /lib/modules"
busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || skip "no static busybox (apt-get install busybox-static)"
[ -r "$kernel" ] || skip "$kernel is not readable (run as root)"

# The initramfs: a static busybox, the modules in load order, and an init that sets up the chroot.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" "$root/dev" "$root/host"
cp "$busybox" "$root/bin/busybox"
for module in virtio_pci 9pnet_virtio 9p vivid snd-aloop; do
  modprobe -S "$version" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r path; do
  cp "$path" "$root/modules/"
  echo "$(basename "$path")" >>"$root/modules/order"
done

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $(cat /modules/order); do insmod "/modules/$module" || echo "init: insmod $module failed"; done
ifconfig lo 127.0.0.1 up
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro hostroot /host
for fs in proc sys dev; do mount --bind "/$fs" "/host/$fs"; done
mkdir -p /dev/pts && mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/tmp
mount -t tmpfs tmpfs /host/run
# The project (read-only) and the results (writable) at their own paths, even under /tmp.
project=$(sed -n 's/.*avc.project=\([^ ]*\).*/\1/p' /proc/cmdline)
results=$(sed -n 's/.*avc.results=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p "/host$project" "/host$results" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro project "/host$project"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results "/host$results"
chroot /host /bin/sh "$results/guest-command" >"/host$results/guest.log" 2>&1
echo $? >"/host$results/guest.rc"
sync
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

# The command, as the guest runs it: from the directory it was started in, with this PATH and HOME.
{
  echo "cd $(printf %q "$PWD") || exit 1"
  echo "export PATH=$(printf %q "$PATH") HOME=/tmp LANG=C.UTF-8"
  printf '%q ' "$@"; echo
} >"$results/guest-command"

started=$(date +%s)
# -k: a qemu started from the test process may have TERM blocked, as its threads inherit.
timeout -k 10 600 qemu-system-x86_64 -accel tcg -cpu max -smp "$(nproc)" -m 1024 -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$work/initramfs.gz" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init avc.project=$PWD avc.results=$results" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$PWD,mount_tag=project,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
  >"$results/console.log" 2>&1 || { echo "device-vm: qemu failed or timed out; its console:"; tail -20 "$results/console.log"; exit 1; }
echo "device-vm: guest ran for $(($(date +%s) - started)) s"
[ -f "$results/guest.rc" ] || { echo "device-vm: the guest did not finish its command; its console:"; tail -20 "$results/console.log"; exit 1; }
exit "$(cat "$results/guest.rc")"
