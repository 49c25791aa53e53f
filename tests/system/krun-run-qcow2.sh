#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-qcow2.sh KRUN-RUN (inside the test host): a qcow2 overlay on a
# qcow2 base boots with --root-disk; the guest writes, overwrites, deletes
# (with discard) and fsyncs files on its ext4, after which qemu-img check is
# clean and the base is byte-for-byte unchanged; the same block-level
# script on a qcow2 and a raw disk gives images qemu-img compare finds
# identical; the disk id shows as the serial and in /dev/disk/by-id; a
# second writer is refused while a guest runs; krun-run SIGKILLed during
# heavy guest writes at several moments leaves an image qemu-img check
# finds consistent (leaks allowed), which boots again.
KRUN_RUN=${1:?usage: krun-run-qcow2.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"
here=$(cd "$(dirname "$0")" && pwd)
mkimg=$here/../rootfs/make-ext4-image.sh

"$mkimg" "$root" "$work/root.ext4" 128 || { fail "make the root image"; checks_done; }
qemu-img convert -f raw -O qcow2 "$work/root.ext4" "$work/base.qcow2" &&
	qemu-img create -q -f qcow2 -F qcow2 -b base.qcow2 "$work/ovl.qcow2" ||
	{ fail "make the qcow2 images"; checks_done; }
base_sum=$(sha256sum <"$work/base.qcow2")
# Two 16 MiB data disks for the block-level comparison.
qemu-img create -q -f qcow2 "$work/data.qcow2" 16M
truncate -s 16M "$work/data.raw"

# check_img NAME IMAGE [ALLOWED]: qemu-img check status 0 (or ALLOWED).
check_img() {
	local st
	qemu-img check "$2" >"$work/check.out" 2>&1
	st=$?
	if [ "$st" = 0 ] || [ "$st" = "${3:-0}" ]; then
		pass "$1"
	else
		fail "$1" "qemu-img check status $st"
		diag "$work/check.out" "qemu-img check"
	fi
}

# The same writes on both data disks: a pattern, overwrites, discards.
blockscript='
	for d in q r; do
		dev=$(readlink -f /dev/disk/by-id/virtio-$d)
		dd if=/bin/busybox of=$dev bs=64k seek=3 conv=fsync 2>/dev/null
		dd if=/bin/busybox of=$dev bs=4k seek=2000 count=37 conv=fsync 2>/dev/null
		blkdiscard -o 1048576 -l 262144 $dev
		blkdiscard -z -o 196608 -l 69632 $dev
		dd if=/etc/passwd of=$dev bs=512 seek=2049 conv=fsync 2>/dev/null
		echo "done-$d $?"
	done'

krun overlay --root-disk "$work/ovl.qcow2:qcow2" \
	--disk "q:$work/data.qcow2:qcow2" --disk "r:$work/data.raw:raw" -- /bin/sh -c '
	echo "rootfs $(awk "\$2 == \"/\" { t = \$3 } END { print t }" /proc/mounts)"
	echo "serial $(cat /sys/block/vda/serial)"
	echo "by-id $(readlink /dev/disk/by-id/virtio-root)"
	mount -o remount,discard /
	dd if=/dev/zero of=/big bs=1M count=24 conv=fsync 2>/dev/null
	dd if=/bin/busybox of=/big bs=4k seek=100 conv=notrunc,fsync 2>/dev/null
	echo first >/f && echo second >/f && sync
	rm /big && sync
	fstrim -v / >/dev/null 2>&1; echo "fstrim $?"
	echo kept-by-guest >/kept && sync
	'"$blockscript"'
	echo "write ok"'
expect_status "qcow2 overlay root: exit status" 0
expect_eq "qcow2 overlay root: / is ext4" ext4 "$(line_of rootfs "$last.out")"
expect_eq "the disk id is the serial" root "$(line_of serial "$last.out")"
expect_eq "/dev/disk/by-id/virtio-root links the disk" ../../vda "$(line_of by-id "$last.out")"
expect_eq "the guest script ran" ok "$(line_of write "$last.out")"
check_img "qemu-img check of the overlay is clean" "$work/ovl.qcow2"
expect_eq "the base is byte-for-byte unchanged" "$base_sum" "$(sha256sum <"$work/base.qcow2")"
check_img "qemu-img check of the data disk is clean" "$work/data.qcow2"
if qemu-img compare -f raw -F qcow2 "$work/data.raw" "$work/data.qcow2" >"$work/cmp.out" 2>&1; then
	pass "qemu-img compare: the qcow2 data disk equals the raw one"
else
	fail "qemu-img compare: the qcow2 data disk equals the raw one"
	diag "$work/cmp.out" "qemu-img compare"
fi
qemu-img convert -f qcow2 -O raw "$work/ovl.qcow2" "$work/ovl.raw"
expect_eq "the guest's file is in the overlay" kept-by-guest \
	"$(debugfs -R 'cat /kept' "$work/ovl.raw" 2>/dev/null)"
rm -f "$work/ovl.raw"

# Heavy writes, a second writer refused meanwhile, SIGKILL at a few
# moments after the guest's write loop has started (it says so through a
# virtio-fs share).
mkdir "$work/mark"
for delay in 1 3 6; do
	rm -f "$work/mark/started"
	"$KRUN_RUN" --root-disk "$work/ovl.qcow2:qcow2" -v "$work/mark:/mark" -- /bin/sh -c '
		touch /mark/started
		i=0
		while :; do
			dd if=/bin/busybox of=/w$((i % 5)) bs=64k conv=fsync 2>/dev/null
			rm -f /w$(((i + 2) % 5)); i=$((i + 1))
		done' </dev/null >"$work/kill.out" 2>&1 &
	pid=$!
	for _ in $(seq 120); do
		[ -e "$work/mark/started" ] && break
		sleep 1
	done
	expect_file "SIGKILL ${delay}s into heavy writes: the write loop started" "$work/mark/started"
	sleep "$delay"
	if [ "$delay" = 1 ]; then
		krun second --root-disk "$work/ovl.qcow2:qcow2" -- /bin/true
		expect_status "a second writer of a running image: exit status" 125
		if grep -q "in use by another process" "$last.err"; then
			pass "a second writer of a running image is refused"
		else
			fail "a second writer of a running image is refused"
		fi
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	check_img "SIGKILL ${delay}s into heavy writes: qemu-img check finds no corruption" "$work/ovl.qcow2" 3
	grep -E "leaked|corrupt" "$work/check.out" | sed 's/^/# /'
done
expect_eq "the base is still unchanged" "$base_sum" "$(sha256sum <"$work/base.qcow2")"

krun reboot --root-disk "$work/ovl.qcow2:qcow2" -- /bin/sh -c 'cat /kept; echo more >/more && sync'
expect_status "after the SIGKILLs the overlay boots" 0
expect_eq "after the SIGKILLs the guest's data is there" kept-by-guest "$(head -1 "$last.out")"
check_img "qemu-img check after the last boot (leaks allowed)" "$work/ovl.qcow2" 3

# A partitioned image: MBR, partition 1 a 1 MiB filler, partition 2 the
# root file system; booted as qcow2 with --root-partition 2.
python3 - "$work/part.raw" "$work/root.ext4" <<'PY' || fail "make the partitioned image"
import os, struct, sys
disk, fs = sys.argv[1], sys.argv[2]
fs_sectors = os.path.getsize(fs) // 512
def entry(start, count):
    return struct.pack('<B3sB3sII', 0, b'\0\0\0', 0x83, b'\0\0\0', start, count)
mbr = bytearray(512)
mbr[446:478] = entry(2048, 2048) + entry(4096, fs_sectors)
mbr[510:512] = b'\x55\xaa'
with open(disk, 'wb') as d, open(fs, 'rb') as f:
    d.write(mbr)
    d.seek(4096 * 512)
    while chunk := f.read(1 << 20):
        d.write(chunk)
PY
qemu-img convert -f raw -O qcow2 "$work/part.raw" "$work/part.qcow2" && rm -f "$work/part.raw"
krun partition --root-disk "$work/part.qcow2:qcow2" --root-partition 2 -- /bin/sh -c '
	echo "rootdev $(awk "\$2 == \"/\" { d = \$1 } END { print d }" /proc/mounts)"
	echo on-a-partition >/p && sync'
expect_status "--root-partition 2 of a partitioned qcow2: exit status" 0
expect_eq "--root-partition 2: / is /dev/vda2" /dev/vda2 "$(line_of rootdev "$last.out")"
check_img "qemu-img check of the partitioned image is clean" "$work/part.qcow2"

checks_done
