#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/mem.sh [--runs N] [--build DIR] [--krun-run PATH] [--compare PATH]
#              [--kernel VMLINUX] [--rootfs TREE] [--memory MIB] [--alloc MIB]
#              [--idle S]
#
# Memory benchmark, not a test: inside the emulated KVM test host it runs
# N times (default 3)
#   krun-run --root TREE --memory MIB --net none -- /bin/sh -c '...'
# whose workload waits, then touches ALLOC MiB (default 400) with
# `krun-check alloc-touch`, frees it (the process exits) and idles.
# From the test host it reads krun-run's resident memory at three points:
#   idle    VmRSS 3 s after the workload started
#   touched VmHWM once the allocation is done (the peak, while it was held)
#   freed   VmRSS S seconds (default 8) after it was freed
# and the guest RAM resident (Rss of the guest RAM mappings in smaps) at
# each point, then prints each run and the medians in MiB. With --compare
# it measures a second krun-run the same way (e.g. one built without the
# balloon device) and prints its medians too.
#
# Defaults come from the build tree (DIR, default ./build): its krun-run,
# its busybox test root (which holds krun-check) and the cached guest
# kernel. Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$PWD/build krun_run='' compare='' kernel='' rootfs=''
memory=512 alloc=400 idle=8 inside=0

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd) || exit 2; shift 2 ;;
	--krun-run) krun_run=${2:?}; shift 2 ;;
	--compare) compare=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--rootfs) rootfs=${2:?}; shift 2 ;;
	--memory) memory=${2:?}; shift 2 ;;
	--alloc) alloc=${2:?}; shift 2 ;;
	--idle) idle=${2:?}; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
krun_run=${krun_run:-$build/cmd/krun-run/krun-run}
rootfs=${rootfs:-$build/tests/rootfs/busybox-rootfs}
if [ -z "$kernel" ]; then
	kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
fi
for f in "$krun_run" ${compare:+"$compare"} "$kernel" "$rootfs/usr/bin/krun-check"; do
	[ -e "$f" ] || {
		echo "bench/mem.sh: $f is missing (build first: ninja -C build)" >&2
		exit 1
	}
done

if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 1500 --no-workdir -- \
		"$here/mem.sh" --inside "${args[@]}" --krun-run "$krun_run" \
		--kernel "$kernel" --rootfs "$rootfs"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$rootfs" "$work/root"
root=$work/root

# wait_file FILE PID: until FILE exists (1 when PID ended first or 300 s).
wait_file() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# guest_ram_kb PID: resident kB of the mappings at least half the guest
# RAM's size: the guest's memory, not the VMM's.
guest_ram_kb() {
	awk -v min=$((memory * 1024 / 2)) '
		/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
		/^Size:/ { big = ($2 >= min) }
		/^Rss:/ && big { rss += $2 }
		END { print rss + 0 }' "/proc/$1/smaps"
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# one_run KRUN-RUN: prints "idle touched freed guest-idle guest-touched
# guest-freed" in kB.
one_run() {
	local bin=$1 pid vmm i idle_kb idle_g touched_kb touched_g freed_kb freed_g
	rm -f "$root"/mem-*
	KRUN_KERNEL=$kernel "$bin" --root "$root" --memory "${memory}m" --net none -- /bin/sh -c "
		touch /mem-up; while [ ! -e /mem-go ]; do sleep 0.2; done
		/usr/bin/krun-check alloc-touch $alloc >/dev/null && touch /mem-freed
		while [ ! -e /mem-end ]; do sleep 0.2; done" \
		</dev/null >"$work/out" 2>"$work/err" &
	pid=$!
	if ! wait_file "$root/mem-up" "$pid"; then
		echo "bench/mem.sh: the workload did not start:" >&2
		cat "$work/err" >&2
		return 1
	fi
	vmm=$pid
	sleep 3
	idle_kb=$(status_kb "$vmm" VmRSS) idle_g=$(guest_ram_kb "$vmm")
	touch "$root/mem-go"
	if ! wait_file "$root/mem-freed" "$pid"; then
		echo "bench/mem.sh: the allocation failed:" >&2
		cat "$work/out" "$work/err" >&2
		return 1
	fi
	touched_kb=$(status_kb "$vmm" VmHWM)
	touched_g=$(guest_ram_kb "$vmm")
	sleep "$idle"
	freed_kb=$(status_kb "$vmm" VmRSS) freed_g=$(guest_ram_kb "$vmm")
	touch "$root/mem-end"
	wait "$pid"
	echo "$idle_kb $touched_kb $freed_kb $idle_g $touched_g $freed_g"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
mib() { echo $((($1 + 512) / 1024)); }

# measure LABEL KRUN-RUN
measure() {
	local label=$1 bin=$2 i r col
	: >"$work/runs"
	for ((i = 1; i <= runs; i++)); do
		r=$(one_run "$bin") || return 1
		echo "$r" >>"$work/runs"
		set -- $r
		echo "$label run $i: idle $(mib "$1") MiB, touched (peak) $(mib "$2") MiB," \
			"freed + ${idle} s $(mib "$3") MiB; guest RAM resident $(mib "$4")" \
			"/ $(mib "$5") / $(mib "$6") MiB"
	done
	for col in 1 2 3 4 5 6; do
		awk -v c=$col '{ print $c }' "$work/runs" | median >"$work/m$col"
	done
	echo "$label median: idle $(mib "$(cat "$work/m1")") MiB," \
		"touched (peak) $(mib "$(cat "$work/m2")") MiB," \
		"freed + ${idle} s $(mib "$(cat "$work/m3")") MiB" \
		"(given back: $(mib $(($(cat "$work/m2") - $(cat "$work/m3")))) MiB" \
		"of ${alloc}); guest RAM resident" \
		"$(mib "$(cat "$work/m4")") / $(mib "$(cat "$work/m5")") / $(mib "$(cat "$work/m6")") MiB"
}

echo "bench: kernel $kernel"
echo "bench: guest RAM ${memory} MiB, ${alloc} MiB touched and freed, ${runs} runs each"
measure "krun-run ($krun_run)" "$krun_run" || exit 1
if [ -n "$compare" ]; then
	measure "compare ($compare)" "$compare" || exit 1
fi
