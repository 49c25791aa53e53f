#!/usr/bin/env bash
# One entry point for the README's two set-up commands, on a fresh Debian 12
# machine, as root:
#   tools/setup.sh run    install, build, run a program in a microVM
#   tools/setup.sh test   install, build, run every test (what .ci/run does)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PACKAGES=(
	build-essential meson ninja-build pkg-config
	libjson-c-dev libfdt-dev libseccomp-dev libcmocka-dev zlib1g-dev
	linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio xz-utils
	qemu-system-x86 qemu-utils busybox-static passt e2fsprogs debootstrap
	crun python3 linux-libc-dev time clang libclang-rt-14-dev socat dnsmasq-base
	podman patchelf
	# GPU and sound devices, their tests and the graphics guest tree
	# (tests/rootfs/gfx.packages; gl-scene builds against libegl/libgles)
	libvirglrenderer-dev libpipewire-0.3-dev libspa-0.2-dev libegl-dev libgles-dev
	libgbm-dev libdrm-dev pipewire pipewire-bin wireplumber sox alsa-utils
	mesa-utils libgl1-mesa-dri libegl-mesa0 dbus-daemon
	# bench/gpu.sh's QEMU arm: virtio-gpu-gl and the SDL display
	# (qemu-system-gui, not pulled in without recommends) on an X server
	qemu-system-gui xvfb
)

stage() { printf '==> %s\n' "$*"; }

install_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		stage "packages: all present"
		return
	fi
	stage "packages: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
	local dir=$1
	shift
	stage "build: $dir $*"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@"
	fi
	ninja -C "$dir"
}

# crun with its krun handler, built by tools/build-crun-krun.sh against the
# header and pkg-config file `meson install` gives (installed under the
# build directory, not the system), as DIR/crun-krun/krun for the system
# test krun-run-crun. The crun build is cached in /var/cache/krun-run/crun.
build_crun_krun() {
	local dir=$top/$1 pc prefix
	stage "crun as krun: $1/crun-krun/krun (tools/build-crun-krun.sh)"
	rm -rf "$dir/libkrun-install"
	meson install -C "$dir" --destdir "$dir/libkrun-install" \
		--tags libkrun,devel >/dev/null
	pc=$(find "$dir/libkrun-install" -name libkrun.pc | head -n 1)
	prefix=$(sed -n 's/^prefix=//p' "$pc")
	"$top/tools/build-crun-krun.sh" \
		--libkrun-prefix "$dir/libkrun-install$prefix" \
		--prefix "$dir/crun-krun"
}

# run_tests DIR ARGS...: meson test; when it fails, the failed checks once
# more at the end of the log (tools/failure-summary.py).
run_tests() {
	local dir=$1 rc
	shift
	meson test -C "$dir" --print-errorlogs "$@" && return 0
	rc=$?
	stage "failed: $* (the failed checks, from $dir/meson-logs/testlog.json)"
	python3 "$top/tools/failure-summary.py" "$dir" || true
	return $rc
}

# The emulated test host's nested SVM fails a guest run now and then
# (docs/testing.md, "Test-host flakes"): one or two failed system cases
# are run once more, after their failed checks are printed; a second
# failure fails the stage. A case that failed and then passed is named at the end.
run_system_tests() {
	local failed rc
	run_tests build --suite system && return 0
	rc=$?
	failed=$(python3 "$top/tools/failure-summary.py" --names build) || return $rc
	# Many failed cases are no flake: no second run then.
	[ -n "$failed" ] && [ "$(wc -w <<<"$failed")" -le 2 ] || return $rc
	# shellcheck disable=SC2086 # one test name per word
	stage "system tests: running the failed cases once more:" $failed
	# shellcheck disable=SC2086
	run_tests build $failed || return $?
	stage "system tests: passed on the second run (test-host flake?):" $failed
}

cmd_test() {
	install_packages
	build build
	build_crun_krun build
	build build-san -Dsanitize=true
	stage "unit tests (plain build)"
	run_tests build --suite unit
	stage "unit tests (ASan + UBSan)"
	run_tests build-san --suite unit
	stage "fuzzers (clang + libFuzzer, 20 s per target)"
	"$top/tools/fuzz.sh" --build build-fuzz --time 20 --jobs "$(nproc)"
	stage "guest init tests (QEMU TCG, no KVM needed)"
	run_tests build --suite guest
	# Budget: the whole of this function within 45 minutes on a 2-core
	# machine (docs/testing.md, Timings). Long cases belong to the slow
	# suite (meson test -C build --suite slow), which CI does not run.
	stage "system tests (emulated test host)"
	run_system_tests
}

cmd_run() {
	install_packages
	build build
	stage "run: see tools/run-example.sh"
	"$top/tools/run-example.sh" "$top/build"
}

case "${1:-}" in
test) cmd_test ;;
run) cmd_run ;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
