# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Shared by the virtio-fs system tests (sourced, bash, inside the test host).
# Every check prints one line, `PASS name` or `FAIL name: why` followed by
# the offending output indented; fs_finish prints the totals and fails the
# case when any check failed (or none ran).
#
# Environment (set by tests/system/fs/meson.build):
#   KRUN_RUN            the krun-run binary
#   KRUN_GUEST_KERNEL   the guest vmlinux
#   KRUN_TEST_ROOTFS    the busybox test tree
#   KRUN_FSPROBE        the static fsprobe helper (copied into guest roots)
#   KRUN_FS_GUEST_TIMEOUT  seconds one guest may run (default 420)

fs_passes=0
fs_fails=0
fs_cleanups=()

pass() {
	echo "PASS $1"
	fs_passes=$((fs_passes + 1))
}

# fail NAME WHY [OUTPUT]
fail() {
	echo "FAIL $1: $2"
	[ $# -lt 3 ] || printf '%s\n' "$3" | head -n 40 | sed 's/^/    /'
	fs_fails=$((fs_fails + 1))
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want [$2], got [$3]"
	fi
}

# check NAME CMD [ARG...]: passes when CMD succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "command failed: $*" "$out"
	fi
}

# check_not NAME CMD [ARG...]: passes when CMD fails.
check_not() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$name" "command succeeded: $*" "$out"
	else
		pass "$name"
	fi
}

# section NAME: a heading with the seconds since the case started.
section() {
	echo "--- $1 (+${SECONDS}s)"
}

fs_finish() {
	echo "fs: $fs_passes passed, $fs_fails failed in ${SECONDS}s"
	[ "$fs_fails" -eq 0 ] && [ "$fs_passes" -gt 0 ]
}

fs_cleanup() {
	local i
	for ((i = ${#fs_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${fs_cleanups[$i]}" >/dev/null 2>&1
	done
}
trap fs_cleanup EXIT

fs_require_env() {
	local v
	for v in KRUN_RUN KRUN_GUEST_KERNEL KRUN_TEST_ROOTFS KRUN_FSPROBE "$@"; do
		if [ -z "${!v:-}" ]; then
			echo "FAIL setup: \$$v is not set (run through meson test)"
			exit 1
		fi
	done
}

# make_scratch SIZE_MB: sets SCRATCH to the mount point of a fresh ext4
# file system
# (loop device on a tmpfs-backed sparse image). ext4 rather than the test
# host's tmpfs: user.* xattrs, fallocate, SEEK_DATA and strictatime (so
# the escape tests can see on the host whether a file outside was read).
make_scratch() {
	local size_mb=$1 dir
	dir=$(mktemp -d /tmp/fs-scratch.XXXXXX) || return 1
	fs_cleanups+=("rm -f '$dir.img'; rmdir '$dir'")
	truncate -s "${size_mb}M" "$dir.img" &&
		mkfs.ext4 -q -F -O ^has_journal \
			-E root_owner=0:0,lazy_itable_init=1 "$dir.img" &&
		mount -o loop,strictatime,noinit_itable "$dir.img" "$dir" || return 1
	fs_cleanups+=("umount '$dir'; rm -f '$dir.img'; rmdir '$dir'")
	SCRATCH=$dir
}

# mount_image IMAGE: copies a raw ext4 image to /tmp and mounts the copy
# read-write (a writable copy of a cached tree) at DIR/rootfs; sets
# IMAGE_DIR to DIR.
mount_image() {
	local dir
	dir=$(mktemp -d /tmp/fs-image.XXXXXX) || return 1
	fs_cleanups+=("rm -rf '$dir'")
	mkdir "$dir/rootfs" || return 1
	cp --sparse=always "$1" "$dir/rootfs.img" &&
		mount -o loop "$dir/rootfs.img" "$dir/rootfs" || return 1
	fs_cleanups+=("umount '$dir/rootfs'; rm -rf '$dir'")
	IMAGE_DIR=$dir
}

# copy_busybox_tree DEST: the busybox test tree plus fsprobe in /usr/bin.
copy_busybox_tree() {
	mkdir -p "$1" && cp -a "$KRUN_TEST_ROOTFS/." "$1/" &&
		cp "$KRUN_FSPROBE" "$1/usr/bin/fsprobe"
}

# krun ARGS...: krun-run with the test kernel and a time limit.
krun() {
	timeout -k 5 "${KRUN_FS_GUEST_TIMEOUT:-420}" \
		"$KRUN_RUN" --kernel "$KRUN_GUEST_KERNEL" "$@"
}

# run_guest NAME OUT KRUN-ARGS...: runs a guest, its stdout and stderr to
# OUT; a check NAME passes when it exits 0.
run_guest() {
	local name=$1 out=$2 rc
	shift 2
	# Streamed too (but for PASS lines): a test host killed at its
	# timeout loses $out, not its console.
	krun "$@" 2>&1 | tee "$out" | grep --line-buffered -v '^PASS ' |
		sed -u 's/^/  guest| /'
	rc=${PIPESTATUS[0]}
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "krun-run $* exited $rc" "$(tail -n 30 "$out")"
	fi
}

# guest_results OUT NAME...: the guest script's own PASS/FAIL lines in OUT
# become checks here (prefixed guest:); every NAME must have reported.
guest_results() {
	local out=$1 name line
	shift
	for name in "$@"; do
		line=$(grep -m1 -E "^(PASS|FAIL) $name(:|$)" "$out")
		case $line in
		"PASS $name") pass "guest:$name" ;;
		"FAIL $name"*)
			fail "guest:$name" "${line#FAIL "$name": }" \
				"$(sed -n "/^FAIL $name:/,/^\(PASS\|FAIL\) /{/^    /p}" "$out")"
			;;
		*) fail "guest:$name" "no result from the guest" "$(grep -v '^PASS ' "$out" | tail -n 5)" ;;
		esac
	done
}

# The guest side of the PASS/FAIL protocol, for POSIX sh in the guest
# (busybox ash, dash). Written into a guest root by write_guest_lib DIR.
write_guest_lib() {
	cat >"$1" <<'GUESTLIB'
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; [ $# -lt 3 ] || printf '%s\n' "$3" | head -n 40 | sed 's/^/    /'; }
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want [$2], got [$3]"; fi; }
check() { n=$1; shift; if o=$("$@" 2>&1); then pass "$n"; else fail "$n" "command failed: $*" "$o"; fi; }
check_not() { n=$1; shift; if o=$("$@" 2>&1); then fail "$n" "command succeeded: $*" "$o"; else pass "$n"; fi; }
GUESTLIB
}
