#!/usr/bin/env bash
# Build Debian's crun source package with its libkrun handler against
# krun-run's installed libkrun.h / libkrun.pc, and install the binary as
# `krun` (crun picks the krun handler when argv[0] is `krun`). Debian's own
# /usr/bin/crun is left alone.
#
#   tools/build-crun-krun.sh [--libkrun-prefix DIR] [--prefix DIR] [--cache DIR]
#
#   --libkrun-prefix DIR  where `meson install` put krun-run's libkrun
#                         (DIR/include/libkrun.h, DIR/lib/.../pkgconfig/
#                         libkrun.pc, libkrun.so.1); default /usr/local
#   --prefix DIR          where `krun` goes: DIR/krun, and DIR/libkrun.so.1,
#                         a symlink to the libkrun.so.1 of --libkrun-prefix;
#                         default /usr/local/lib/krun-run
#   --cache DIR           build cache; default /var/cache/krun-run
#
# crun dlopen()s "libkrun.so.1"; the installed `krun` carries RUNPATH=DIR
# (patchelf), so it loads the libkrun.so.1 beside it, which is this
# project's.
#
# The source comes from the Debian mirror through a private apt
# configuration (its own sources.list with a deb-src entry, its own lists
# directory): the system's apt sources are not changed. The build
# dependencies are installed with apt-get. The built binary is cached in
# CACHE/crun/<crun version>-<hash of libkrun.h>/krun, so a rerun with the
# same crun and the same header only copies it. Needs root for apt-get.
set -euo pipefail

libkrun_prefix=/usr/local
prefix=/usr/local/lib/krun-run
cache=/var/cache/krun-run
mirror=http://deb.debian.org/debian
suite=bookworm

die() {
	echo "build-crun-krun: $*" >&2
	exit 1
}
stage() { printf '==> crun-krun: %s\n' "$*"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--libkrun-prefix) libkrun_prefix=${2:?}; shift 2 ;;
	--prefix) prefix=${2:?}; shift 2 ;;
	--cache) cache=${2:?}; shift 2 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument \`$1\` (see --help)" ;;
	esac
done

[ -d "$libkrun_prefix" ] ||
	die "no such directory \`$libkrun_prefix\` (--libkrun-prefix)"
libkrun_prefix=$(cd "$libkrun_prefix" && pwd)

# The installed pkg-config file, with its prefix moved to where it is now
# (an install with --destdir keeps the configured prefix inside it).
pcdir=
for d in "$libkrun_prefix"/lib/*/pkgconfig "$libkrun_prefix"/lib/pkgconfig \
	"$libkrun_prefix"/lib64/pkgconfig; do
	if [ -f "$d/libkrun.pc" ]; then
		pcdir=$d
		break
	fi
done
[ -n "$pcdir" ] ||
	die "no libkrun.pc under \`$libkrun_prefix/lib\`: install krun-run's libkrun there first (meson install -C build)"
pc() {
	PKG_CONFIG_PATH=$pcdir PKG_CONFIG_LIBDIR=$pcdir \
		pkg-config --define-variable=prefix="$libkrun_prefix" "$@" libkrun
}
includedir=$(pc --variable=includedir)
libdir=$(pc --variable=libdir)
cflags=$(pc --cflags)
[ -f "$includedir/libkrun.h" ] || die "no \`$includedir/libkrun.h\`"
[ -e "$libdir/libkrun.so.1" ] || die "no \`$libdir/libkrun.so.1\`"
grep -q 'krun-run' "$pcdir/libkrun.pc" ||
	die "\`$pcdir/libkrun.pc\` is not krun-run's libkrun"

# Private apt configuration: Debian's mirror with sources, nothing of the
# system's apt configuration changed.
aptdir=$cache/crun/apt
mkdir -p "$aptdir/lists/partial"
cat >"$aptdir/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
EOF
apt_opts=(-o Dir::Etc::sourcelist="$aptdir/sources.list"
	-o Dir::Etc::sourceparts=- -o Dir::State::lists="$aptdir/lists"
	-o APT::Get::List-Cleanup=0)

# The source version comes from the private lists; fetch them when they are
# missing or a day old.
if [ -z "$(find "$aptdir/lists" -maxdepth 1 -name '*_Sources*' -mmin -1440 2>/dev/null)" ]; then
	stage "apt-get update (private lists in $aptdir)"
	apt-get "${apt_opts[@]}" update -q >/dev/null
fi
version=$(apt-cache "${apt_opts[@]}" showsrc crun 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$version" ] || die "the mirror $mirror ($suite) has no crun source"
hdr_hash=$(sha256sum "$includedir/libkrun.h" | cut -c1-16)
key=$version-$hdr_hash
out=$cache/crun/$key

if [ -x "$out/krun" ]; then
	stage "cached: $out/krun (crun $version, libkrun.h $hdr_hash)"
else
	stage "building crun $version with --with-libkrun ($cflags)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get "${apt_opts[@]}" build-dep -y -q --no-install-recommends crun >/dev/null
	apt-get "${apt_opts[@]}" install -y -q --no-install-recommends dpkg-dev >/dev/null
	work=$(mktemp -d "$cache/crun/build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get "${apt_opts[@]}" source -q "crun=$version" >/dev/null)
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'crun-*')
	[ -d "$src" ] || die "apt-get source crun=$version gave no source tree"
	# Debian's rules run a plain `dh`; the libkrun handler needs
	# --with-libkrun and our header, and the binary must find the
	# libkrun.so.1 installed beside it.
	cat >>"$src/debian/rules" <<'EOF'

override_dh_auto_configure:
	dh_auto_configure -- --with-libkrun
EOF
	(
		cd "$src"
		export DEB_BUILD_OPTIONS="nocheck nodoc parallel=$(nproc)"
		export DEB_CPPFLAGS_APPEND="$cflags"
		dpkg-buildpackage -b -uc -us -j"$(nproc)" >"$work/build.log" 2>&1
	) || {
		tail -n 40 "$work/build.log" >&2
		die "dpkg-buildpackage failed (log above)"
	}
	bin=$src/debian/tmp/usr/bin/crun
	[ -x "$bin" ] || die "the build left no \`$bin\`"
	"$bin" --version | grep -q '+LIBKRUN' ||
		die "the built crun has no libkrun handler (no +LIBKRUN in --version)"
	mkdir -p "$out.tmp"
	install -m 0755 "$bin" "$out.tmp/krun"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	stage "built and cached: $out/krun"
fi

if ! command -v patchelf >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -q \
		--no-install-recommends patchelf >/dev/null
fi
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
install -m 0755 "$out/krun" "$prefix/krun.tmp"
# RUNPATH: the absolute prefix. Not $ORIGIN: crun re-executes itself from a
# sealed memfd copy (its cloned_binary.c), where $ORIGIN is "/".
patchelf --set-rpath "$prefix" "$prefix/krun.tmp"
mv -f "$prefix/krun.tmp" "$prefix/krun"
ln -sfn "$libdir/libkrun.so.1" "$prefix/libkrun.so.1"
stage "installed: $prefix/krun (libkrun.so.1 -> $libdir/libkrun.so.1)"
