#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/boot.sh [--runs N] [--build DIR] [--krun-run PATH] [--kernel VMLINUX]
#               [--rootfs TREE] [--memory MIB] [--only krun|qemu]
#
# Boot benchmark, not a test: inside the emulated KVM test host it times N
# runs (default 10) of
#   A  krun-run --root TREE -- /bin/true
#   B  qemu-system-x86_64 -enable-kvm -M microvm -cpu host -m MIB ... with
#      the same guest kernel and TREE packed as an initramfs whose /init
#      mounts /proc, /sys, /dev, runs /bin/true and reboots (reboot=t, with
#      -no-reboot: QEMU exits)
# alternating A and B after one untimed warm-up run of each, and prints the
# medians, krun-run's boot breakdown (its --log-level debug `boot:` line:
# median time of each stage, the VMM's own share) and the ratio A/B. Then it measures krun-run's memory overhead:
# its peak RSS (VmHWM) minus the guest RAM it has resident (the Rss of its
# guest-memory mappings in /proc/PID/smaps), sampled while a workload that
# has finished its work sleeps; see docs/testing.md for why.
#
# --only times one side (and skips the other's checks and numbers).
# Defaults come from the build tree (DIR, default ./build): its krun-run,
# its busybox test root and the cached guest kernel. Run from the source
# root; it boots the test host itself (tests/host/run-in-testhost).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=10 build=$PWD/build krun_run='' kernel='' rootfs='' memory=512 inside=0 only=''

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
	--kernel) kernel=${2:?}; shift 2 ;;
	--rootfs) rootfs=${2:?}; shift 2 ;;
	--memory) memory=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
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
		echo "bench/boot.sh: $f is missing (build first: ninja -C build)" >&2
		exit 1
	}
done

if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 1500 --no-workdir -- \
		"$here/boot.sh" --inside "${args[@]}" --krun-run "$krun_run" \
		--kernel "$kernel" --rootfs "$rootfs"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$rootfs" "$work/root"

# B's initramfs: the same tree, plus an /init doing what krun-init does
# before the workload (kernel file systems), then /bin/true, then reboot.
make_initramfs() {
	mkdir "$work/init"
	cat >"$work/init/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
/bin/true && echo bench-guest-ok
reboot -f
INIT
	chmod 755 "$work/init/init"
	{
		(cd "$rootfs" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet)
		(cd "$work/init" && echo init | cpio -o -H newc -R 0:0 --quiet)
	} >"$work/initramfs.cpio"
}

now_ns() { date +%s%N; }

stages='vmm kvm-ready devices loaded kernel-entry init exec exit stop done'

# run_krun: one timed krun-run; prints milliseconds, fails on a bad status.
# Its boot breakdown (the `boot:` line at --log-level debug: ms since the
# VMM started per stage) goes to krun.stamps as "WALL MS1 MS2 ..." ("-"
# for a stage not reached).
run_krun() {
	local t0 t1 rc line
	t0=$(now_ns)
	KRUN_KERNEL=$kernel "$krun_run" --log-level debug --root "$work/root" \
		--memory "${memory}m" -- /bin/true \
		</dev/null >"$work/krun.out" 2>"$work/krun.err"
	rc=$?
	t1=$(now_ns)
	if [ $rc -ne 0 ]; then
		echo "bench/boot.sh: krun-run exited $rc:" >&2
		cat "$work/krun.err" >&2
		return 1
	fi
	line=$(sed -n 's/^krun\[debug\] boot: //p' "$work/krun.err" | tr ',' '\n' |
		awk '{ printf " %s", $2 }')
	echo "$(((t1 - t0) / 1000000))$line" >>"$work/krun.stamps"
	echo $(((t1 - t0) / 1000000))
}

# krun_breakdown: medians over the timed runs of each stage's time since
# the VMM started and of the step from the stage before; the VMM's own
# share (start to the kernel's entry, plus the stop to the end) and the
# time outside the VMM (process start, exit) per run, medians.
krun_breakdown() {
	local col=2 prev='' name at step
	[ -s "$work/krun.stamps" ] || return 0
	echo "krun-run boot breakdown (medians of $(wc -l <"$work/krun.stamps") runs, ms since the VMM started; step from the stage before):"
	for name in $stages; do
		at=$(awk -v c=$col '$c != "-" { print $c }' "$work/krun.stamps" | median)
		if [ -n "$prev" ]; then
			step=$(awk -v c=$col -v p=$((col - 1)) '$c != "-" && $p != "-" { print $c - $p }' \
				"$work/krun.stamps" | median)
		else
			step=0
		fi
		printf '  %-13s %6s ms  (+%s ms)\n' "$name" "${at:--}" "${step:--}"
		prev=$name col=$((col + 1))
	done
	# Columns: 1 wall, 2 vmm .. 6 kernel-entry .. 10 stop, 11 done.
	echo "  VMM's own share (start to kernel entry + stop to done): $(awk '$6 != "-" && $10 != "-" { print $6 + $11 - $10 }' "$work/krun.stamps" | median) ms"
	echo "  outside the VMM (process start and exit: wall - done): $(awk '$11 != "-" { print $1 - $11 }' "$work/krun.stamps" | median) ms"
}

# run_qemu: one timed QEMU boot; the serial port (a file, a few bytes:
# the kernel is quiet) tells that /init really ran.
run_qemu() {
	local t0 t1 rc
	rm -f "$work/serial"
	t0=$(now_ns)
	timeout -k 5 120 qemu-system-x86_64 -enable-kvm -M microvm,acpi=off -cpu host \
		-smp 1 -m "$memory" -nodefaults -no-user-config -display none \
		-serial "file:$work/serial" -no-reboot -kernel "$kernel" \
		-initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 reboot=t" </dev/null >"$work/qemu.out" 2>&1
	rc=$?
	t1=$(now_ns)
	if [ $rc -ne 0 ] || ! grep -q bench-guest-ok "$work/serial"; then
		echo "bench/boot.sh: QEMU exited $rc without bench-guest-ok:" >&2
		cat "$work/qemu.out" "$work/serial" >&2
		return 1
	fi
	echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# run_side krun|qemu: one run if that side is measured; prints its ms or "-".
run_side() {
	if [ -n "$only" ] && [ "$only" != "$1" ]; then
		echo -
		return 0
	fi
	"run_$1"
}

time_boots() {
	local i a b
	run_side krun >/dev/null || return 1
	run_side qemu >/dev/null || return 1
	: >"$work/krun.ms"
	: >"$work/qemu.ms"
	: >"$work/krun.stamps"
	for ((i = 1; i <= runs; i++)); do
		a=$(run_side krun) || return 1
		b=$(run_side qemu) || return 1
		[ "$a" = - ] || echo "$a" >>"$work/krun.ms"
		[ "$b" = - ] || echo "$b" >>"$work/qemu.ms"
		echo "run $i: krun-run ${a} ms, qemu ${b} ms"
	done
	a=$(median <"$work/krun.ms")
	b=$(median <"$work/qemu.ms")
	echo "median krun-run (--root tree, virtio-fs): ${a:--} ms"
	echo "median qemu microvm (initramfs):          ${b:--} ms"
	krun_breakdown
	if [ -n "$a" ] && [ -n "$b" ]; then
		echo "ratio krun-run/qemu: $(echo "scale=2; $a / $b" | bc) (goal <= 0.5)"
	fi
}

# guest_ram_kb PID: resident kB of the mappings at least as large as the
# half the guest RAM (anonymous or memfd): the guest's memory, not the VMM's.
guest_ram_kb() {
	awk -v min=$((memory * 1024 / 2)) '
		/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
		/^Size:/ { big = ($2 >= min) }
		/^Rss:/ && big { rss += $2 }
		END { print rss + 0 }' "/proc/$1/smaps"
}

measure_memory() {
	local pid i hwm rss guest used peak_time
	rm -f "$work/root/ready"
	KRUN_KERNEL=$kernel "$krun_run" --root "$work/root" --memory "${memory}m" -- /bin/sh -c \
		'grep -E "^(MemTotal|MemFree):" /proc/meminfo; touch /ready; sleep 5' \
		</dev/null >"$work/mem.out" 2>"$work/mem.err" &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		[ -e "$work/root/ready" ] || ! kill -0 "$pid" 2>/dev/null && break
		sleep 0.1
	done
	[ -e "$work/root/ready" ] || {
		echo "bench/boot.sh: the memory workload did not start" >&2
		cat "$work/mem.err" >&2
		return 1
	}
	sleep 0.5
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	guest=$(guest_ram_kb "$pid")
	grep -E '^(RssAnon|RssFile|RssShmem|Threads):' "/proc/$pid/status" | tr -s '\t ' ' '
	echo "krun-run children: $(ps -o pid= --ppid "$pid" | wc -l)"
	wait "$pid"
	peak_time=$( { /usr/bin/time -f '%M' env KRUN_KERNEL="$kernel" "$krun_run" \
		--root "$work/root" --memory "${memory}m" -- /bin/true </dev/null >/dev/null 2>/dev/null; } 2>&1)
	used=$(awk '/^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print t - f }' "$work/mem.out")
	echo "krun-run VmHWM ${hwm} kB, VmRSS ${rss} kB, guest RAM resident (smaps) ${guest} kB"
	echo "guest's own view: MemTotal - MemFree = ${used} kB"
	echo "peak RSS of krun-run -- /bin/true (/usr/bin/time %M): ${peak_time} kB"
	echo "VMM overhead = VmHWM - guest RAM resident: $(((hwm - guest) / 1024)) MiB ($((hwm - guest)) kB) (goal < 5 MiB)"
}

echo "bench: kernel $kernel"
echo "bench: krun-run $krun_run, guest RAM ${memory} MiB, ${runs} runs each"
make_initramfs || exit 1
time_boots || exit 1
if [ "$only" != qemu ]; then
	measure_memory || exit 1
fi
