#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/gpu.sh [--runs N] [--frames F] [--build DIR]
#
# GPU benchmark, not a test: inside the emulated KVM test host, gl-scene's
# frame loop (`gl-scene --frames F`, default 200: each frame drawn,
# glFinish'ed and read back, its checksum compared) runs
#   krun-run  --gpu (virtio-gpu, virglrenderer on the test host's Mesa
#             llvmpipe), the guest on the graphics tree ($KRUN_GFX_ROOTFS)
#             with Mesa's virgl driver
#   host      the same gl-scene binary directly on the test host's
#             llvmpipe ($KRUN_GL_SCENE), the ceiling for the guest
# N times each (default 3), alternating; prints the median frames/s of
# each and the ratio krun-run / host.
# QEMU's virtio-gpu-gl-device is not measured: QEMU 7.2 (Debian 12) gets
# its GL context only from a display (egl-headless, dbus, gtk, sdl), and
# egl-headless needs a DRM render node, which neither this machine nor
# the test host has ("opengl is not available"); see docs/testing.md.
# Run from the source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 frames=200 build=$PWD/build inside=0

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?}; shift 2 ;;
	--frames) frames=${2:?}; shift 2 ;;
	--build) build=${2:?}; shift 2 ;;
	--inside) inside=1; shift ;;
	*) sed -n '4,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
done
: "${KRUN_GFX_ROOTFS:?KRUN_GFX_ROOTFS (the graphics tree) is not set}"
scene_host=${KRUN_GL_SCENE:-$build/tests/rootfs/gl-scene}

if [ $inside -eq 0 ]; then
	exec "$src/tests/host/run-in-testhost" --timeout 3000 --no-workdir -- \
		"$here/gpu.sh" --inside "${args[@]}" --build "$build"
fi

krun=$build/cmd/krun-run/krun-run
kernel=${KRUN_GUEST_KERNEL:-$("$src/configs/build-kernel.sh" --print-path guest)}

# fps OUTPUT: the F of "frames: N seconds: S fps: F".
fps() { sed -n 's/^frames: .* fps: //p' <<<"$1" | head -n 1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "")}'; }

k=() h=()
for ((i = 1; i <= runs; i++)); do
	out=$("$krun" --kernel "$kernel" --root "$KRUN_GFX_ROOTFS" --read-only \
		--net none --gpu -- /usr/local/bin/gl-scene --frames "$frames" 2>/dev/null)
	k+=("$(fps "$out")")
	echo "run $i krun-run: $(grep -E '^(renderer|frames)' <<<"$out" | tr '\n' ' ')"
	out=$(EGL_PLATFORM=surfaceless LIBGL_ALWAYS_SOFTWARE=1 "$scene_host" --frames "$frames" 2>/dev/null)
	h+=("$(fps "$out")")
	echo "run $i host:     $(grep -E '^(renderer|frames)' <<<"$out" | tr '\n' ' ')"
done
km=$(printf '%s\n' "${k[@]}" | median)
hm=$(printf '%s\n' "${h[@]}" | median)
echo "gl-scene --frames $frames, median of $runs:"
echo "  krun-run (virtio-gpu, virgl on llvmpipe): $km frames/s"
echo "  host llvmpipe directly:                   $hm frames/s"
awk -v a="$km" -v b="$hm" 'BEGIN { if (a > 0 && b > 0) printf "  ratio krun-run / host: %.3f\n", a / b }'
