#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-disk.sh KRUN-RUN (inside the test host): a raw ext4 image of the
# busybox root boots with --root-disk and its writes reach the image; a
# second disk attached with :ro is flagged read-only, readable, refuses
# writes through the file system (EROFS) and to the raw device, and its
# image stays unchanged.
KRUN_RUN=${1:?usage: krun-run-disk.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"
here=$(cd "$(dirname "$0")" && pwd)
mkimg=$here/../rootfs/make-ext4-image.sh

"$mkimg" "$root" "$work/root.ext4" || { fail "make the root image"; checks_done; }
mkdir "$work/data"
echo hello-from-data >"$work/data/hello"
# 40 MiB: the size tells the data disk from the root disk in the guest.
"$mkimg" "$work/data" "$work/data.ext4" 40 || { fail "make the data image"; checks_done; }
data_sum=$(sha256sum <"$work/data.ext4")

krun root-disk --root-disk "$work/root.ext4" -- /bin/sh -c '
	echo "rootfs $(awk "\$2 == \"/\" { t = \$3 } END { print t }" /proc/mounts)"
	echo "hostname-file $(cat /etc/hostname)"
	echo written-by-guest >/probe-file && sync && echo "write ok"'
expect_status "--root-disk raw ext4: exit status" 0
expect_eq "--root-disk: / is ext4" ext4 "$(line_of rootfs "$last.out")"
expect_eq "--root-disk: the image's files are there" krun "$(line_of hostname-file "$last.out")"
expect_eq "--root-disk: a write to / reaches the image" written-by-guest \
	"$(debugfs -R 'cat /probe-file' "$work/root.ext4" 2>/dev/null)"

krun ro-disk --root-disk "$work/root.ext4" --disk "data:$work/data.ext4:ro" -- /bin/sh -c '
	for d in /sys/block/vd*; do
		[ "$(cat $d/size)" = 81920 ] && dev=${d##*/}
	done
	echo "dev ${dev:-none}"
	echo "ro-flag $(cat /sys/block/$dev/ro)"
	mkdir -p /mnt/data
	mount -t ext4 /dev/$dev /mnt/data
	echo "read $(cat /mnt/data/hello)"
	echo "fs-write $(krun-check write /mnt/data/new-file)"
	dd if=/dev/zero of=/dev/$dev bs=4096 count=16 seek=64 conv=fsync 2>/dev/null
	echo "raw-write-status $?"'
expect_status "--disk :ro: exit status" 0
expect_eq "--disk :ro: the disk is flagged read-only (/sys/block/vdX/ro)" 1 \
	"$(line_of ro-flag "$last.out")"
expect_eq "--disk :ro: files are readable" hello-from-data "$(line_of read "$last.out")"
expect_eq "--disk :ro: writing a file fails with EROFS" EROFS "$(line_of fs-write "$last.out")"
raw=$(line_of raw-write-status "$last.out")
if [ -n "$raw" ] && [ "$raw" != 0 ]; then
	pass "--disk :ro: raw writes to the device fail"
else
	fail "--disk :ro: raw writes to the device fail" "dd status: ${raw:-missing}"
fi
expect_eq "--disk :ro: the image is unchanged" "$data_sum" "$(sha256sum <"$work/data.ext4")"

checks_done
