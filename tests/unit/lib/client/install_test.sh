#!/bin/sh
# Install the build into a scratch DESTDIR, then build and run a libkrun
# client against the installed header, libkrun.pc and libkrun.so.1 only,
# and check that the library exports exactly the API's functions.
# Usage: install_test.sh MESON BUILD_DIR LIBDIR(absolute) CLIENT_SRC [CFLAGS]
set -eu

meson=$1 build=$2 libdir=$3 client=$4 extra_cflags=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

fail() {
	echo "install_test: $*" >&2
	exit 1
}

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$root" \
	--tags libkrun,devel >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "meson install failed"; }

lib=$root$libdir/libkrun.so.1
[ -f "$lib" ] || fail "libkrun.so.1 not installed in $root$libdir"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libkrun.so.1 ] || fail "soname is \`$soname\`, expected libkrun.so.1"

# Exports: exactly the functions the installed header declares.
header=$(find "$root" -name libkrun.h | head -n 1)
[ -n "$header" ] || fail "libkrun.h not installed"
sed -n 's/^int32_t \(krun_[a-z0-9_]*\)(.*/\1/p' "$header" | sort >"$tmp/want"
nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//' |
	sort >"$tmp/got"
[ "$(wc -l <"$tmp/want")" -eq 31 ] ||
	fail "header declares $(wc -l <"$tmp/want") functions, expected 31"
diff -u "$tmp/want" "$tmp/got" >&2 ||
	fail "exported symbols differ from the header's krun_* functions"

export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs libkrun) || fail "pkg-config libkrun failed"
# shellcheck disable=SC2086 # word splitting of the flags is intended
${CC:-cc} -std=c99 -Wall -Wextra -Werror $extra_cflags -o "$tmp/client" \
	"$client" $flags || fail "client did not compile against the install"
readelf -d "$tmp/client" | grep -q 'NEEDED.*\[libkrun\.so\.1\]' ||
	fail "client is not linked against libkrun.so.1"
LD_LIBRARY_PATH="$root$libdir" "$tmp/client" || fail "client failed"
echo "install_test: ok ($(wc -l <"$tmp/got") symbols exported)"
