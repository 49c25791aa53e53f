#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/vsock.sh [--runs N] [--build DIR] [--mib M] [--connects N]
#
# vsock benchmark, not a test: inside the emulated KVM test host one
# krun-run guest (busybox test root, vsock-helper) measures, N times each
# (default 3), with the medians printed:
#   throughput guest -> host  the guest sends M MiB (default 64) to a host
#                             UNIX socket (--vsock PORT:PATH)
#   throughput host -> guest  the host sends M MiB into the guest through a
#                             listening bridge (--vsock PORT:PATH,listen)
#   connect latency           connect, 1 byte there and back, close, from
#                             either side, averaged over --connects (200)
# Timed by vsock-helper (CLOCK_MONOTONIC) on the sending/connecting side.
# QEMU's vhost-vsock is measured only where the test host has
# /dev/vhost-vsock; the test-host kernel (configs/testhost-x86_64.config)
# has no CONFIG_VHOST_VSOCK, so the script says so instead.
# Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$PWD/build mib=64 connects=200 inside=0

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd) || exit 2; shift 2 ;;
	--mib) mib=${2:?}; shift 2 ;;
	--connects) connects=${2:?}; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
krun_run=$build/cmd/krun-run/krun-run
rootfs=$build/tests/rootfs/busybox-rootfs
kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
for f in "$krun_run" "$kernel" "$rootfs/usr/bin/vsock-helper"; do
	[ -e "$f" ] || {
		echo "bench/vsock.sh: $f is missing (build first: ninja -C build)" >&2
		exit 1
	}
done
if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 1500 --no-workdir -- \
		"$here/vsock.sh" --inside "${args[@]}" --build "$build"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
cp -a "$rootfs" "$work/root"
H=$work/root/usr/bin/vsock-helper
s=$work/s
mkdir "$s"
bytes=$((mib * 1048576))

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

wait_file() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "bench/vsock.sh: $1 did not appear" >&2
	return 1
}

# The host ends of the guest's connections: a sink and an echo server.
"$H" serve "unix:$s/sink.sock" sink >/dev/null 2>&1 &
pids+=($!)
"$H" serve "unix:$s/echo.sock" seq-echo >/dev/null 2>&1 &
pids+=($!)

KRUN_KERNEL=$kernel "$krun_run" --root "$work/root" \
	--vsock "1300:$s/sink.sock" --vsock "1301:$s/echo.sock" \
	--vsock "1400:$s/in.sock,listen" --vsock "1401:$s/lat.sock,listen" \
	-- /bin/sh -c "
	VSOCK_READY=/ready-a vsock-helper serve 1400 sink &
	VSOCK_READY=/ready-b vsock-helper serve 1401 seq-echo &
	for i in \$(seq $runs); do
		echo \"g2h \$(vsock-helper xfer connect 2 1300 $bytes 1 2)\"
		echo \"gconn \$(vsock-helper connects 2 1301 $connects)\"
	done
	touch /guest-done
	while [ ! -e /host-done ]; do sleep 0.2; done" \
	</dev/null >"$work/guest.out" 2>"$work/guest.err" &
kpid=$!
wait_file "$work/root/guest-done" && wait_file "$work/root/ready-a" &&
	wait_file "$work/root/ready-b" || exit 1
for ((i = 0; i < runs; i++)); do
	echo "h2g $("$H" xfer connect "unix:$s/in.sock" "$bytes" 1 2)" >>"$work/host.out"
	echo "hconn $("$H" connects "unix:$s/lat.sock" "$connects")" >>"$work/host.out"
done
touch "$work/root/host-done"
wait "$kpid"

# xfer lines: "sent SUM N recv SUM M ok|bad MS"; the sink closes after
# reading to EOF, so the sender's MS covers the bytes arriving.
report() { # NAME FILE KEY
	local ms mibs
	ms=$(sed -n "s/^$3 sent .* \(ok\|bad\) \([0-9]*\)$/\2/p" "$2" | median)
	if [ -z "$ms" ] || grep -q "^$3 .* bad " "$2"; then
		echo "$1: failed"
		cat "$2" "$work/guest.err" >&2
		return
	fi
	mibs=$(awk -v b="$bytes" -v ms="$ms" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }')
	echo "$1: ${mib} MiB in $ms ms (median of $runs) = $mibs MiB/s"
}
latency() { # NAME FILE KEY
	echo "$1: $(sed -n "s/^$3 connects [0-9]* avg_us //p" "$2" | median) us per connect+echo+close (median of $runs, $connects each)"
}
report "throughput guest -> host" "$work/guest.out" g2h
report "throughput host -> guest" "$work/host.out" h2g
latency "connect latency, guest connects" "$work/guest.out" gconn
latency "connect latency, host connects" "$work/host.out" hconn
if [ -e /dev/vhost-vsock ]; then
	echo "QEMU vhost-vsock: /dev/vhost-vsock exists, but this script does not drive QEMU yet"
else
	echo "QEMU vhost-vsock: not measured, the test host has no /dev/vhost-vsock (CONFIG_VHOST_VSOCK is not set in configs/testhost-x86_64.config)"
fi
