#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/fs.sh [--runs N] [--build DIR] [--cpus N] [--memory SIZE] [--files N]
#             [--fs-cache LIST] [--ops LIST] [--dax SIZE] [--guest-limit S]
#
# File system benchmark (not a test): the same busybox guest tree as a
# virtio-fs root (--root DIR) and as a raw ext4 image on virtio-blk
# (--root-disk IMG, made with mkfs.ext4 -d from the same tree). Each run
# boots a fresh guest (cold guest page cache) which times, with fsprobe:
#   rtt    2000 statx(AT_STATX_FORCE_SYNC) of one file: on virtio-fs one
#          GETATTR round trip each (the per-request cost)
#   read   dd of a 256 MiB file to /dev/null (bs=1M)
#   mmap   a second 256 MiB file read through a shared mmap (fsprobe mmap-sum;
#          only when --ops names it)
#   find   find / -xdev over the tree (10 000 extra small files in /data/files)
#   untar  tar -x of 10 000 small files, then sync
# (--files N changes the 10 000, for a quick look; the goals are for 10 000;
# --ops picks some of rtt,read,mmap,find,untar, the default all but mmap).
# --dax SIZE adds one more backing, the virtio-fs root (cache=auto) with a
# DAX window of SIZE (--root-dax), and its row with the ratio block / DAX.
# --guest-limit S stops a guest that runs longer than S seconds (default
# 1400; a loaded machine needs more for 10 000 files on virtio-fs).
# --fs-cache auto,always,never runs the virtio-fs root once per run under
# each listed cache policy (default: auto; "default": no --fs-cache flag,
# for a krun-run from before it), with --log-level debug, and
# prints the FUSE requests each guest made (per small file for untar).
# Prints the median of each and the ratio block time / virtio-fs time
# (>= 1: virtio-fs as fast as the block device). Goals:
# virtio-fs >= 0.8x block on read, >= 0.5x on untar.
#
# Runs inside the emulated test host (the only KVM here): outside it, the
# script starts the test host (tests/host/run-in-testhost) and re-runs
# itself there. Both backings live in the test host's tmpfs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$src/build cpus=1 memory=512M files=10000 inner=0
caches=auto ops=rtt,read,find,untar dax= guest_limit=1400
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd); shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--memory) memory=${2:?}; shift 2 ;;
	--files) files=${2:?}; shift 2 ;;
	--fs-cache) caches=${2:?}; shift 2 ;;
	--ops) ops=${2:?}; shift 2 ;;
	--dax) dax=${2:?}; shift 2 ;;
	--guest-limit) guest_limit=${2:?}; shift 2 ;;
	--inner) inner=1; shift ;;
	*) sed -n '4,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done

if [ $inner -eq 0 ]; then
	export KRUN_RUN=$build/cmd/krun-run/krun-run
	export KRUN_FSPROBE=$build/tests/system/fs/fsprobe
	rootfs=$build/tests/rootfs/busybox-rootfs
	export KRUN_GUEST_KERNEL=${KRUN_GUEST_KERNEL:-$(readlink -f "$build/configs/vmlinux-guest")}
	for f in "$KRUN_RUN" "$KRUN_FSPROBE" "$rootfs/bin/busybox" "$KRUN_GUEST_KERNEL"; do
		[ -e "$f" ] || { echo "bench/fs.sh: $f missing; build first (ninja -C $build)" >&2; exit 1; }
	done
	# The data set is made here, at native speed, once per build tree:
	# writing 10 000 files inside the emulated test host takes minutes.
	# tree.tar and root.img hold the same tree; the test host unpacks
	# tree.tar into its own tmpfs, so both backings sit on the same medium.
	export KRUN_BENCH_DATA=$build/bench/fs-data-$files
	if [ ! -e "$KRUN_BENCH_DATA/done" ] ||
		[ "$rootfs/bin/busybox" -nt "$KRUN_BENCH_DATA/done" ] ||
		[ "$KRUN_FSPROBE" -nt "$KRUN_BENCH_DATA/done" ]; then
		echo "bench/fs.sh: preparing the data set in $KRUN_BENCH_DATA" >&2
		rm -rf "$KRUN_BENCH_DATA"
		mkdir -p "$KRUN_BENCH_DATA"
		d=$KRUN_BENCH_DATA tree=$KRUN_BENCH_DATA/tree
		mkdir -p "$tree" "$d/src"
		cp -a "$rootfs/." "$tree/"
		cp "$KRUN_FSPROBE" "$tree/usr/bin/fsprobe"
		mkdir -p "$tree/data/files"
		head -c 256M /dev/urandom >"$tree/data/big"
		head -c 256M /dev/urandom >"$tree/data/big2"
		(cd "$d/src" && for i in $(seq -w 1 "$files"); do echo "file $i" >"f$i"; done)
		cp -a "$d/src/." "$tree/data/files/"
		tar -cf "$tree/data/small.tar" -C "$d/src" .
		rm -rf "$d/src"
		cat >"$tree/bench.sh" <<'GUEST'
for op in "$@"; do
	case $op in
	mmap) fsprobe time mmap sh -c 'fsprobe mmap-sum /data/big2 >/dev/null' ;;
	rtt) fsprobe time rtt fsprobe stat-sync /etc/passwd 2000 >/dev/null ;;
	read) fsprobe time read sh -c 'dd if=/data/big of=/dev/null bs=1M 2>/dev/null' ;;
	find) fsprobe time find find / -xdev >/dev/null ;;
	untar) mkdir /untar
		fsprobe time untar sh -c 'tar -xf /data/small.tar -C /untar && sync' ;;
	esac
done
GUEST
		"$src/tests/rootfs/make-ext4-image.sh" "$tree" "$d/root.img" 1024
		tar -cf "$d/tree.tar" -C "$tree" .
		rm -rf "$tree"
		touch "$d/done"
	fi
	ncache=$(echo "$caches" | tr ',' '\n' | grep -c .)
	# Every guest may take up to the limit: the virtio-fs ones, the block
	# one and the DAX one.
	nguests=$((ncache + 1))
	[ -z "$dax" ] || nguests=$((nguests + 1))
	exec "$src/tests/host/run-in-testhost" --timeout $((300 + runs * nguests * guest_limit)) --no-workdir -- \
		"$0" --inner --runs "$runs" --cpus "$cpus" --memory "$memory" --files "$files" \
		--fs-cache "$caches" --ops "$ops" ${dax:+--dax "$dax"} --guest-limit "$guest_limit"
fi

# --- inside the test host ---------------------------------------------------
# A tmpfs of its own: /tmp here is an overlay on the host's /tmp over 9p.
B=$(mktemp -d /run/bench-fs.XXXXXX)
mount -t tmpfs -o size=3G tmpfs "$B"
trap 'umount -l "$B"; rmdir "$B"' EXIT
tree=$B/tree
echo "bench/fs.sh: unpacking the data set into $B" >&2
mkdir -p "$tree"
tar -xf "$KRUN_BENCH_DATA/tree.tar" -C "$tree"
cp --sparse=always "$KRUN_BENCH_DATA/root.img" "$B/root.img"

# run_one KIND: one guest (KIND: virtio-fs:POLICY or block); prints
# "KIND LABEL SECONDS" lines, and the guest's FUSE request counts to stderr.
run_one() {
	local kind=$1 out=$B/out rc=0 nops
	# shellcheck disable=SC2086
	set -- ${ops//,/ }
	nops=$#
	if [ "${kind%%:*}" = virtio-fs ] || [ "$kind" = dax ]; then
		rm -rf "$tree/untar"
		local policy=(--fs-cache "${kind#*:}")
		# "default": no flag (a krun-run from before the flag existed)
		[ "${kind#*:}" != default ] || policy=()
		[ "$kind" != dax ] || policy=(--root-dax "$dax")
		timeout "$guest_limit" "$KRUN_RUN" --kernel "$KRUN_GUEST_KERNEL" --cpus "$cpus" \
			--memory "$memory" --root "$tree" "${policy[@]}" \
			--log-level debug -- /bin/sh /bench.sh "$@" >"$out" 2>&1 || rc=$?
	else
		cp --sparse=always "$B/root.img" "$B/run.img"
		timeout "$guest_limit" "$KRUN_RUN" --kernel "$KRUN_GUEST_KERNEL" --cpus "$cpus" \
			--memory "$memory" --root-disk "$B/run.img" -- /bin/sh /bench.sh "$@" \
			>"$out" 2>&1 || rc=$?
	fi
	if [ $rc -ne 0 ] || [ "$(grep -c '^time ' "$out")" -ne "$nops" ]; then
		echo "bench/fs.sh: $kind guest failed (exit $rc):" >&2
		tail -n 20 "$out" >&2
		return 1
	fi
	sed -n "s/^time /$kind /p" "$out"
	grep -o 'virtio-fs: [0-9]* FUSE requests:.*' "$out" | tail -n 1 |
		awk -v k="$kind" -v f="$files" '{ printf "%s: %s FUSE requests (%.1f per small file):", k, $2, $2 / f
			for (i = 5; i <= NF; i++) printf " %s", $i; printf "\n" }' >&2 || true
}

kinds=
for c in ${caches//,/ }; do kinds="$kinds virtio-fs:$c"; done
kinds="$kinds block${dax:+ dax}"

results=$B/results
: >"$results"
for ((i = 1; i <= runs; i++)); do
	for kind in $kinds; do
		run_one "$kind" | tee -a "$results" | sed "s/^/run $i: /" >&2
	done
done

median() {
	awk -v k="$1" -v l="$2" '$1 == k && $2 == l { print $3 }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
			else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "bench/fs.sh: $runs runs, --cpus $cpus --memory $memory, $files small files, medians in seconds"
printf '%-6s %-18s %12s %12s %14s %6s\n' op virtio-fs 'vfs s' 'block s' 'ratio blk/vfs' goal
for op in ${ops//,/ }; do
	blk=$(median block "$op")
	case $op in read) goal='>=0.8' ;; untar) goal='>=0.5' ;; *) goal='-' ;; esac
	for c in ${caches//,/ }; do
		fs=$(median "virtio-fs:$c" "$op")
		awk -v op="$op" -v c="cache=$c" -v fs="$fs" -v blk="$blk" -v goal="$goal" 'BEGIN {
			printf "%-6s %-18s %12.3f %12.3f %14.2f %6s\n", op, c, fs, blk, (fs > 0 ? blk / fs : 0), goal }'
	done
	[ -z "$dax" ] || awk -v op="$op" -v c="dax=$dax" -v fs="$(median dax "$op")" -v blk="$blk" 'BEGIN {
		printf "%-6s %-18s %12.3f %12.3f %14.2f %6s\n", op, c, fs, blk, (fs > 0 ? blk / fs : 0), "-" }'
done
