#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make-ext4-image.sh TREE IMAGE [SIZE_MB]
#
# Makes a raw ext4 image holding TREE, without root privileges or loop
# devices (mkfs.ext4 -d). SIZE_MB defaults to the tree's size plus half,
# at least 16 MiB. Files are owned by root in the image.
set -euo pipefail

tree=${1:?usage: make-ext4-image.sh TREE IMAGE [SIZE_MB]}
image=${2:?usage: make-ext4-image.sh TREE IMAGE [SIZE_MB]}
if [ $# -ge 3 ]; then
	size_mb=$3
else
	used_kb=$(du -sk "$tree" | cut -f1)
	size_mb=$((used_kb * 3 / 2 / 1024 + 16))
fi
mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)

tmp=$(mktemp "$image.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
chmod 644 "$tmp"
truncate -s "${size_mb}M" "$tmp"
"$mkfs" -q -F -t ext4 -L krun-test -E root_owner=0:0 -d "$tree" "$tmp"
mv -f "$tmp" "$image"
trap - EXIT
