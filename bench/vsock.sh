#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/vsock.sh [--runs N] [--build DIR] [--mib M] [--connects N]
#                [--only krun|qemu]
#
# vsock benchmark, not a test: inside the emulated KVM test host the same
# guest kernel and busybox test root (vsock-helper) run under
#   krun-run  --cpus 1 --memory 512m, its vsock device bridged to UNIX
#             sockets (--vsock PORT:PATH, --vsock PORT:PATH,listen)
#   QEMU      -enable-kvm -M microvm -cpu host -smp 1 -m 512 with
#             vhost-vsock-device guest-cid=3 (the test host's
#             /dev/vhost-vsock), the host side plain AF_VSOCK; the tree as
#             an initramfs (bench/lib/qemu-guest.sh)
# and measure, in N boots of each (default 3), alternating krun-run and
# QEMU so that load from elsewhere hits both alike, each boot measuring
# once, with the medians printed:
#   throughput guest -> host  the guest sends M MiB (default 64) to a host
#                             sink
#   throughput host -> guest  the host sends M MiB to a sink in the guest
#   connect latency           connect, 1 byte there and back, close, from
#                             either side, averaged over --connects (200)
# and the ratios krun-run / QEMU as speed-ups (> 1: krun-run is faster).
# Timed by vsock-helper (CLOCK_MONOTONIC) on the sending/connecting side.
# Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$PWD/build mib=64 connects=200 inside=0 only=''

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
	--only) only=${2:?}; shift 2 ;;
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
case $only in '' | krun | qemu) ;; *) usage ;; esac
if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 3000 --no-workdir -- \
		"$here/vsock.sh" --inside "${args[@]}" --build "$build"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
cp -a "$rootfs" "$work/root"
H=$work/root/usr/bin/vsock-helper
s=$work/s
mkdir "$s"
bytes=$((mib * 1048576))

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

wait_file() {
	local i
	for ((i = 0; i < 6000; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "bench/vsock.sh: $1 did not appear" >&2
	return 1
}

# shellcheck source=bench/lib/qemu-guest.sh
. "$here/lib/qemu-guest.sh"

# The host ends of the guest's connections, a sink and an echo server:
# UNIX sockets for krun-run, AF_VSOCK for QEMU (the host is CID 2).
"$H" serve "unix:$s/sink.sock" sink >/dev/null 2>&1 &
pids+=($!)
"$H" serve "unix:$s/echo.sock" seq-echo >/dev/null 2>&1 &
pids+=($!)
qemu_ok=1
if [ ! -c /dev/vhost-vsock ]; then
	echo "bench/vsock.sh: the test host has no /dev/vhost-vsock (CONFIG_VHOST_VSOCK in configs/testhost-x86_64.config); QEMU not measured" >&2
	qemu_ok=0
elif [ "$only" != krun ]; then
	"$H" serve 1300 sink >/dev/null 2>&1 &
	pids+=($!)
	"$H" serve 1301 seq-echo >/dev/null 2>&1 &
	pids+=($!)
fi

# krun-run: the files in the shared root pace the sides.
run_krun() {
	rm -f "$work/root/guest-done" "$work/root/host-done" "$work/root/ready-a" \
		"$work/root/ready-b"

	KRUN_KERNEL=$kernel "$krun_run" --root "$work/root" --cpus 1 --memory 512m \
		--vsock "1300:$s/sink.sock" --vsock "1301:$s/echo.sock" \
		--vsock "1400:$s/in.sock,listen" --vsock "1401:$s/lat.sock,listen" \
		-- /bin/sh -c "
		VSOCK_READY=/ready-a vsock-helper serve 1400 sink &
		VSOCK_READY=/ready-b vsock-helper serve 1401 seq-echo &
		echo \"g2h \$(vsock-helper xfer connect 2 1300 $bytes 1 2)\"
		echo \"gconn \$(vsock-helper connects 2 1301 $connects)\"
		touch /guest-done
		while [ ! -e /host-done ]; do sleep 0.2; done" \
		</dev/null >>"$work/krun.guest" 2>"$work/krun.err" &
	kpid=$!
	if ! wait_file "$work/root/guest-done" || ! wait_file "$work/root/ready-a" ||
		! wait_file "$work/root/ready-b"; then
		kill "$kpid"
		return 1
	fi
	{
		echo "h2g $("$H" xfer connect "unix:$s/in.sock" "$bytes" 1 2)"
		echo "hconn $("$H" connects "unix:$s/lat.sock" "$connects")"
	} >>"$work/krun.host"
	touch "$work/root/host-done"
	wait "$kpid"
}

# QEMU: vhost-vsock, the guest is CID 3. The console paces the host; a
# connection to the guest's port 1499 ends the guest.
run_qemu() {
	local qpid rc=0
	rm -f "$work/qemu.cur" # the wait below must not see the last boot's
	qemu_guest --kernel "$kernel" --tree "$work/root" --cpus 1 --memory 512 \
		--vsock-cid 3 --console "$work/qemu.cur" --timeout 1200 -- "
		VSOCK_READY=/tmp/ready-a vsock-helper serve 1400 sink &
		VSOCK_READY=/tmp/ready-b vsock-helper serve 1401 seq-echo &
		while [ ! -e /tmp/ready-a ] || [ ! -e /tmp/ready-b ]; do sleep 0.1; done
		echo \"g2h \$(vsock-helper xfer connect 2 1300 $bytes 1 2)\"
		echo \"gconn \$(vsock-helper connects 2 1301 $connects)\"
		echo guest-done
		vsock-helper listen 1499 </dev/null >/dev/null" &
	qpid=$!
	for ((i = 0; i < 6000; i++)); do
		grep -q '^guest-done' "$work/qemu.cur" 2>/dev/null && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	if grep -q '^guest-done' "$work/qemu.cur" 2>/dev/null; then
		{
			echo "h2g $(timeout 900 "$H" xfer connect 3 1400 "$bytes" 1 2)"
			echo "hconn $(timeout 900 "$H" connects 3 1401 "$connects")"
		} >>"$work/qemu.host"
		timeout 60 "$H" connect 3 1499 </dev/null >/dev/null
	else
		echo "bench/vsock.sh: the QEMU guest did not finish its part" >&2
		kill "$qpid" 2>/dev/null
	fi
	wait "$qpid" || rc=$?
	tr -d '\r' <"$work/qemu.cur" >>"$work/qemu.guest"
	[ $rc -eq 0 ] || tr -d '\r' <"$work/qemu.cur" | tail -n 20 >&2
	return $rc
}

for ((run = 1; run <= runs; run++)); do
	for side in krun qemu; do
		[ -n "$only" ] && [ "$only" != $side ] && continue
		[ $side = qemu ] && [ $qemu_ok -eq 0 ] && continue
		"run_$side" || echo "bench/vsock.sh: $side: boot $run failed" >&2
	done
done

# xfer lines: "sent SUM N recv SUM M ok|bad MS"; the sink closes after
# reading to EOF, so the sender's MS covers the bytes arriving. Empty if a
# run failed.
xfer_ms() {
	grep -q "^$2 .* bad " "$1" 2>/dev/null && return
	tr -d '\r' <"$1" 2>/dev/null | sed -n "s/^$2 sent .* ok \([0-9]*\)$/\1/p" | median
}
avg_us() { tr -d '\r' <"$1" 2>/dev/null | sed -n "s/^$2 connects [0-9]* avg_us \([0-9]*\)$/\1/p" | median; }
mibs() { [ -n "$1" ] && awk -v b="$bytes" -v ms="$1" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }'; }
# row NAME UNIT KRUN QEMU HIGHER-IS-BETTER(1|0)
row() {
	awk -v n="$1" -v u="$2" -v k="$3" -v q="$4" -v hb="$5" 'BEGIN {
		r = "-"
		if (k != "" && q != "" && k > 0 && q > 0)
			r = sprintf("%.2f", hb ? k / q : q / k)
		printf "%-32s %10s %10s %8s  %s\n", n, (k == "" ? "-" : k), (q == "" ? "-" : q), r, u }'
}
echo
echo "bench/vsock.sh: $runs runs, $mib MiB, $connects connects; medians"
printf '%-32s %10s %10s %8s\n' '' krun-run QEMU speedup
row "throughput guest -> host" MiB/s "$(mibs "$(xfer_ms "$work/krun.guest" g2h)")" \
	"$(mibs "$(xfer_ms "$work/qemu.guest" g2h)")" 1
row "throughput host -> guest" MiB/s "$(mibs "$(xfer_ms "$work/krun.host" h2g)")" \
	"$(mibs "$(xfer_ms "$work/qemu.host" h2g)")" 1
row "connect+echo+close, guest conn." us "$(avg_us "$work/krun.guest" gconn)" \
	"$(avg_us "$work/qemu.guest" gconn)" 0
row "connect+echo+close, host conn." us "$(avg_us "$work/krun.host" hconn)" \
	"$(avg_us "$work/qemu.host" hconn)" 0
echo "(speedup: krun-run / QEMU for throughput, QEMU / krun-run for latency; > 1: krun-run is faster)"
