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
#   qemu      qemu-system-x86_64 -accel kvm -M microvm with
#             -device virtio-gpu-gl-device (the same virglrenderer and
#             llvmpipe), the same guest kernel (its bzImage) and the same
#             tree as a read-only virtio-blk disk ($KRUN_GFX_ROOTFS_IMG);
#             an initramfs /init mounts it, chroots into it and runs
#             gl-scene, whose output comes back on the serial port
#   host      the same gl-scene binary directly on the test host's
#             llvmpipe ($KRUN_GL_SCENE), the ceiling for the guests
# N times each (default 3), alternating, both guests with 1 vCPU and
# 512 MiB; prints the median frames/s of each arm and the ratios
# krun-run / QEMU and krun-run / host.
# QEMU 7.2 takes virtio-gpu-gl's GL context from a display; with no DRM
# render node in the test host (egl-headless needs one) the display is
# SDL with gl=on on an Xvfb server the script starts, whose GLX is Mesa's
# llvmpipe. QEMU with a graphical display does not start the PVH vmlinux
# (the vCPU runs into zeroed memory at the PVH entry), hence the bzImage.
# A run counts only when gl-scene exits 0 with the host's checksum and,
# in a guest, a renderer string starting with "virgl"; any other run is
# reported as failed, left out of the medians and makes the exit status 1.
# Defaults come from the build tree (DIR, default ./build). Run from the
# source root; it boots the test host itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
runs=3 frames=200 build=$PWD/build inside=0
cpus=1 memory_mib=512

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
gfx=${KRUN_GFX_ROOTFS:-$build/tests/rootfs/debian-gfx-rootfs}
gfx_img=${KRUN_GFX_ROOTFS_IMG:-$build/tests/rootfs/debian-gfx-rootfs.img}
scene_host=${KRUN_GL_SCENE:-$build/tests/rootfs/gl-scene}
krun=$build/cmd/krun-run/krun-run
kernel=${KRUN_GUEST_KERNEL:-$("$src/configs/build-kernel.sh" --print-path guest)}
bzimage=$(dirname "$kernel")/bzImage

if [ $inside -eq 0 ]; then
	for f in "$krun" "$kernel" "$bzimage" "$gfx/usr/local/bin/gl-scene" \
		"$gfx_img" "$scene_host" /bin/busybox; do
		[ -e "$f" ] || {
			echo "bench/gpu.sh: $f is missing (ninja -C build tests/rootfs/debian-gfx-rootfs.img; tools/setup.sh)" >&2
			exit 1
		}
	done
	command -v Xvfb >/dev/null || {
		echo "bench/gpu.sh: Xvfb is missing (apt-get install xvfb)" >&2
		exit 1
	}
	# One binary for all three arms: the host's must be the tree's.
	cmp -s "$scene_host" "$gfx/usr/local/bin/gl-scene" || {
		echo "bench/gpu.sh: $scene_host differs from the tree's gl-scene" >&2
		exit 1
	}
	exec "$src/tests/host/run-in-testhost" --timeout 3000 --no-workdir -- \
		"$here/gpu.sh" --inside "${args[@]}" --build "$build"
fi

work=$(mktemp -d /tmp/krun-bench-gpu.XXXXXX) || exit 1
xvfb_pid=
cleanup() {
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# fps OUTPUT: the F of "frames: N seconds: S fps: F"; field NAME OUTPUT:
# the rest of the first "NAME: " line.
fps() { sed -n 's/^frames: .* fps: //p' <<<"$1" | head -n 1; }
field() { sed -n "s/^$1: //p" <<<"$2" | head -n 1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "")}'; }

# The reference checksum: gl-scene's first frame on the host's llvmpipe.
ref=$(EGL_PLATFORM=surfaceless LIBGL_ALWAYS_SOFTWARE=1 "$scene_host" 2>&1)
ref_sum=$(field checksum "$ref")
if [ ${#ref_sum} -ne 16 ]; then
	echo "bench/gpu.sh: no reference checksum from the host's gl-scene:" >&2
	echo "$ref" >&2
	exit 1
fi
scene_md5=$(md5sum <"$gfx/usr/local/bin/gl-scene" | cut -d' ' -f1)

# The QEMU guest's initramfs: static busybox and an /init that mounts the
# tree's disk read-only, gives it /dev (with /dev/dri), /proc, /sys and a
# /tmp, runs gl-scene in it and reboots (reboot=t and -no-reboot: QEMU
# exits). The md5 of the binary it ran shows it is the same file.
mkdir -p "$work/initramfs/bin"
cp /bin/busybox "$work/initramfs/bin/busybox"
cat >"$work/initramfs/init" <<INIT
#!/bin/busybox sh
b=/bin/busybox
\$b mkdir -p /dev /r
\$b mount -t devtmpfs devtmpfs /dev
if \$b mount -t ext4 -o ro,noload /dev/vda /r; then
	\$b mount -t proc proc /r/proc
	\$b mount -t sysfs sysfs /r/sys
	\$b mount -t devtmpfs devtmpfs /r/dev
	\$b mount -t tmpfs tmpfs /r/tmp
	echo "md5: \$(\$b md5sum /r/usr/local/bin/gl-scene)"
	\$b chroot /r /usr/local/bin/gl-scene --frames $frames 2>&1
	echo "status: \$?"
else
	echo "status: cannot mount /dev/vda"
fi
\$b reboot -f
INIT
chmod 755 "$work/initramfs/init"
(cd "$work/initramfs" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) \
	>"$work/initramfs.cpio" || exit 1

# The X server for QEMU's SDL display; -displayfd picks a free display.
Xvfb -displayfd 3 -nolisten tcp -screen 0 1024x768x24 \
	3>"$work/xvfb.display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for ((t = 0; t < 300; t++)); do
	[ -s "$work/xvfb.display" ] && break
	kill -0 "$xvfb_pid" 2>/dev/null || break
	sleep 0.2
done
display=$(head -n 1 "$work/xvfb.display")
if [ -z "$display" ]; then
	echo "bench/gpu.sh: Xvfb did not start:" >&2
	cat "$work/xvfb.log" >&2
	exit 1
fi

run_krun() {
	"$krun" --kernel "$kernel" --root "$gfx" --read-only --net none \
		--cpus "$cpus" --memory "${memory_mib}m" --gpu -- \
		/usr/local/bin/gl-scene --frames "$frames" 2>&1
	echo "status: $?"
}

run_qemu() {
	rm -f "$work/serial"
	DISPLAY=:$display SDL_VIDEODRIVER=x11 timeout -k 5 600 \
		qemu-system-x86_64 -accel kvm -M microvm,acpi=off -cpu host \
		-smp "$cpus" -m "$memory_mib" -nodefaults -no-user-config \
		-display sdl,gl=on -serial "file:$work/serial" -no-reboot \
		-global virtio-mmio.force-legacy=false \
		-kernel "$bzimage" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 reboot=t" \
		-drive "file=$gfx_img,format=raw,if=none,id=root,readonly=on" \
		-device virtio-blk-device,drive=root \
		-device virtio-gpu-gl-device </dev/null >"$work/qemu.out" 2>&1
	local rc=$?
	tr -d '\r' <"$work/serial" 2>/dev/null
	[ $rc -eq 0 ] || { echo "qemu: exit $rc"; tail -n 5 "$work/qemu.out"; }
}

run_host() {
	EGL_PLATFORM=surfaceless LIBGL_ALWAYS_SOFTWARE=1 "$scene_host" \
		--frames "$frames" 2>&1
	echo "status: $?"
}

# check ARM OUTPUT: prints the run's line; echoes its fps to $work/ARM.fps
# when the run counts, else counts it failed.
failed=0
check() {
	local arm=$1 out=$2 why='' r s f
	r=$(field renderer "$out") s=$(field checksum "$out") f=$(fps "$out")
	if [ "$(field status "$out")" != 0 ]; then
		why="gl-scene did not exit 0"
	elif [ "$s" != "$ref_sum" ]; then
		why="checksum ${s:-none}, the host's is $ref_sum"
	elif [ "$arm" != host ] && [[ $r != virgl* ]]; then
		why="renderer '$r' is not virgl"
	elif [ "$arm" = qemu ] && [ "$(field md5 "$out" | cut -d' ' -f1)" != "$scene_md5" ]; then
		why="the disk's gl-scene is not the tree's"
	elif [ -z "$f" ]; then
		why="no frames line"
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		printf 'run %d %-9s FAILED: %s\n' "$i" "$arm:" "$why"
		sed 's/^/  | /' <<<"$out" | tail -n 12
		return
	fi
	echo "$f" >>"$work/$arm.fps"
	printf 'run %d %-9s %s fps, renderer: %s\n' "$i" "$arm:" "$f" "$r"
}

: >"$work/krun.fps"
: >"$work/qemu.fps"
: >"$work/host.fps"
for ((i = 1; i <= runs; i++)); do
	check krun "$(run_krun)"
	check qemu "$(run_qemu)"
	check host "$(run_host)"
done
km=$(median <"$work/krun.fps")
qm=$(median <"$work/qemu.fps")
hm=$(median <"$work/host.fps")
echo "gl-scene --frames $frames, $cpus vCPU, $memory_mib MiB, median of the counted runs of $runs:"
echo "  krun-run (virtio-gpu, virgl on llvmpipe):    ${km:--} frames/s ($(wc -l <"$work/krun.fps") runs)"
echo "  QEMU virtio-gpu-gl-device (virgl, SDL GL):   ${qm:--} frames/s ($(wc -l <"$work/qemu.fps") runs)"
echo "  host llvmpipe directly:                      ${hm:--} frames/s ($(wc -l <"$work/host.fps") runs)"
awk -v a="$km" -v q="$qm" -v h="$hm" 'BEGIN {
	if (a > 0 && q > 0) printf "  ratio krun-run / QEMU: %.3f\n", a / q
	if (a > 0 && h > 0) printf "  ratio krun-run / host: %.3f\n", a / h
	if (q > 0 && h > 0) printf "  ratio QEMU / host:     %.3f\n", q / h
}'
if [ $failed -gt 0 ]; then
	echo "bench/gpu.sh: $failed failed runs (left out of the medians)" >&2
	exit 1
fi
