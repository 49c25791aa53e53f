#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/snd.sh [--runs N] [--build DIR]
#
# virtio-snd latency benchmark, not a test: inside the emulated KVM test
# host a PipeWire server (pipewire, wireplumber) with a null sink runs as
# in tests/system/krun-run-snd.sh, pw-record records the sink's monitor,
# and one krun-run guest (--sound, the Debian tree $KRUN_GFX_ROOTFS) plays
# a click N times (default 5) with aplay, printing a line just before
# each aplay starts; the host notes when each line arrives. Before the
# guest starts, the host plays the same click with pw-play, noting when
# pw-play started: that click ties the recording's timeline to the
# host's clock. Each guest click's latency is
#   (its onset in the recording - the reference click's onset)
#   - (when the guest's line arrived - when pw-play started)
# i.e. from `aplay` starting in the guest to the click in the host's
# recording, measured against a host pw-play click (whose own start-up is
# subtracted this way; the figure is the extra latency of the guest
# path). Printed: every run and the median in ms.
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
kernel=$("$src/configs/build-kernel.sh" --print-path guest) || exit 1
: "${KRUN_GFX_ROOTFS:?bench/snd.sh: KRUN_GFX_ROOTFS (the Debian tree with alsa-utils) is not set}"
for f in "$krun_run" "$kernel" "$KRUN_GFX_ROOTFS/usr/bin/aplay"; do
	[ -e "$f" ] || {
		echo "bench/snd.sh: $f is missing (build first: ninja -C build)" >&2
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
mkdir -m 700 "$XDG_RUNTIME_DIR" "$work/share"
chmod 777 "$work/share"

now() { date +%s.%N; }
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

# A 5 ms full-scale 1 kHz burst, then 0.5 s of silence.
sox -n -r 48000 -c 2 -b 16 "$work/share/click.wav" synth 0.005 square 1000 \
	pad 0 0.5
pw-record -P '{ stream.capture.sink=true }' --target krun-null-sink \
	"$work/rec.wav" >/dev/null 2>&1 &
rec=$!
sleep 1
t_ref=$(now)
timeout 20 pw-play "$work/share/click.wav"
sleep 0.5

KRUN_KERNEL=$kernel "$krun_run" --sound --read-only --root "$KRUN_GFX_ROOTFS" \
	-v "$work/share:/mnt" -- /bin/sh -c "
	i=0
	while [ \$i -lt $runs ]; do
		echo go
		aplay -q /mnt/click.wav
		sleep 0.5
		i=\$((i + 1))
	done" </dev/null 2>"$work/krun.err" |
	while read -r line; do
		[ "$line" = go ] && now
	done >"$work/go"
sleep 1
kill -INT "$rec"
for _ in $(seq 50); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$rec" 2>/dev/null
wait "$rec" 2>/dev/null

echo "guest runs reported: $(wc -l <"$work/go") of $runs"
[ -s "$work/krun.err" ] && sed 's/^/krun-run stderr: /' "$work/krun.err"
python3 - "$work/rec.wav" "$t_ref" "$work/go" <<'PY'
import statistics, struct, sys, wave
w = wave.open(sys.argv[1])
rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
raw = w.readframes(w.getnframes())
if width == 2:
    first = struct.unpack('<%dh' % (len(raw) // 2), raw)[::ch]
    full = 32768.0
elif width == 4:
    first = struct.unpack('<%di' % (len(raw) // 4), raw)[::ch]
    full = 2147483648.0
else:
    sys.exit('bench/snd.sh: unexpected sample width %d' % width)
onsets, quiet_until = [], 0
for i, v in enumerate(first):
    if i >= quiet_until and abs(v) > 0.25 * full:
        onsets.append(i / rate)
        quiet_until = i + rate // 4
t_ref = float(sys.argv[2])
gos = [float(l) for l in open(sys.argv[3]) if l.strip()]
if len(onsets) != len(gos) + 1:
    sys.exit('bench/snd.sh: %d clicks in the recording for %d guest runs + 1 reference'
             % (len(onsets), len(gos)))
lat = [((o - onsets[0]) - (g - t_ref)) * 1000 for o, g in zip(onsets[1:], gos)]
for i, l in enumerate(lat):
    print('run %d: guest aplay start -> click in the host recording, beyond a host pw-play click: %.1f ms' % (i + 1, l))
print('median: %.1f ms over %d runs' % (statistics.median(lat), len(lat)))
PY
