#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-snd.sh KRUN-RUN (inside the test host): virtio-snd on PipeWire.
# The test host runs a PipeWire server (pipewire, and wireplumber as the
# session manager, which needs a session bus: dbus-run-session) in a
# private XDG_RUNTIME_DIR, with a null sink (support.null-audio-sink,
# Audio/Sink) and a virtual source (Audio/Source/Virtual: what is played
# into it is what its readers record; the host's player is linked to it
# with pw-link) as the defaults. The guest root is
# the Debian tree with alsa-utils ($KRUN_GFX_ROOTFS, read-only); a volume
# carries the WAV files.
#   playback: the guest plays a 440 Hz tone with aplay while the host
#             records the sink's monitor with pw-record; sox finds ~440 Hz;
#   capture:  the host plays an 880 Hz tone into the source while the
#             guest records with arecord; sox finds ~880 Hz in its file;
#   no server: --sound with no PipeWire server in XDG_RUNTIME_DIR exits
#             before the guest boots, non-zero, with one error line.
KRUN_RUN=${1:?usage: krun-run-snd.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

: "${KRUN_GFX_ROOTFS:?KRUN_GFX_ROOTFS is not set}"
groot=$KRUN_GFX_ROOTFS
share=$work/share
mkdir -p "$share"
chmod 777 "$share"

export XDG_RUNTIME_DIR=$work/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
pw_pids=()
stop_pw() {
	local p
	for p in "${pw_pids[@]}"; do kill "$p" 2>/dev/null; done
	pw_pids=()
}

# stop PID: SIGINT (pw-record finishes its file), then wait at most 10 s.
stop() {
	local n=100
	kill -INT "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Every PipeWire tool runs bounded: a wedged server fails a check, not
# the group.
pwt() {
	timeout -k 2 10 "$@"
}
step() {
	echo "# snd: $*"
}
trap 'stop_pw; rm -rf "$work"' EXIT

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# wpctl's view: both null nodes listed, the sink the default (marked *).
nodes_ready() {
	local st
	st=$(timeout -k 2 10 wpctl status 2>/dev/null) || return 1
	grep -q "\*.*krun-null-sink" <<<"$st" && grep -q "krun-null-source" <<<"$st"
}

# The server, the session manager, the two null nodes.
step "starting pipewire and wireplumber"
pipewire >"$work/pipewire.log" 2>&1 &
pw_pids+=($!)
wait_for 30 test -S "$XDG_RUNTIME_DIR/pipewire-0"
# wireplumber's bluetooth part starts a logind monitor, and wireplumber
# quits when there is no systemd-logind (the test host has none): an
# empty bluetooth.lua.d/90-enable-all.lua in its user config replaces the
# one that enables it.
mkdir -p "$work/config/wireplumber/bluetooth.lua.d"
echo "-- bluetooth off" >"$work/config/wireplumber/bluetooth.lua.d/90-enable-all.lua"
XDG_CONFIG_HOME=$work/config dbus-run-session -- wireplumber >"$work/wireplumber.log" 2>&1 &
pw_pids+=($!)
step "creating the null nodes"
pwt pw-cli create-node adapter '{ factory.name=support.null-audio-sink
	node.name=krun-null-sink media.class=Audio/Sink object.linger=true
	audio.position=[FL FR] }' >/dev/null 2>&1
pwt pw-cli create-node adapter '{ factory.name=support.null-audio-sink
	node.name=krun-null-source media.class=Audio/Source/Virtual
	object.linger=true audio.position=[FL FR] }' >/dev/null 2>&1
if wait_for 90 nodes_ready; then
	pass "PipeWire server with a null sink and a virtual source"
else
	fail "PipeWire server with a null sink and a virtual source" \
		"$(pwt wpctl status 2>&1 | tr '\n' ' ')"
	diag "$work/pipewire.log" "pipewire"
	diag "$work/wireplumber.log" "wireplumber"
fi
# The virtual source as the default source (wireplumber prefers real
# sources; there are none, but say it).
pwt wpctl set-default "$(pwt pw-cli info krun-null-source 2>/dev/null |
	sed -n 's/^[[:space:]]*id: \([0-9]*\).*/\1/p' | head -n 1)" 2>/dev/null

# freq FILE: sox's rough frequency of the first channel, silence at both
# ends trimmed (sox's figure for a stereo file is off by sqrt 2).
freq() {
	sox "$1" -n remix 1 silence 1 0.05 1% reverse silence 1 0.05 1% \
		reverse stat 2>&1 | awk '/Rough *frequency/ {print $3}'
}
# secs FILE: seconds of non-silence.
secs() {
	sox "$1" -n remix 1 silence 1 0.05 1% reverse silence 1 0.05 1% \
		reverse stat 2>&1 | awk '/Length/ {printf "%d", $3 * 10}'
}

# ---- playback: guest aplay -> null sink -> pw-record of its monitor ----
sox -n -r 48000 -c 2 -b 16 "$share/tone440.wav" synth 2 sine 440 vol 0.5
pw-record -P '{ stream.capture.sink=true }' --target krun-null-sink \
	"$work/played.wav" >"$work/pw-record.log" 2>&1 &
rec=$!
sleep 1
step "playback"
krun play --sound --read-only --root "$groot" -v "$share:/mnt" \
	-- /usr/bin/aplay -q /mnt/tone440.wav
play_rc=$?
sleep 1
stop "$rec"
expect_status "guest aplay of a 2 s tone exits 0" 0
f=$(freq "$work/played.wav")
if [ -n "$f" ] && [ "$f" -ge 420 ] && [ "$f" -le 460 ]; then
	pass "host records the guest's tone at ~440 Hz ($f Hz)"
else
	fail "host records the guest's tone at ~440 Hz" \
		"sox rough frequency: ${f:-none} (aplay status $play_rc)" \
		"$(sox "$work/played.wav" -n stat 2>&1 | tr '\n' ' ')"
	diag "$work/pw-record.log" "pw-record"
fi
# All of it: a drained stream's last periods are still in the device's
# ring when the guest stops it, and STOP waits for them to play.
played=$(secs "$work/played.wav")
expect_range "the whole 2 s of it, its end not cut ($played tenths of a second)" 19 "$played" 25

# ---- capture: pw-play into the source -> guest arecord ----
sox -n -r 48000 -c 2 -b 16 "$work/tone880.wav" synth 60 sine 880 vol 0.5
# wireplumber links a playback stream to sinks only: the player is not
# linked (--target 0) and its ports are wired to the source's inputs.
pw-play --target 0 "$work/tone880.wav" >"$work/pw-play.log" 2>&1 &
player=$!
wait_for 30 sh -c 'timeout 10 pw-link -o | grep -q "^pw-play:output_FR"'
pwt pw-link pw-play:output_FL krun-null-source:input_FL 2>>"$work/pw-play.log"
pwt pw-link pw-play:output_FR krun-null-source:input_FR 2>>"$work/pw-play.log"
step "capture"
# What PipeWire linked, while the guest records (shown on a failure).
(sleep 20; pwt pw-link -l; pwt wpctl status) >"$work/links.txt" 2>&1 &
krun capture --sound --read-only --root "$groot" -v "$share:/mnt" \
	-- /usr/bin/arecord -q -f S16_LE -r 48000 -c 2 -d 3 /mnt/captured.wav
stop "$player"
expect_status "guest arecord of 3 s exits 0" 0
f=$(freq "$share/captured.wav")
if [ -n "$f" ] && [ "$f" -ge 840 ] && [ "$f" -le 920 ]; then
	pass "guest records the host's tone at ~880 Hz ($f Hz)"
else
	fail "guest records the host's tone at ~880 Hz" \
		"sox rough frequency: ${f:-none}" \
		"$(sox "$share/captured.wav" -n stat 2>&1 | tr '\n' ' ')"
	diag "$work/pw-play.log" "pw-play"
	diag "$work/links.txt" "links and nodes 20 s into the capture run"
fi

# ---- no PipeWire server ----
step "no server"
mkdir -m 700 "$work/empty"
XDG_RUNTIME_DIR=$work/empty krun noserver --sound --read-only \
	--root "$groot" -- /bin/true
rc=$(cat "$last.rc")
if [ "$rc" != 0 ] && [ "$(wc -l <"$last.err")" = 1 ] &&
	grep -q "PipeWire" "$last.err"; then
	pass "--sound without a PipeWire server: one error line, status $rc"
else
	fail "--sound without a PipeWire server: one error line, non-zero"
fi

stop_pw
checks_done
