#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make-debian-tree.sh [--packages LIST] [--print-path] [--link FILE]
#                     [--copy DIR [--add SRC:DEST]...] [--image FILE]
#
# Builds a Debian bookworm minbase tree with debootstrap and caches it
# outside the build tree, like the kernels (configs/build-kernel.sh):
#   ${KRUN_KERNEL_CACHE:-/var/cache/krun-run}/rootfs/debian-bookworm-<hash>/
#   ${KRUN_KERNEL_CACHE:-/var/cache/krun-run}/rootfs/debian-bookworm-NAME-<hash>/
# (the second with --packages NAME.packages).
# <hash> covers the recipe version, the suite, the variant, the mirror and
# the package list. A cached
# tree is reused at once; concurrent callers wait on a lock; the tree is
# built in a temporary directory and renamed into place, so a killed run
# leaves no half-made entry. The last stdout line is the tree's path.
#
# --packages LIST  also install the packages named in the file LIST (one
#               or more a line, `#` starts a comment; Depends only, no
#               Recommends) and drop documentation, man pages and locales
# --print-path  print the cache path without building
# --link FILE   also point the symlink FILE at the cached tree
# --copy DIR    also make DIR a copy of the cached tree (replacing what was
#               there), into which each --add SRC:DEST copies the file SRC
#               as DEST (mode 755); files added this way are not part of
#               the cached tree, so changing them costs no debootstrap
# --image FILE  also make FILE, a raw ext4 image of the tree (of DIR with
#               --copy; mkfs.ext4 -d), 512 MiB sparse (with --packages:
#               the tree's size and half again): room for the tests' writes
#
# Environment: KRUN_KERNEL_CACHE (cache root), KRUN_DEBIAN_MIRROR (default:
# the first URIs: line of /etc/apt/sources.list.d/debian.sources), needs root
# (debootstrap) and network access to the mirror on the first run.
set -euo pipefail

usage() {
	echo "usage: make-debian-tree.sh [--packages LIST] [--print-path] [--link FILE]" \
		"[--copy DIR [--add SRC:DEST]...] [--image FILE]" >&2
	exit 2
}
print_only=0 link= image= copy= list= adds=()
while [ $# -gt 0 ]; do
	case $1 in
	--packages) list=${2:?}; shift 2 ;;
	--print-path) print_only=1; shift ;;
	--link) link=${2:?}; shift 2 ;;
	--copy) copy=${2:?}; shift 2 ;;
	--add) adds+=("${2:?}"); shift 2 ;;
	--image) image=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[ ${#adds[@]} -eq 0 ] || [ -n "$copy" ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm variant=minbase
cache_root=${KRUN_KERNEL_CACHE:-/var/cache/krun-run}

mirror_from_sources() {
	local f=/etc/apt/sources.list.d/debian.sources
	[ -r "$f" ] && sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$f" |
		grep -v security | head -n 1
}
mirror=${KRUN_DEBIAN_MIRROR:-$(mirror_from_sources || true)}
mirror=${mirror:-http://deb.debian.org/debian}

# Bump recipe when a change below alters the tree that is made.
recipe=1
name=debian-$suite packages=
if [ -n "$list" ]; then
	[ -r "$list" ] || {
		echo "make-debian-tree.sh: cannot read package list \`$list\`" >&2
		exit 1
	}
	packages=$(sed 's/#.*//' "$list" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u |
		paste -sd, -)
	[ -n "$packages" ] || {
		echo "make-debian-tree.sh: no packages in \`$list\`" >&2
		exit 1
	}
	name=$name-$(basename "$list" .packages)
	hash=$(echo "recipe=$recipe $suite $variant $mirror packages=$packages nodoc" |
		sha256sum | cut -c1-16)
else
	hash=$(echo "recipe=$recipe $suite $variant $mirror" | sha256sum | cut -c1-16)
fi
entry=$cache_root/rootfs/$name-$hash

finish() {
	local tree=$entry add src dest size=512
	[ -z "$link" ] || ln -sfn "$entry" "$link"
	if [ -n "$copy" ]; then
		rm -rf "$copy.tmp"
		cp -a "$entry" "$copy.tmp"
		for add in "${adds[@]}"; do
			src=${add%%:*} dest=${add#*:}
			install -D -m 755 "$src" "$copy.tmp/${dest#/}"
		done
		rm -rf "$copy"
		mv -T "$copy.tmp" "$copy"
		tree=$copy
	fi
	if [ -n "$image" ]; then
		[ -z "$list" ] || size=$(($(du -sm "$tree" | cut -f1) * 3 / 2 + 64))
		"$here/make-ext4-image.sh" "$tree" "$image" "$size"
	fi
	echo "$entry"
	exit 0
}
if [ $print_only -eq 1 ]; then
	link= image= copy=
	finish
fi
[ -f "$entry/etc/os-release" ] && finish

mkdir -p "$cache_root/rootfs"
exec 9>"$cache_root/rootfs/.$name-$hash.lock"
if ! flock -n 9; then
	echo "make-debian-tree.sh: waiting for another build of $name-$hash" >&2
	flock 9
fi
[ -f "$entry/etc/os-release" ] && finish

if [ "$(id -u)" -ne 0 ]; then
	echo "make-debian-tree.sh: debootstrap needs root to build $entry" >&2
	exit 1
fi
debootstrap=$(command -v debootstrap || echo /usr/sbin/debootstrap)
[ -x "$debootstrap" ] || {
	echo "make-debian-tree.sh: debootstrap missing (apt-get install debootstrap)" >&2
	exit 1
}

work=$(mktemp -d "$cache_root/rootfs/.build-debian-XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
include=()
[ -z "$packages" ] || include=("--include=$packages")
echo "make-debian-tree.sh: debootstrap --variant=$variant ${include[*]} $suite from $mirror" >&2
if ! "$debootstrap" --variant="$variant" "${include[@]}" "$suite" "$work/tree" "$mirror" \
	>"$work/debootstrap.log" 2>&1; then
	tail -n 30 "$work/debootstrap.log" >&2
	exit 1
fi
# Nothing the tests need; keeps the tree (and images of it) small.
rm -rf "$work/tree/var/cache/apt/archives/"*.deb "$work/tree/var/lib/apt/lists/"*_*
if [ -n "$packages" ]; then
	# The extra packages bring documentation and translations that the
	# tests never read (the base tree keeps them: fs-debian runs
	# `dpkg --verify` on it).
	rm -rf "$work/tree/usr/share/doc/"* "$work/tree/usr/share/man/"* \
		"$work/tree/usr/share/info/"* "$work/tree/usr/share/locale/"* \
		"$work/tree/usr/share/lintian"
fi
chmod 755 "$work/tree"
mv -T "$work/tree" "$entry"
echo "make-debian-tree.sh: built $entry in $(($(date +%s) - start))s" >&2
finish
