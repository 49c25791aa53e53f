#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make-debian-tree.sh [--print-path] [--link FILE] [--image FILE]
#
# Builds a Debian bookworm minbase tree with debootstrap and caches it
# outside the build tree, like the kernels (configs/build-kernel.sh):
#   ${KRUN_KERNEL_CACHE:-/var/cache/krun-run}/rootfs/debian-bookworm-<hash>/
# <hash> covers the recipe version, the suite, the variant and the mirror. A cached
# tree is reused at once; concurrent callers wait on a lock; the tree is
# built in a temporary directory and renamed into place, so a killed run
# leaves no half-made entry. The last stdout line is the tree's path.
#
# --print-path  print the cache path without building
# --link FILE   also point the symlink FILE at the cached tree
# --image FILE  also make FILE, a raw ext4 image of the tree (mkfs.ext4 -d),
#               512 MiB sparse: room for the tests' writes
#
# Environment: KRUN_KERNEL_CACHE (cache root), KRUN_DEBIAN_MIRROR (default:
# the first URIs: line of /etc/apt/sources.list.d/debian.sources), needs root
# (debootstrap) and network access to the mirror on the first run.
set -euo pipefail

usage() {
	echo "usage: make-debian-tree.sh [--print-path] [--link FILE] [--image FILE]" >&2
	exit 2
}
print_only=0 link= image=
while [ $# -gt 0 ]; do
	case $1 in
	--print-path) print_only=1; shift ;;
	--link) link=${2:?}; shift 2 ;;
	--image) image=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
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
hash=$(echo "recipe=$recipe $suite $variant $mirror" | sha256sum | cut -c1-16)
entry=$cache_root/rootfs/debian-$suite-$hash

finish() {
	[ -z "$link" ] || ln -sfn "$entry" "$link"
	if [ -n "$image" ]; then
		"$here/make-ext4-image.sh" "$entry" "$image" 512
	fi
	echo "$entry"
	exit 0
}
if [ $print_only -eq 1 ]; then
	link= image=
	finish
fi
[ -f "$entry/etc/os-release" ] && finish

mkdir -p "$cache_root/rootfs"
exec 9>"$cache_root/rootfs/.debian-$suite-$hash.lock"
if ! flock -n 9; then
	echo "make-debian-tree.sh: waiting for another build of debian-$suite-$hash" >&2
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
echo "make-debian-tree.sh: debootstrap --variant=$variant $suite from $mirror" >&2
if ! "$debootstrap" --variant="$variant" "$suite" "$work/tree" "$mirror" \
	>"$work/debootstrap.log" 2>&1; then
	tail -n 30 "$work/debootstrap.log" >&2
	exit 1
fi
# Nothing the tests need; keeps the tree (and images of it) small.
rm -rf "$work/tree/var/cache/apt/archives/"*.deb "$work/tree/var/lib/apt/lists/"*_*
chmod 755 "$work/tree"
mv -T "$work/tree" "$entry"
echo "make-debian-tree.sh: built $entry in $(($(date +%s) - start))s" >&2
finish
