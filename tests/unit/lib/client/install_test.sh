#!/bin/sh
# Install the build into a scratch DESTDIR, then build libkrun clients
# against the installed header, libkrun.pc and libkrun.so.1 only:
#   - CLIENT (the first API's calls) is built and run;
#   - ALL_CALLS (every call and macro of libkrun's current API) and
#     CHROOT (an example-style client) must compile with implicit
#     declarations and pointer mismatches as errors; CHROOT is linked too.
# Also: the library exports exactly the header's functions, and libkrun.pc
# carries the API level (--atleast-version=1.9.0 passes).
# Usage: install_test.sh MESON BUILD_DIR LIBDIR(absolute) CLIENT ALL_CALLS
#        CHROOT OWED [CFLAGS]
# OWED: functions the header declares whose code is not in this build yet
# (space-separated, may be empty); they may be absent from the exports.
set -eu

meson=$1 build=$2 libdir=$3 client=$4 all_calls=$5 chroot=$6 owed=$7
extra_cflags=${8:-}
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
sed -n 's/^int\(32_t\)\{0,1\} \(krun_[a-z0-9_]*\)(.*/\2/p' "$header" |
	sort >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//' |
	sort >"$tmp/got"
# 67 functions of libkrun's current header plus krun_set_snd_device.
[ "$(wc -l <"$tmp/declared")" -eq 68 ] ||
	fail "header declares $(wc -l <"$tmp/declared") functions, expected 68"
cp "$tmp/declared" "$tmp/want"
for f in $owed; do
	grep -qx "$f" "$tmp/got" && fail "$f is exported: drop it from OWED"
	grep -vx "$f" "$tmp/want" >"$tmp/want.new" || true
	mv "$tmp/want.new" "$tmp/want"
done
diff -u "$tmp/want" "$tmp/got" >&2 ||
	fail "exported symbols differ from the header's krun_* functions"

export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig"
pkg-config --atleast-version=1.9.0 libkrun ||
	fail "libkrun.pc is older than 1.9.0: $(pkg-config --modversion libkrun)"
flags=$(pkg-config --cflags --libs libkrun) || fail "pkg-config libkrun failed"
strict="-Wall -Wextra -Werror -Werror=implicit-function-declaration -Werror=incompatible-pointer-types"
# shellcheck disable=SC2086 # word splitting of the flags is intended
${CC:-cc} -std=c99 $strict $extra_cflags -o "$tmp/client" \
	"$client" $flags || fail "the first-API client did not compile against the install"
# shellcheck disable=SC2086
${CC:-cc} -std=c99 $strict $extra_cflags -c -o "$tmp/all_calls.o" \
	"$all_calls" $(pkg-config --cflags libkrun) ||
	fail "the every-call client did not compile against the install"
# shellcheck disable=SC2086
${CC:-cc} -std=c99 $strict $extra_cflags -o "$tmp/chroot_vm" \
	"$chroot" $flags || fail "the chroot client did not compile against the install"
readelf -d "$tmp/client" | grep -q 'NEEDED.*\[libkrun\.so\.1\]' ||
	fail "client is not linked against libkrun.so.1"
LD_LIBRARY_PATH="$root$libdir" "$tmp/client" || fail "client failed"
echo "install_test: ok ($(wc -l <"$tmp/got") symbols exported, libkrun $(pkg-config --modversion libkrun))"
