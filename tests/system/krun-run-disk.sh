#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-disk.sh KRUN-RUN (inside the test host): a raw ext4 image of the
# busybox root boots with --root-disk and its writes reach the image; a
# second disk attached with :ro is flagged read-only, readable, refuses
# writes through the file system (EROFS) and to the raw device, and its
# image stays unchanged.
#
# The guest kernel refuses every write to a disk that offers
# VIRTIO_BLK_F_RO before a request is made (6.1: write_iter EPERM, mmap
# read-only, zeroout/discard EPERM, blkdev_get_by_path EACCES), so no guest
# program can make the VMM see one. What the VMM does with a write request
# to a read-only backend is covered by tests/unit/virtio/test_blk.c
# (test_read_only); here the VMM side is checked from the host: while the
# guest runs, krun-run holds the image open read-only only (fdinfo
# flags), so no request could change it.
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

# fd_mode FILE: "PID FD O_RDONLY|O_WRONLY|O_RDWR" for each open of FILE.
fd_mode() {
	local fd pid n flags
	for fd in $(find /proc/[0-9]*/fd -lname "$1" 2>/dev/null); do
		pid=$(echo "$fd" | cut -d/ -f3) n=${fd##*/}
		flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$pid/fdinfo/$n" 2>/dev/null)
		[ -n "$flags" ] || continue
		case $((8#$flags & 3)) in
		0) echo "$pid $n O_RDONLY" ;;
		1) echo "$pid $n O_WRONLY" ;;
		*) echo "$pid $n O_RDWR" ;;
		esac
	done
}

# In the background, so the host can look at krun-run's open image.
ro_script='
	for d in /sys/block/vd*; do
		[ "$(cat $d/size)" = 81920 ] && dev=${d##*/}
	done
	echo "dev ${dev:-none}"
	echo "ro-flag $(cat /sys/block/$dev/ro)"
	mkdir -p /mnt/data
	mount -t ext4 /dev/$dev /mnt/data
	echo "read $(cat /mnt/data/hello)"
	echo "fs-write $(krun-check write /mnt/data/new-file)"
	dd if=/dev/zero of=/dev/$dev bs=4096 count=16 seek=64 conv=fsync
	echo "raw-write-status $?"
	sleep 2'
krun ro-disk --root-disk "$work/root.ext4" --disk "data:$work/data.ext4:ro" -- /bin/sh -c "$ro_script" &
krun_bg=$!
modes=
for i in $(seq 1 600); do
	modes=$(fd_mode "$work/data.ext4")
	[ -n "$modes" ] && break
	kill -0 "$krun_bg" 2>/dev/null || break
	sleep 0.1
done
wait "$krun_bg"
# krun ran in a subshell: set what fail shows here.
last=$work/ro-disk last_out_shown=1
last_argv=(--root-disk "$work/root.ext4" --disk "data:$work/data.ext4:ro" -- /bin/sh -c "$ro_script")
last_cmd="KRUN_KERNEL=$KRUN_KERNEL $KRUN_RUN$(printf " %q" "${last_argv[@]}") </dev/null"
expect_status "--disk :ro: exit status" 0
if [ -n "$modes" ] && ! echo "$modes" | grep -qv ' O_RDONLY$'; then
	pass "--disk :ro: the VMM holds the image read-only while the guest runs"
else
	fail "--disk :ro: the VMM holds the image read-only while the guest runs" \
		"opens of the image (pid fd mode): $(echo "${modes:-none seen}" | tr '\n' ';')"
fi
expect_eq "--disk :ro: the disk is flagged read-only (/sys/block/vdX/ro)" 1 \
	"$(line_of ro-flag "$last.out")"
expect_eq "--disk :ro: files are readable" hello-from-data "$(line_of read "$last.out")"
expect_eq "--disk :ro: writing a file fails with EROFS" EROFS "$(line_of fs-write "$last.out")"
raw=$(line_of raw-write-status "$last.out")
if [ -n "$raw" ] && [ "$raw" != 0 ]; then
	pass "--disk :ro: the guest kernel refuses raw writes to the device"
else
	fail "--disk :ro: the guest kernel refuses raw writes to the device" "dd status: ${raw:-missing}"
fi
expect_eq "--disk :ro: the image is unchanged" "$data_sum" "$(sha256sum <"$work/data.ext4")"

checks_done
