#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make-busybox-tree.sh OUTDIR [STATIC-BINARY...]
#
# Builds a one-binary test root file system: busybox-static with a link per
# applet, the usual empty mount points, minimal /etc, and any extra static
# binaries (krun-check) in /usr/bin. The tree is made next to OUTDIR and
# renamed into place, so an interrupted run leaves no half-made tree.
set -euo pipefail

out=${1:?usage: make-busybox-tree.sh OUTDIR [STATIC-BINARY...]}
shift
busybox=${BUSYBOX:-/bin/busybox}
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	echo "make-busybox-tree.sh: $busybox is not a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,home,mnt,var/tmp}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 700 "$tmp/root"
cp "$busybox" "$tmp/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	rel=$(dirname "$applet" | sed 's|[^/]*|..|g')
	[ -e "$tmp/$applet" ] || ln -s "$rel/bin/busybox" "$tmp/$applet"
done
for bin in "$@"; do
	cp "$bin" "$tmp/usr/bin/$(basename "$bin")"
done
cat >"$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$tmp/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo krun >"$tmp/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$tmp/etc/hosts"
: >"$tmp/etc/resolv.conf"

rm -rf "$out"
mv -T "$tmp" "$out"
trap - EXIT
