#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/net.sh [--runs N] [--build DIR] [--mib M] [--rtts N] [--connects N]
#              [--only krun|qemu]
#
# Network benchmark, not a test: inside the emulated KVM test host the same
# guest kernel and busybox test root (vsock-helper) run the same workload
# under
#   krun-run  --root TREE --cpus 1 --memory 512m -p PORT... (its own passt)
#   QEMU      -enable-kvm -M microvm -cpu host -smp 1 -m 512, virtio-net on
#             -netdev stream to a passt listening on a UNIX socket (passt
#             --socket PATH -t PORT...), the tree as an initramfs, eth0 set
#             up as passt's DHCP would (bench/lib/qemu-guest.sh)
# Servers run only on the test host's loopback; the guest reaches them at
# the gateway address, which passt maps to the loopback, and the host
# reaches the guest's through passt's -t forwards. N boots of each
# (default 3), alternating krun-run and QEMU so that load from elsewhere
# hits both alike, each boot measuring once, medians printed:
#   throughput guest -> host  the guest sends M MiB (default 64) to a sink
#   throughput host -> guest  the host sends M MiB to a sink in the guest
#   request latency           one TCP connection, 1 byte there and back,
#                             averaged over --rtts (default 1000), guest to
#                             host and host to guest
#   connect latency           connect, 1 byte there and back, close, from
#                             the guest, averaged over --connects (200)
# and the ratios krun-run / QEMU as speed-ups (> 1: krun-run is faster).
# Timed by vsock-helper (CLOCK_MONOTONIC) on the sending/connecting side.
# Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 build=$PWD/build mib=64 rtts=1000 connects=200 inside=0 only=''

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
	--rtts) rtts=${2:?}; shift 2 ;;
	--connects) connects=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
case $only in '' | krun | qemu) ;; *) usage ;; esac
krun_run=$build/cmd/krun-run/krun-run
rootfs=$build/tests/rootfs/busybox-rootfs
kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
for f in "$krun_run" "$kernel" "$rootfs/usr/bin/vsock-helper"; do
	[ -e "$f" ] || {
		echo "bench/net.sh: $f is missing (build first: ninja -C build)" >&2
		exit 1
	}
done
if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 3000 --no-workdir -- \
		"$here/net.sh" --inside "${args[@]}" --build "$build"
fi

# shellcheck source=bench/lib/qemu-guest.sh
. "$here/lib/qemu-guest.sh"
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
bytes=$((mib * 1048576))

# What passt derives the guest's configuration from: the test host's
# interface with the default route (tests/host/testhost-init).
dev=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1); exit }')
gw=$(ip -4 route show default | awk '{ print $3; exit }')
addr=$(ip -4 -o addr show dev "${dev:-none}" 2>/dev/null | awk '{ print $4; exit }')
if [ -z "$gw" ] || [ -z "$addr" ]; then
	echo "bench/net.sh: the test host has no default route (passt needs one)" >&2
	exit 1
fi

# Host servers on the loopback (the guest's gateway address maps there).
"$H" serve tcp:127.0.0.1:5001 sink >/dev/null 2>&1 &
pids+=($!)
"$H" serve tcp:127.0.0.1:5002 seq-echo >/dev/null 2>&1 &
pids+=($!)

# The guest's side, the same under both VMMs: its servers (reached through
# the forwards of 5101, 5102), its measurements, "guest-done", then it
# waits for the host's connection to 5199 and ends.
guest_cmds="
VSOCK_READY=/tmp/r1 vsock-helper serve tcp:0.0.0.0:5101 sink &
VSOCK_READY=/tmp/r2 vsock-helper serve tcp:0.0.0.0:5102 seq-echo &
while [ ! -e /tmp/r1 ] || [ ! -e /tmp/r2 ]; do sleep 0.1; done
echo \"g2h \$(vsock-helper xfer connect tcp:$gw:5001 $bytes 1 2)\"
echo \"grtt \$(vsock-helper rtt tcp:$gw:5002 $rtts)\"
echo \"gconn \$(vsock-helper connects tcp:$gw:5002 $connects)\"
echo guest-done
vsock-helper listen tcp:0.0.0.0:5199 </dev/null >/dev/null
"
ports=(5101 5102 5199)

# host_side OUT CONSOLE: once the guest is done, the host's measurements
# appended to OUT, then the connection that ends the guest.
host_side() {
	local i
	for ((i = 0; i < 3000; i++)); do
		grep -q '^guest-done' "$2" 2>/dev/null && break
		sleep 0.2
	done
	grep -q '^guest-done' "$2" 2>/dev/null || {
		echo "bench/net.sh: the guest did not finish its part" >&2
		return 1
	}
	{
		echo "h2g $(timeout 900 "$H" xfer connect tcp:127.0.0.1:5101 "$bytes" 1 2)"
		echo "hrtt $(timeout 900 "$H" rtt tcp:127.0.0.1:5102 "$rtts")"
	} >>"$1"
	timeout 60 "$H" connect tcp:127.0.0.1:5199 </dev/null >/dev/null
}

run_krun() {
	local p=() port kpid rc=0
	for port in "${ports[@]}"; do p+=(-p "$port:$port"); done
	rm -f "$work/krun.cur" # host_side must not see the last boot's
	KRUN_KERNEL=$kernel timeout -k 5 1200 "$krun_run" --root "$work/root" \
		--cpus 1 --memory 512m "${p[@]}" -- /bin/sh -c "$guest_cmds" \
		</dev/null >"$work/krun.cur" 2>"$work/krun.err" &
	kpid=$!
	host_side "$work/krun.host" "$work/krun.cur" || kill "$kpid" 2>/dev/null
	wait "$kpid" || rc=$?
	cat "$work/krun.cur" >>"$work/krun.guest"
	if [ $rc -ne 0 ]; then
		echo "bench/net.sh: krun-run exited $rc:" >&2
		tail -n 20 "$work/krun.err" >&2
	fi
	return $rc
}

run_qemu() {
	local t=() port ppid qpid rc=0 i
	rm -rf "$work/passt"
	for port in "${ports[@]}"; do t+=(-t "$port"); done
	# passt drops to user nobody before it binds its socket.
	mkdir -p "$work/passt"
	chown nobody "$work/passt"
	chmod 711 "$work"
	passt --foreground --socket "$work/passt/sock" "${t[@]}" \
		>"$work/passt.log" 2>&1 &
	ppid=$!
	pids+=("$ppid")
	for ((i = 0; i < 100; i++)); do
		[ -S "$work/passt/sock" ] && break
		sleep 0.1
	done
	rm -f "$work/qemu.cur" # host_side must not see the last boot's
	qemu_guest --kernel "$kernel" --tree "$work/root" --cpus 1 --memory 512 \
		--net-socket "$work/passt/sock" --net-addr "$addr" --net-gw "$gw" \
		--console "$work/qemu.cur" --timeout 1200 -- "$guest_cmds" &
	qpid=$!
	host_side "$work/qemu.host" "$work/qemu.cur" || kill "$qpid" 2>/dev/null
	wait "$qpid" || rc=$?
	tr -d '\r' <"$work/qemu.cur" >>"$work/qemu.guest"
	kill "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
	if [ $rc -ne 0 ]; then
		echo "bench/net.sh: the QEMU guest ended with $rc:" >&2
		tr -d '\r' <"$work/qemu.cur" | tail -n 20 >&2
		tail -n 20 "$work/passt.log" >&2
	fi
	return $rc
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# xfer_ms FILE KEY: median milliseconds of KEY's xfer lines ("sent SUM N
# recv SUM M ok MS"); the sink closes after reading to EOF, so the
# sender's MS covers the bytes arriving. Empty if a run failed.
xfer_ms() {
	grep -q "^$2 .* bad " "$1" 2>/dev/null && return
	tr -d '\r' <"$1" | sed -n "s/^$2 sent .* ok \([0-9]*\)$/\1/p" | median
}
# avg_us FILE KEY: median of KEY's "avg_us U" lines.
avg_us() { tr -d '\r' <"$1" | sed -n "s/^$2 .* avg_us \([0-9]*\)$/\1/p" | median; }

for ((run = 1; run <= runs; run++)); do
	for side in krun qemu; do
		[ -n "$only" ] && [ "$only" != $side ] && continue
		"run_$side" || echo "bench/net.sh: $side: boot $run failed" >&2
	done
done

mibs() { [ -n "$1" ] && awk -v b="$bytes" -v ms="$1" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }'; }
# row NAME UNIT KRUN QEMU HIGHER-IS-BETTER(1|0)
row() {
	awk -v n="$1" -v u="$2" -v k="$3" -v q="$4" -v hb="$5" 'BEGIN {
		r = "-"
		if (k != "" && q != "" && k > 0 && q > 0)
			r = sprintf("%.2f", hb ? k / q : q / k)
		printf "%-28s %12s %12s %8s  %s\n", n, (k == "" ? "-" : k), (q == "" ? "-" : q), r, u }'
}
kg=$(xfer_ms "$work/krun.guest" g2h) qg=$(xfer_ms "$work/qemu.guest" g2h)
kh=$(xfer_ms "$work/krun.host" h2g) qh=$(xfer_ms "$work/qemu.host" h2g)
echo
echo "bench/net.sh: $runs runs, $mib MiB, $rtts round trips, $connects connects; medians"
printf '%-28s %12s %12s %8s\n' '' krun-run QEMU speedup
row "throughput guest -> host" MiB/s "$(mibs "$kg")" "$(mibs "$qg")" 1
row "throughput host -> guest" MiB/s "$(mibs "$kh")" "$(mibs "$qh")" 1
row "request rtt, guest -> host" us "$(avg_us "$work/krun.guest" grtt)" "$(avg_us "$work/qemu.guest" grtt)" 0
row "request rtt, host -> guest" us "$(avg_us "$work/krun.host" hrtt)" "$(avg_us "$work/qemu.host" hrtt)" 0
row "connect+echo+close, guest" us "$(avg_us "$work/krun.guest" gconn)" "$(avg_us "$work/qemu.guest" gconn)" 0
echo "(speedup: krun-run / QEMU for throughput, QEMU / krun-run for latency; > 1: krun-run is faster)"
