#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# guest-kernel-boots.sh BOOT-GUEST-QEMU
#
# Inside the test host: boots the guest kernel ($KRUN_GUEST_KERNEL) with the
# busybox test root ($KRUN_TEST_ROOTFS) as initramfs and the ext4 image of
# the same tree ($KRUN_TEST_ROOTFS_IMG, copied: QEMU opens it writable) on
# virtio-blk; the guest mounts it read-only, runs
# krun-check from it and checks that writing there fails with EROFS.
set -euo pipefail
boot=${1:?usage: guest-kernel-boots.sh BOOT-GUEST-QEMU}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$KRUN_TEST_ROOTFS_IMG" "$work/root.img"
"$boot" --timeout 300 --drive "$work/root.img" "$KRUN_GUEST_KERNEL" "$KRUN_TEST_ROOTFS" '
	set -e
	mkdir -p /mnt/root
	mount -t ext4 -o ro /dev/vda /mnt/root
	/mnt/root/usr/bin/krun-check ids
	test "$(/mnt/root/usr/bin/krun-check write /mnt/root/x)" = EROFS
	echo "nproc $(nproc)"
	grep -c virtio /proc/interrupts || true
	umount /mnt/root
'
