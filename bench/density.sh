#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/density.sh [--counts "N ..."] [--build DIR] [--krun-run PATH]
#                  [--kernel VMLINUX] [--rootfs TREE] [--memory MIB]
#                  [--testhost-mem MB]
#
# Density benchmark, not a test: inside the emulated KVM test host (of
# --testhost-mem MB, default 6144) it starts, for each N of --counts
# (default "10 50"), N concurrent
#   krun-run --root TREE --memory MIB --net none -- /bin/sh -c 'echo ready; sleep 600'
# (MIB default 64), all sharing one root tree, and prints:
#   start latency: from each krun-run's start to "ready" on its stdout,
#     p50, p90 and max over the N VMs (and how many never got ready)
#   memory per VM: the sum of the krun-run processes' VmRSS / N, and the
#     test host's MemAvailable drop / N, read 3 s after the last one got
#     ready
# then kills them all. Numbers only, no assertions.
#
# Defaults come from the build tree (DIR, default ./build). Run from the
# source root; it boots the test host itself (tests/host/run-in-testhost).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
counts="10 50" build=$PWD/build krun_run='' kernel='' rootfs='' memory=64
testhost_mem=6144 inside=0

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--counts) counts=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd) || exit 2; shift 2 ;;
	--krun-run) krun_run=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--rootfs) rootfs=${2:?}; shift 2 ;;
	--memory) memory=${2:?}; shift 2 ;;
	--testhost-mem) testhost_mem=${2:?}; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
krun_run=${krun_run:-$build/cmd/krun-run/krun-run}
rootfs=${rootfs:-$build/tests/rootfs/busybox-rootfs}
if [ -z "$kernel" ]; then
	kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
fi
for f in "$krun_run" "$kernel" "$rootfs/bin/busybox"; do
	[ -e "$f" ] || {
		echo "bench/density.sh: $f is missing (build first: ninja -C build)" >&2
		exit 1
	}
done

if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 3500 --no-workdir \
		--mem "$testhost_mem" -- \
		"$here/density.sh" --inside "${args[@]}" --krun-run "$krun_run" \
		--kernel "$kernel" --rootfs "$rootfs"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
kill_vms() {
	local f
	for f in "$work"/pid.*; do
		[ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
}
trap 'kill_vms; wait; rm -rf "$work"' EXIT
cp -a "$rootfs" "$work/root"

now_ns() { date +%s%N; }
mem_available_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# start_vm I: krun-run in the background; writes lat.I (ms to "ready") and
# pid.I (krun-run's pid).
start_vm() {
	local i=$1 t0
	t0=$(now_ns)
	(
		KRUN_KERNEL=$kernel "$krun_run" --root "$work/root" --memory "${memory}m" \
			--net none -- /bin/sh -c 'echo ready; sleep 600' \
			</dev/null 2>"$work/err.$i" &
		echo $! >"$work/pid.$i"
		wait $! 2>/dev/null
	) | {
		read -r line
		t1=$(now_ns)
		[ "$line" = ready ] && echo $(((t1 - t0) / 1000000)) >"$work/lat.$i"
		cat >/dev/null
	} &
}

# ended: how many VMs ended without getting ready.
ended() {
	local f i c=0
	for f in "$work"/pid.*; do
		[ -e "$f" ] || continue
		i=${f##*.}
		[ -e "$work/lat.$i" ] || kill -0 "$(cat "$f")" 2>/dev/null || c=$((c + 1))
	done
	echo $c
}

pct() { # pct P: the P-th percentile (nearest rank) of the numbers on stdin
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (NR) { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] } }'
}

run_n() {
	local n=$1 i avail0 avail1 ready rss_kb t_start
	rm -f "$work"/lat.* "$work"/pid.* "$work"/err.*
	sync
	avail0=$(mem_available_kb)
	t_start=$SECONDS
	for ((i = 1; i <= n; i++)); do
		start_vm "$i"
	done
	# Until every VM got ready or ended; at most 55 minutes. Polled once a
	# second: each poll costs the emulated CPUs the guests boot on.
	for ((i = 0; i < 3300; i++)); do
		ready=$(ls "$work" | grep -c '^lat\.')
		[ "$ready" -ge "$n" ] || [ "$((ready + $(ended)))" -ge "$n" ] && break
		sleep 1
	done
	sleep 3
	avail1=$(mem_available_kb)
	rss_kb=0
	for f in "$work"/pid.*; do
		p=$(cat "$f")
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		rss_kb=$((rss_kb + ${r:-0}))
	done
	cat "$work"/lat.* 2>/dev/null >"$work/lat"
	echo "N=$n: ready $ready of $n (all started within $((SECONDS - t_start)) s)"
	echo "N=$n: start latency to \"ready\" ms: p50 $(pct 50 <"$work/lat")," \
		"p90 $(pct 90 <"$work/lat"), max $(pct 100 <"$work/lat")"
	echo "N=$n: krun-run VmRSS sum $((rss_kb / 1024)) MiB, per VM $((rss_kb / n / 1024)) MiB"
	echo "N=$n: MemAvailable drop $(((avail0 - avail1) / 1024)) MiB," \
		"per VM $(((avail0 - avail1) / n / 1024)) MiB"
	kill_vms
	wait
	for f in "$work"/err.*; do
		[ -s "$f" ] && { echo "N=$n: stderr of $(basename "$f"):"; head -n 3 "$f"; }
	done | head -n 20
	sleep 2
}

echo "bench: kernel $kernel"
echo "bench: krun-run $krun_run, guest RAM ${memory} MiB, $(nproc) test-host CPUs," \
	"MemTotal $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024)) MiB"
for n in $counts; do
	run_n "$n"
done
