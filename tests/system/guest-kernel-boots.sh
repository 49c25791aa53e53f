#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# guest-kernel-boots.sh KVM-SELFCHECK BOOT-GUEST-QEMU
#
# Inside the test host, one TAP line per check:
#   - kvm-selfcheck: the test host's /dev/kvm runs guest code;
#   - the guest kernel ($KRUN_GUEST_KERNEL) boots under QEMU/KVM with the
#     busybox test root ($KRUN_TEST_ROOTFS) as initramfs and the ext4 image
#     of the same tree ($KRUN_TEST_ROOTFS_IMG, copied: QEMU opens it
#     writable) on virtio-blk; the guest mounts it read-only, runs
#     krun-check from it (root ids), sees writing there fail with EROFS,
#     has one CPU and counts virtio-mmio interrupts.
# This checks the test host and the kernel config, not krun-run.
set -uo pipefail
selfcheck=${1:?usage: guest-kernel-boots.sh KVM-SELFCHECK BOOT-GUEST-QEMU}
boot=${2:?usage: guest-kernel-boots.sh KVM-SELFCHECK BOOT-GUEST-QEMU}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# not_ok NAME WHY OUTPUT-FILE: the whole output follows as comments.
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	echo "# $2"
	[ -n "${3:-}" ] && sed 's/^/#   /' "$3"
}

# expect NAME WANT GOT OUTPUT-FILE
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "expected [$2], got [$3]; command: $cmd" "$4"
	fi
}

cmd=$selfcheck
"$selfcheck" >"$work/selfcheck.out" 2>&1
expect "kvm-selfcheck: /dev/kvm runs guest code (exit 0)" 0 "$?" "$work/selfcheck.out"

cp "$KRUN_TEST_ROOTFS_IMG" "$work/root.img"
guest='
	mkdir -p /mnt/root
	mount -t ext4 -o ro /dev/vda /mnt/root && echo "mount ok"
	echo "uid $(/mnt/root/usr/bin/krun-check ids | sed -n "s/^uid //p")"
	echo "write $(/mnt/root/usr/bin/krun-check write /mnt/root/x)"
	echo "nproc $(nproc)"
	echo "virtio-irqs $(grep -c virtio /proc/interrupts)"
	umount /mnt/root && echo "umount ok"'
cmd="$boot --timeout 300 --drive $work/root.img $KRUN_GUEST_KERNEL $KRUN_TEST_ROOTFS '$guest'"
"$boot" --timeout 300 --drive "$work/root.img" "$KRUN_GUEST_KERNEL" "$KRUN_TEST_ROOTFS" \
	"$guest" >"$work/boot.out" 2>&1
rc=$?
out=$work/boot.out
line() { sed -n "s/^$1 //p" "$out" | head -n 1; }
expect "guest boots under QEMU/KVM and its script ends (status 0)" 0 "$rc" "$out"
expect "guest reached its init" 1 "$(grep -c '^krun-guest: init at uptime' "$out")" "$out"
expect "virtio-blk ext4 image mounts read-only" ok "$(line mount)" "$out"
expect "krun-check from the disk runs as root (uid 0 0 0)" "0 0 0" "$(line uid)" "$out"
expect "writing the read-only mount fails with EROFS" EROFS "$(line write)" "$out"
expect "one vCPU" 1 "$(line nproc)" "$out"
irqs=$(line virtio-irqs)
if [ "${irqs:-0}" -ge 1 ] 2>/dev/null; then ok "virtio-mmio interrupts registered ($irqs)"; else
	not_ok "virtio-mmio interrupts registered" "got [${irqs:-}]; command: $cmd" "$out"; fi
expect "the disk unmounts" ok "$(line umount)" "$out"
grep '^boot-guest-qemu: qemu ran' "$out" | sed 's/^/# /'

echo "1..$n"
[ "$failed" -eq 0 ]
