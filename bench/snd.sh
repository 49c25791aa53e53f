#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/snd.sh [--runs N] [--build DIR]
#
# virtio-snd latency benchmark, not a test. Inside the emulated KVM test
# host a PipeWire server (pipewire, wireplumber) with a null sink runs as
# in tests/system/krun-run-snd.sh. One clock, the test host's
# CLOCK_REALTIME, times both ends of each click:
#   start  snd-click (tests/rootfs/snd-click.c) takes CLOCK_REALTIME right
#          before it hands a 5 ms click's first frame to ALSA's "default"
#          PCM (the guest's virtio-snd card, or PipeWire's ALSA plugin on
#          the test host) and prints it;
#   end    snd-onsets (bench/snd-onsets.c), started before any click and
#          running throughout, records the sink's monitor in the graph
#          cycle (RT process; it asks for a 2048-frame quantum, as
#          pw-record's default latency does) and turns each click's onset into
#          CLOCK_REALTIME: the cycle's start on the driver's clock plus
#          the onset's index in the cycle's buffer / 48 kHz. Its start-up
#          is outside every measurement.
# Latency = end - start: from the application's write to the click in the
# null sink's output (a real device would add its own, equal, buffer).
# The guest's CLOCK_REALTIME (kvmclock) is tied to the host's through the
# console: the guest prints "ready", the host notes t0 and writes a line,
# the guest takes its time g as the first byte arrives and prints it, the
# host notes t1 when that comes back; the offset guest - host lies in
# [g - t1, g - t0]. Eight such round trips before the guest's clicks and
# eight after; the intersection of all sixteen intervals is the offset's
# range, its middle is used and half its width is the error bound added to
# every guest figure (printed; drift would show as an empty
# intersection, which is reported and makes the script fail).
# Two players, each on both paths:
#   cold   as aplay does, per click: open the PCM, set it up (500 ms
#          buffer, aplay's default), take the time, write the click + 1 s
#          of silence, drain, close (the stream's start is inside the
#          figure; the silence keeps the click clear of the stream's end);
#   warm   one running stream (100 ms buffer) kept full one period at a
#          time; a click every 500 ms (the figure includes the ALSA
#          buffer ahead of the click, printed as "queued" from
#          snd_pcm_delay()).
# Each is run N times (default 5) on the test host (host-only path:
# snd-click -> PipeWire's ALSA plugin -> PipeWire) and in one krun-run
# guest (--sound, the Debian tree $KRUN_GFX_ROOTFS with snd-click:
# snd-click -> guest ALSA -> virtio-snd -> krun-run's PipeWire stream).
# Printed: every run, the medians in ms, and the guest's median minus the
# host's ("krun-run adds"). Errors: the guest offset bound above; the
# onset's time is exact to a sample relative to the cycle's start, and
# snd-onsets prints how late its process() ran after that start (the
# cycle's own scheduling delay, not in the figure).
# Needs the graphics tree with snd-click (ninja -C build
# tests/rootfs/debian-gfx-rootfs.img) and build/bench/snd-onsets.
# Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=5 build=$PWD/build inside=0

usage() {
	sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--build) build=$(cd "${2:?}" && pwd) || exit 2; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
krun_run=$build/cmd/krun-run/krun-run
onsets=$build/bench/snd-onsets
kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
: "${KRUN_GFX_ROOTFS:?bench/snd.sh: KRUN_GFX_ROOTFS (the Debian tree with alsa-utils) is not set}"
click=$KRUN_GFX_ROOTFS/usr/local/bin/snd-click
for f in "$krun_run" "$onsets" "$kernel" "$click"; do
	[ -e "$f" ] || {
		echo "bench/snd.sh: $f is missing (build first: ninja -C build; the tree: ninja -C build tests/rootfs/debian-gfx-rootfs.img)" >&2
		exit 1
	}
done
if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 1500 --no-workdir -- \
		"$here/snd.sh" --inside "${args[@]}" --build "$build"
fi

work=$(mktemp -d /tmp/krun-bench.XXXXXX)
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR=$work/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"

wait_for() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "bench/snd.sh: timed out waiting for: $*" >&2
	return 1
}

pipewire >"$work/pipewire.log" 2>&1 &
pids+=($!)
wait_for 30 test -S "$XDG_RUNTIME_DIR/pipewire-0" || exit 1
# As in tests/system/krun-run-snd.sh: wireplumber's bluetooth part off
# (it quits without systemd-logind), a session bus for it.
mkdir -p "$work/config/wireplumber/bluetooth.lua.d"
echo "-- bluetooth off" >"$work/config/wireplumber/bluetooth.lua.d/90-enable-all.lua"
XDG_CONFIG_HOME=$work/config dbus-run-session -- wireplumber >"$work/wireplumber.log" 2>&1 &
pids+=($!)
timeout 10 pw-cli create-node adapter '{ factory.name=support.null-audio-sink
	node.name=krun-null-sink media.class=Audio/Sink object.linger=true
	audio.position=[FL FR] }' >/dev/null 2>&1
wait_for 90 sh -c 'timeout 10 wpctl status | grep -q "\*.*krun-null-sink"' || exit 1

"$onsets" krun-null-sink >"$work/onsets" 2>"$work/onsets.err" &
rec=$!
pids+=("$rec")
wait_for 30 grep -q '^ready' "$work/onsets" || exit 1

echo "host-only path: snd-click on the test host (PipeWire's ALSA plugin)"
"$click" --clicks "$runs" --tail-ms 1000 --latency-us 500000 \
	>"$work/host" || exit 1
"$click" --warm --clicks "$runs" >>"$work/host" || exit 1

echo "guest path: snd-click in a krun-run guest (--sound)"
nsync=8
coproc GUEST {
	KRUN_KERNEL=$kernel exec "$krun_run" --sound --read-only \
		--root "$KRUN_GFX_ROOTFS" -- /bin/sh -c "
		/usr/local/bin/snd-click --sync $nsync &&
		/usr/local/bin/snd-click --clicks $runs --tail-ms 1000 \
			--latency-us 500000 &&
		/usr/local/bin/snd-click --warm --clicks $runs &&
		/usr/local/bin/snd-click --sync $nsync" \
		2>"$work/krun.err"
}
guest=$GUEST_PID
# EPOCHREALTIME: the shell's own clock read, no process start in between.
while IFS= read -r line <&"${GUEST[0]}"; do
	case $line in
	ready)
		t0=$EPOCHREALTIME
		echo ping >&"${GUEST[1]}"
		;;
	sync\ *)
		t1=$EPOCHREALTIME
		echo "sync $t0 ${line#sync } $t1"
		;;
	*) echo "$line" ;;
	esac
done >"$work/guest"
wait "$guest"
status=$?
[ $status -eq 0 ] || echo "bench/snd.sh: krun-run exited with $status" >&2
sleep 1
kill -INT "$rec"
for _ in $(seq 50); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
wait "$rec" 2>/dev/null
[ -s "$work/krun.err" ] && sed 's/^/krun-run stderr: /' "$work/krun.err"
[ -s "$work/onsets.err" ] && sed 's/^/snd-onsets stderr: /' "$work/onsets.err"

python3 - "$work/onsets" "$work/host" "$work/guest" "$runs" <<'PY'
import statistics, sys
onsets, lag = [], []
summary = ''
for l in open(sys.argv[1]):
    f = l.split()
    if f[0] == 'onset':
        onsets.append(int(f[1]))
        lag.append(int(f[2]))
    elif f[0] == 'cycles':
        summary = l.strip()
runs = int(sys.argv[4])

def clicks(path):
    """{'cold': [(t_ns, queued_frames)], 'warm': [...]}, sync triples"""
    out, mode, syncs, xruns = {'cold': [], 'warm': []}, 'cold', [], 0
    for l in open(path):
        f = l.split()
        if not f:
            continue
        if f[0] == 'warm':
            mode = 'warm'
            print('  %s: %s' % (path.rsplit('/', 1)[1], l.strip()))
        elif f[0] == 'click':
            out[mode].append((int(f[2]), int(f[3])))
        elif f[0] == 'sync':
            t0 = round(float(f[1]) * 1e9)
            t1 = round(float(f[3]) * 1e9)
            syncs.append((t0, int(f[2]), t1))
        elif f[0] == 'xrun':
            xruns += 1
    if xruns:
        print('  %s: %d xruns' % (path.rsplit('/', 1)[1], xruns))
    return out, syncs

host, _ = clicks(sys.argv[2])
guest, syncs = clicks(sys.argv[3])
ok = True
if len(syncs) < 2:
    sys.exit('bench/snd.sh: only %d clock round trips with the guest' % len(syncs))
lo = max(g - t1 for t0, g, t1 in syncs)
hi = min(g - t0 for t0, g, t1 in syncs)
rtt = sorted((t1 - t0) / 1e6 for t0, g, t1 in syncs)
print('guest clock: %d round trips over the console, %.2f-%.2f ms each'
      % (len(syncs), rtt[0], rtt[-1]))
if lo > hi:
    # Drift or a step between the rounds: no single offset fits them all.
    print('guest clock: offset ranges do not overlap (%.3f ms apart): the '
          'clocks drifted; guest figures not computed' % ((lo - hi) / 1e6))
    sys.exit(1)
offset, bound = (lo + hi) / 2, (hi - lo) / 2
print('guest clock: guest - host = %.3f ms +- %.3f ms' % (offset / 1e6, bound / 1e6))

used = set()
def latencies(events, shift):
    res = []
    for t, queued in events:
        t -= shift
        # The first onset not yet used from 20 ms before the write on
        # (slack for the offset bound) up to 2 s after it.
        cand = [i for i, o in enumerate(onsets)
                if i not in used and t - 20e6 <= o <= t + 2e9]
        if not cand:
            res.append((None, queued))
            continue
        used.add(cand[0])
        res.append(((onsets[cand[0]] - t) / 1e6, queued))
    return res

medians = {}
for mode in ('cold', 'warm'):
    for who, ev, shift in (('host', host, 0), ('guest', guest, offset)):
        res = latencies(ev[mode], shift)
        if len(res) != runs:
            print('%s %s: %d of %d clicks reported' % (who, mode, len(res), runs))
            ok = False
        for i, (l, q) in enumerate(res):
            extra = ', queued ahead %.1f ms' % (q / 48.0) if mode == 'warm' else ''
            print('%s %s run %d: write -> click in the sink: %s%s'
                  % (who, mode, i + 1, 'no click found' if l is None else '%.1f ms' % l, extra))
        vals = [l for l, q in res if l is not None]
        if len(vals) != len(res):
            ok = False
        if vals:
            medians[who, mode] = statistics.median(vals)
            print('%s %s median: %.1f ms over %d runs%s' % (
                who, mode, medians[who, mode], len(vals),
                ' (+- %.1f ms clock offset bound)' % (bound / 1e6) if who == 'guest' else ''))
    if ('host', mode) in medians and ('guest', mode) in medians:
        print('%s: krun-run adds %.1f ms (guest median - host median, +- %.1f ms)' % (
            mode, medians['guest', mode] - medians['host', mode], bound / 1e6))
if len(used) != len(onsets):
    print('%d onsets in the recording matched no click' % (len(onsets) - len(used)))
    ok = False
if lag:
    print('snd-onsets: process() ran %.1f-%.1f ms after its cycle start at the onsets; %s'
          % (min(lag) / 1e6, max(lag) / 1e6, summary))
sys.exit(0 if ok else 1)
PY
