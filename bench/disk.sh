#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/disk.sh [--runs N] [--build DIR] [--size MIB] [--rand N]
#               [--only krun|qemu]
#
# Block benchmark (not a test): the busybox test root as a raw ext4 image
# and as qcow2 (64 KiB clusters), each booted N times (default 3) as the
# guest's root disk under
#   krun-run  --root-disk IMAGE:FMT --memory 512M (one vCPU)
#   QEMU      -enable-kvm -M microvm -cpu host -smp 1 -m 512, the image as
#             virtio-blk (cache=writeback, discard=unmap), mounted as the
#             root by a busybox initramfs (bench/lib/qemu-guest.sh)
# with the same guest kernel. The guest times, with fsprobe:
#   write      dd of SIZE MiB (default 256) to a new file, conv=fsync
#   read       dd of it back after dropping the guest's page cache
#   randwrite  N (default 4096) 4 KiB O_DIRECT writes at random offsets
#              in it, then fdatasync
#   randread   N 4 KiB O_DIRECT reads at random offsets in it
#   rm         rm of it, fstrim and sync (qcow2: discard frees clusters)
# and the script prints the medians, the ratio qcow2 / raw under krun-run
# (<= 1: as fast as raw) and the speed-up QEMU / krun-run per format
# (>= 1: krun-run as fast as QEMU or faster). Writes into the qcow2 image
# allocate clusters, so "write" measures allocation; the raw image is
# sparse, so the host allocates too.
#
# Runs inside the emulated test host (the only KVM here): outside it, the
# script starts the test host and re-runs itself there. Both images live
# in the test host's tmpfs. Timings are of nested KVM under TCG: compare
# the ratios, not the seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$src/build size=256 rand=4096 only='' inner=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd); shift 2 ;;
	--size) size=${2:?}; shift 2 ;;
	--rand) rand=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--inner) inner=1; shift ;;
	*) sed -n '4,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
case $only in
'' | krun | qemu) ;;
*) echo "bench/disk.sh: --only takes krun or qemu" >&2; exit 2 ;;
esac

if [ $inner -eq 0 ]; then
	export KRUN_RUN=$build/cmd/krun-run/krun-run
	fsprobe=$build/tests/system/fs/fsprobe
	rootfs=$build/tests/rootfs/busybox-rootfs
	# QEMU's initramfs (it mounts the image as the root).
	export KRUN_BENCH_TREE=$rootfs
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
fsprobe time write sh -c 'dd if=/dev/zero of=/big bs=1M count=$size conv=fsync 2>/dev/null' || echo bench-error write
echo 3 >/proc/sys/vm/drop_caches
fsprobe time read sh -c 'dd if=/big of=/dev/null bs=1M 2>/dev/null' || echo bench-error read
fsprobe time randwrite fsprobe randio /big w $rand 1 || echo bench-error randwrite
echo 3 >/proc/sys/vm/drop_caches
fsprobe time randread fsprobe randio /big r $rand 2 || echo bench-error randread
fsprobe time rm sh -c 'rm /big && fstrim / && sync' || echo bench-error rm
GUEST
	"$src/tests/rootfs/make-ext4-image.sh" "$KRUN_BENCH_DATA/tree" \
		"$KRUN_BENCH_DATA/root.raw" $((size + 256))
	qemu-img convert -f raw -O qcow2 "$KRUN_BENCH_DATA/root.raw" "$KRUN_BENCH_DATA/root.qcow2"
	rm -rf "$KRUN_BENCH_DATA/tree"
	exec "$src/tests/host/run-in-testhost" --timeout $((300 + runs * 600)) --no-workdir -- \
		"$0" --inner --runs "$runs" --size "$size" --rand "$rand" ${only:+--only "$only"}
fi

# --- inside the test host ---------------------------------------------------
B=$(mktemp -d /run/bench-disk.XXXXXX)
mount -t tmpfs -o size=3G tmpfs "$B"
trap 'umount -l "$B"; rmdir "$B"' EXIT

# shellcheck source=bench/lib/qemu-guest.sh
. "$(dirname "$0")/lib/qemu-guest.sh"
guest_cmds='mount -o remount,discard / && sh /bench.sh'
ops='write read randwrite randread rm'

# run_one VMM FORMAT: one guest on a fresh copy; prints "VMM FORMAT LABEL
# SECONDS" per operation.
run_one() {
	local vmm=$1 fmt=$2 out=$B/out rc=0
	cp --sparse=always "$KRUN_BENCH_DATA/root.$fmt" "$B/run.$fmt"
	if [ "$vmm" = krun ]; then
		timeout 900 "$KRUN_RUN" --kernel "$KRUN_GUEST_KERNEL" --memory 512M \
			--root-disk "$B/run.$fmt:$fmt" -- /bin/sh -c "$guest_cmds" \
			>"$out" 2>&1 || rc=$?
	else
		qemu_guest --kernel "$KRUN_GUEST_KERNEL" --tree "$KRUN_BENCH_TREE" \
			--cpus 1 --memory 512 --disk "$B/run.$fmt:$fmt" --disk-root \
			--timeout 900 -- "$guest_cmds 2>&1" >"$out" 2>&1 || rc=$?
	fi
	if [ $rc -ne 0 ] || grep -q '^bench-error' "$out" ||
		[ "$(tr -d '\r' <"$out" | grep -c '^time ')" -ne 5 ]; then
		echo "bench/disk.sh: $vmm $fmt guest failed (exit $rc):" >&2
		tail -n 20 "$out" >&2
		return 1
	fi
	tr -d '\r' <"$out" | sed -n "s/^time /$vmm $fmt /p"
	[ "$fmt" = raw ] || qemu-img check -q "$B/run.$fmt" ||
		echo "bench/disk.sh: qemu-img check failed after $vmm" >&2
}

results=$B/results
: >"$results"
for ((i = 1; i <= runs; i++)); do
	for vmm in krun qemu; do
		[ -n "$only" ] && [ "$only" != "$vmm" ] && continue
		for fmt in raw qcow2; do
			run_one "$vmm" "$fmt" | tee -a "$results" | sed "s/^/run $i: /" >&2
		done
	done
done

median() {
	awk -v v="$1" -v k="$2" -v l="$3" '$1 == v && $2 == k && $3 == l { print $4 }' "$results" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
			else if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "bench/disk.sh: $runs runs, $size MiB, $rand random 4 KiB I/Os, medians in seconds"
echo "(qcow2/raw: krun-run, <= 1: qcow2 as fast as raw; speedup: QEMU / krun-run, >= 1: krun-run as fast or faster)"
printf '%-10s %9s %9s %8s %9s %9s %8s %10s\n' op 'krun raw' 'qemu raw' speedup \
	'krun qcow' 'qemu qcow' speedup 'qcow2/raw'
for op in $ops; do
	awk -v op="$op" -v kr="$(median krun raw "$op")" -v qr="$(median qemu raw "$op")" \
		-v kq="$(median krun qcow2 "$op")" -v qq="$(median qemu qcow2 "$op")" '
		function r(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
		function t(a) { return (a == "nan") ? "-" : sprintf("%.3f", a) }
		BEGIN { printf "%-10s %9s %9s %8s %9s %9s %8s %10s\n", op, t(kr), t(qr), r(qr, kr),
			t(kq), t(qq), r(qq, kq), r(kq, kr) }'
done
