#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-gpu.sh KRUN-RUN API-GPU (inside the test host): virtio-gpu on
# virglrenderer, the host rendering with Mesa's llvmpipe (no GPU here).
# In guests on the graphics tree ($KRUN_GFX_ROOTFS, read-only):
#   - eglinfo: Mesa's EGL takes the virgl driver (virtio_gpu) on the
#     device's render node (plain --gpu);
#   - gl-scene renders its fixed scene through virgl with libkrun's usual
#     flags (EGL, THREAD_SYNC, ASYNC_FENCE_CB: fences signalled from
#     virglrenderer's own thread), under the VMM's seccomp filters, and
#     its checksum equals the host copy's on llvmpipe ($KRUN_GL_SCENE);
#   - a frame loop keeps the checksum (every frame read back);
#   - through the libkrun API (API-GPU, tests/system/api-gpu.c):
#     krun_set_gpu_options with libkrun's usual flags gives a guest whose
#     EGL takes the virgl driver, and gl-blob reads and writes a
#     persistent GL buffer (a HOST3D blob in the device's window, the
#     renderer's memory) both ways, mapped as device memory;
#   - flags the device cannot honour (VIRGLRENDERER_DRM) are refused at
#     start with one line, status 125, before the guest runs.
# Skipped (77) when the graphics tree was not built.
KRUN_RUN=${1:?usage: krun-run-gpu.sh KRUN-RUN API-GPU}
API_GPU=${2:?usage: krun-run-gpu.sh KRUN-RUN API-GPU}
if [ -z "${KRUN_GFX_ROOTFS:-}" ] || [ ! -x "$KRUN_GFX_ROOTFS/usr/local/bin/gl-scene" ]; then
	echo "1..0 # SKIP no graphics tree (KRUN_GFX_ROOTFS) with gl-scene"
	exit 77
fi
. "$(dirname "$0")/checklib.sh"
check_timeout=${KRUN_CHECK_TIMEOUT:-300}

gfx=(--root "$KRUN_GFX_ROOTFS" --read-only --net none)

echo "--- reference on the test host's llvmpipe (+${SECONDS}s)"
ref=$(EGL_PLATFORM=surfaceless LIBGL_ALWAYS_SOFTWARE=1 "${KRUN_GL_SCENE:-$KRUN_GFX_ROOTFS/usr/local/bin/gl-scene}" 2>&1)
ref_sum=$(sed -n 's/^checksum: //p' <<<"$ref")
expect_eq "host reference has a checksum" 16 "${#ref_sum}"

echo "--- eglinfo (+${SECONDS}s)"
# mesa-utils' eglinfo prints per platform the EGL driver Mesa took:
# virtio_gpu is Mesa's virgl driver on the device's render node (swrast
# would be the guest's own software renderer).
krun eglinfo "${gfx[@]}" --gpu -- /bin/sh -c 'eglinfo 2>&1'
driver=$(sed -n '/^Surfaceless platform:/,/platform:$/s/^EGL driver name: //p' "$last.out" | head -n 1)
expect_eq "eglinfo: the surfaceless platform uses the virgl driver (virtio_gpu)" \
	virtio_gpu "$driver"

echo "--- gl-scene, libkrun's usual flags, seccomp enforced (+${SECONDS}s)"
krun scene "${gfx[@]}" --gpu=0x103 --seccomp enforce -- /usr/local/bin/gl-scene
expect_status "gl-scene exits 0" 0
renderer=$(line_of renderer: "$last.out")
case $renderer in
virgl*) pass "gl-scene renders through virgl ($renderer)" ;;
*) fail "gl-scene renders through virgl" "renderer: $renderer" ;;
esac
expect_eq "gl-scene checksum equals the host's" "$ref_sum" \
	"$(line_of checksum: "$last.out")"

echo "--- gl-scene frame loop (+${SECONDS}s)"
krun frames "${gfx[@]}" --gpu -- /usr/local/bin/gl-scene --frames 30
expect_status "30 more frames, each read back with the same checksum" 0

echo "--- the libkrun API: krun_set_gpu_options, eglinfo and gl-blob (+${SECONDS}s)"
# krun_set_gpu_options with libkrun's usual flags (EGL, THREAD_SYNC,
# ASYNC_FENCE_CB), the API's default seccomp (enforced). A persistent,
# coherent GL buffer is a HOST3D blob under virgl: the renderer's memory,
# mapped into the guest at the window (a KVM slot of its own per
# mapping). gl-blob writes through it and reads it back via GL copies,
# the other way too, over rounds that map and unmap again, and checks the
# mapping is device memory of the GPU, not RAM.
api_gpu() {
	local name=$1
	shift
	last=$work/$name
	last_cmd="$API_GPU $*"
	timeout -k 5 "$check_timeout" "$API_GPU" "$@" </dev/null \
		>"$last.out" 2>"$last.err"
	echo "$?" >"$last.rc"
}
api_gpu api-blob "$KRUN_GFX_ROOTFS" 0x103 0 /bin/sh -c \
	'eglinfo 2>&1 | sed -n "/^Surfaceless platform:/,/platform:\$/s/^EGL driver name: /egl-driver: /p" | head -n 1
	exec /usr/local/bin/gl-blob --rounds 8'
expect_status "the API client's guest exits 0" 0
expect_eq "krun_set_gpu_options: the guest's EGL takes the virgl driver" \
	virtio_gpu "$(line_of egl-driver: "$last.out")"
blob=$(line_of blob: "$last.out")
case $blob in
"8 rounds of 65536 bytes, both directions, mapped from /dev/dri/"*)
	pass "a blob mapping is read and written through the window ($blob)" ;;
*) fail "a blob mapping is read and written through the window" \
	"blob: $blob; $(tail -n 3 "$last.out" "$last.err" | tr '\n' ' ')" ;;
esac

echo "--- refused flags (+${SECONDS}s)"
krun drm "${gfx[@]}" --gpu=0x401 -- /bin/true
expect_status "VIRGLRENDERER_DRM is refused at start" 125
expect_eq "one error line names the flag" 1 \
	"$(grep -c 'VIRGLRENDERER_DRM' "$last.err")"

checks_done
