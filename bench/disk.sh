#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/disk.sh [--runs N] [--build DIR] [--size MIB]
#
# Block benchmark (not a test): the busybox test root as a raw ext4 image
# and as qcow2 (64 KiB clusters), each booted N times (default 3) with
# --root-disk. The guest times, with fsprobe:
#   write  dd of SIZE MiB (default 256) to a new file, conv=fsync
#   read   dd of it back after dropping the guest's page cache
#   rm     rm of it, fstrim and sync (qcow2: discard frees clusters)
# and the script prints the medians and the ratio qcow2 / raw (<= 1: as
# fast as raw). Writes into the qcow2 image allocate clusters, so "write"
# measures allocation; the raw image is sparse, so the host allocates too.
#
# Runs inside the emulated test host (the only KVM here): outside it, the
# script starts the test host and re-runs itself there. Both images live
# in the test host's tmpfs. Timings are of nested KVM under TCG: compare
# the ratios, not the seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$src/build size=256 inner=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd); shift 2 ;;
	--size) size=${2:?}; shift 2 ;;
	--inner) inner=1; shift ;;
	*) sed -n '4,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done

if [ $inner -eq 0 ]; then
	export KRUN_RUN=$build/cmd/krun-run/krun-run
	fsprobe=$build/tests/system/fs/fsprobe
	rootfs=$build/tests/rootfs/busybox-rootfs
	export KRUN_GUEST_KERNEL=${KRUN_GUEST_KERNEL:-$(readlink -f "$build/configs/vmlinux-guest")}
	for f in "$KRUN_RUN" "$fsprobe" "$rootfs/bin/busybox" "$KRUN_GUEST_KERNEL"; do
		[ -e "$f" ] || { echo "bench/disk.sh: $f missing; build first (ninja -C $build)" >&2; exit 1; }
	done
	# The images are made here, at native speed.
	export KRUN_BENCH_DATA=$build/bench/disk-data
	rm -rf "$KRUN_BENCH_DATA"
	mkdir -p "$KRUN_BENCH_DATA/tree"
	cp -a "$rootfs/." "$KRUN_BENCH_DATA/tree/"
	cp "$fsprobe" "$KRUN_BENCH_DATA/tree/usr/bin/fsprobe"
	cat >"$KRUN_BENCH_DATA/tree/bench.sh" <<GUEST
fsprobe time write sh -c 'dd if=/dev/zero of=/big bs=1M count=$size conv=fsync 2>/dev/null'
echo 3 >/proc/sys/vm/drop_caches
fsprobe time read sh -c 'dd if=/big of=/dev/null bs=1M 2>/dev/null'
fsprobe time rm sh -c 'rm /big && fstrim / && sync'
GUEST
	"$src/tests/rootfs/make-ext4-image.sh" "$KRUN_BENCH_DATA/tree" \
		"$KRUN_BENCH_DATA/root.raw" $((size + 256))
	qemu-img convert -f raw -O qcow2 "$KRUN_BENCH_DATA/root.raw" "$KRUN_BENCH_DATA/root.qcow2"
	rm -rf "$KRUN_BENCH_DATA/tree"
	exec "$src/tests/host/run-in-testhost" --timeout $((300 + runs * 600)) --no-workdir -- \
		"$0" --inner --runs "$runs" --size "$size"
fi

# --- inside the test host ---------------------------------------------------
B=$(mktemp -d /run/bench-disk.XXXXXX)
mount -t tmpfs -o size=3G tmpfs "$B"
trap 'umount -l "$B"; rmdir "$B"' EXIT

# run_one FORMAT: one guest on a fresh copy; prints "FORMAT LABEL SECONDS".
run_one() {
	local fmt=$1 out=$B/out rc=0
	cp --sparse=always "$KRUN_BENCH_DATA/root.$fmt" "$B/run.$fmt"
	timeout 600 "$KRUN_RUN" --kernel "$KRUN_GUEST_KERNEL" --memory 512M \
		--root-disk "$B/run.$fmt:$fmt" -- /bin/sh -c 'mount -o remount,discard / && sh /bench.sh' \
		>"$out" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ "$(grep -c '^time ' "$out")" -ne 3 ]; then
		echo "bench/disk.sh: $fmt guest failed (exit $rc):" >&2
		tail -n 20 "$out" >&2
		return 1
	fi
	sed -n "s/^time /$fmt /p" "$out"
	[ "$fmt" = raw ] || qemu-img check -q "$B/run.$fmt" || echo "bench/disk.sh: qemu-img check failed" >&2
}

results=$B/results
: >"$results"
for ((i = 1; i <= runs; i++)); do
	for fmt in raw qcow2; do
		run_one "$fmt" | tee -a "$results" | sed "s/^/run $i: /" >&2
	done
done

median() {
	awk -v k="$1" -v l="$2" '$1 == k && $2 == l { print $3 }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
			else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "bench/disk.sh: $runs runs, $size MiB, medians in seconds"
printf '%-6s %10s %10s %14s\n' op raw qcow2 'qcow2/raw'
for op in write read rm; do
	raw=$(median raw "$op") q=$(median qcow2 "$op")
	awk -v op="$op" -v r="$raw" -v q="$q" 'BEGIN {
		printf "%-6s %10.3f %10.3f %14.2f\n", op, r, q, (r > 0 ? q / r : 0) }'
done
