#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-kernel.sh [--print-path] [--link FILE] NAME   (NAME: guest | testhost)
#
# Builds configs/NAME-x86_64.config on top of `make tinyconfig` from Debian's
# linux-source-6.1 and caches the ELF vmlinux outside the build tree at
#   ${KRUN_KERNEL_CACHE:-/var/cache/krun-run}/kernels/NAME-<hash>/vmlinux
# next to the same kernel as a bzImage (Linux boot protocol image), so both
# boot paths can be tested with one build.
# where <hash> covers the fragment, the kernel source package version, this
# script and any patches. A cached kernel is reused instantly. The entry is
# built in a temporary directory and renamed into place, so a killed build
# never leaves a half-written entry. The last line on stdout is the path.
#
# --print-path prints the cache path without building (meson embeds it);
# --link FILE also points the symlink FILE at the cached vmlinux.
#
# Environment: KRUN_KERNEL_CACHE (cache root), KRUN_KERNEL_JOBS (make -j,
# default 2), KRUN_KERNEL_SRC (source tarball).
set -euo pipefail

usage() {
	echo "usage: build-kernel.sh [--print-path] [--link FILE] guest|testhost" >&2
	exit 2
}
print_only=0 link=
while [ $# -gt 1 ]; do
	case $1 in
	--print-path) print_only=1; shift ;;
	--link) link=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[ $# -eq 1 ] || usage
name=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/$name-x86_64.config
[ -f "$fragment" ] || { echo "build-kernel.sh: no fragment $fragment" >&2; exit 2; }
src_tar=${KRUN_KERNEL_SRC:-/usr/src/linux-source-6.1.tar.xz}
cache_root=${KRUN_KERNEL_CACHE:-/var/cache/krun-run}
jobs=${KRUN_KERNEL_JOBS:-2}
start=$(date +%s)

stage() { printf '[build-kernel %s +%ss] %s\n' "$name" $(($(date +%s) - start)) "$*" >&2; }

src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		sha256sum "$src_tar" | cut -d' ' -f1
}

patches=()
if [ -d "$here/patches/$name" ]; then
	mapfile -t patches < <(find "$here/patches/$name" -name '*.patch' | sort)
fi

hash=$({
	cat "$fragment"
	src_version
	cat "${BASH_SOURCE[0]}"
	for p in "${patches[@]}"; do cat "$p"; done
} | sha256sum | cut -c1-16)
entry=$cache_root/kernels/$name-$hash

finish() {
	[ -z "$link" ] || ln -sfn "$entry/vmlinux" "$link"
	echo "$entry/vmlinux"
	exit 0
}
if [ $print_only -eq 1 ] || [ -f "$entry/vmlinux" ]; then
	[ $print_only -eq 1 ] && link=
	finish
fi

mkdir -p "$cache_root/kernels"
# One builder per entry: a second caller waits, then finds the cached kernel.
exec 9>"$cache_root/kernels/.$name-$hash.lock"
if ! flock -n 9; then
	stage "waiting for another build of $name-$hash"
	flock 9
fi
[ -f "$entry/vmlinux" ] && finish

[ -f "$src_tar" ] || { echo "build-kernel.sh: $src_tar missing (apt-get install linux-source-6.1)" >&2; exit 2; }
work=$(mktemp -d "$cache_root/kernels/.build-$name-XXXXXX")
trap 'rm -rf "$work"' EXIT

stage "untar $src_tar"
tar -xJf "$src_tar" -C "$work"
ksrc=$work/linux-source-6.1
for p in "${patches[@]}"; do
	stage "patch $(basename "$p")"
	patch -d "$ksrc" -p1 -s <"$p"
done

stage "configure: tinyconfig + $(basename "$fragment")"
make -C "$ksrc" -s tinyconfig >/dev/null
(cd "$ksrc" && scripts/kconfig/merge_config.sh -m .config "$fragment") >"$work/merge.log" 2>&1
make -C "$ksrc" -s olddefconfig >/dev/null

# Every symbol the fragment sets must end up with that value, except those
# named on a "# krun-optional" line (nice to have, dependencies permitting).
stage "check config"
optional=" $(sed -n 's/^# krun-optional //p' "$fragment" | tr '\n' ' ') "
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) sym=${line%%=*} want=$line ;;
	"# CONFIG_"*" is not set") sym=${line#\# } sym=${sym%% *} want=$line ;;
	*) continue ;;
	esac
	got=$(grep -E "^$sym=|^# $sym is not set" "$ksrc/.config" || true)
	# An unset symbol may also be absent (its dependencies are off).
	if [ "$got" != "$want" ] && ! { [ -z "$got" ] && [ "${want#\# }" != "$want" ]; }; then
		if [[ $optional == *" $sym "* ]]; then
			stage "optional $sym not set as requested (have: ${got:-absent})"
		else
			echo "build-kernel.sh: $want requested, .config has: ${got:-nothing}" >&2
			missing=1
		fi
	fi
done <"$fragment"
if [ $missing -ne 0 ]; then
	cp "$work/merge.log" "$cache_root/kernels/$name-$hash.merge.log"
	cp "$ksrc/.config" "$cache_root/kernels/$name-$hash.config"
	echo "build-kernel.sh: required symbols missing; see $cache_root/kernels/$name-$hash.{merge.log,config}" >&2
	exit 1
fi

stage "make -j$jobs vmlinux bzImage"
make -C "$ksrc" -s -j"$jobs" vmlinux bzImage >"$work/make.log" 2>&1 || {
	tail -n 40 "$work/make.log" >&2
	exit 1
}

stage "install"
staged=$work/out
mkdir -p "$staged"
cp "$ksrc/vmlinux" "$ksrc/arch/x86/boot/bzImage" "$ksrc/.config" "$ksrc/System.map" "$staged/"
printf 'fragment=%s\nsource=%s\nbuild_seconds=%s\n' "$(basename "$fragment")" \
	"$(src_version)" $(($(date +%s) - start)) >"$staged/build-info"
mv -T "$staged" "$entry"
stage "done in $(($(date +%s) - start))s"
finish
