# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Sourced by the krun-run system test groups (krun-run-*.sh). They run
# inside the emulated test host; each group boots a few guests and prints
# one TAP line per check:
#
#   ok 3 - exit status 255
#   not ok 4 - signal KILL gives 137
#   # expected: 137
#   # got:      1
#   # krun-run stdout: ...
#
# A failed check names itself and shows the full command, what krun-run
# printed (all of it) and, when the guest did not boot, the guest kernel's
# log; the group's
# exit status is 1 when any check failed (checks_done prints the plan).
#
# Environment (set by tests/system/meson.build): KRUN_RUN (the binary),
# KRUN_GUEST_KERNEL, KRUN_TEST_ROOTFS. KRUN_CHECK_TIMEOUT bounds each
# krun-run invocation (default 120 s): a hang fails that check, not the group.

check_count=0
check_failed=0
# The last krun-run: $last (file prefix), last_cmd (as shown), last_argv
# (its arguments, for kernel_log; empty when it cannot be re-run as is).
last= last_cmd=
last_argv=()
: "${KRUN_RUN:?KRUN_RUN is not set}"
: "${KRUN_TEST_ROOTFS:?KRUN_TEST_ROOTFS is not set}"
: "${KRUN_GUEST_KERNEL:?KRUN_GUEST_KERNEL is not set}"
export KRUN_KERNEL=$KRUN_GUEST_KERNEL
check_timeout=${KRUN_CHECK_TIMEOUT:-120}

# Per-group scratch space on the test host's tmpfs (not the 9p build tree),
# with a private, writable copy of the busybox test root.
work=$(mktemp -d /tmp/krun-systest.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
cp -a "$KRUN_TEST_ROOTFS" "$root"

# diag FILE LABEL: all of FILE as TAP comments (a failed check keeps the
# whole output; nothing is cut).
diag() {
	[ -s "$1" ] || {
		echo "# $2: (empty)"
		return
	}
	echo "# $2 ($(wc -c <"$1") bytes):"
	sed -e 's/^/#   /' -e '$a\' "$1"
}

# todo: when set, the next checks are known not to hold yet (TAP "# TODO"
# directive, with the reason): a failure is printed in full but does not
# fail the group; a pass says the TODO can go.
todo=

pass() {
	check_count=$((check_count + 1))
	echo "ok $check_count - $1${todo:+ # TODO $todo (it passes now: drop the TODO)}"
}

# boot_failed: the last krun ended the way a guest that never ran its
# workload does: 123 (crash), 124/137 (timeout) or 125 (setup).
boot_failed() {
	case $(cat "$last.rc" 2>/dev/null) in
	123 | 124 | 125 | 137) return 0 ;;
	esac
	return 1
}

# kernel_log: runs the last krun command line again with --kernel-log
# (the guest kernel's log on the serial port, to stderr) and shows that
# stderr. Kernel messages on the nested serial port are slow, so this
# runs at most once per group and is bounded by KRUN_KERNEL_LOG_TIMEOUT
# (120 s); the second run's status is shown too.
kernel_log_shown=0
kernel_log() {
	local rc
	[ "$kernel_log_shown" = 0 ] && [ ${#last_argv[@]} -gt 0 ] || return 0
	kernel_log_shown=1
	echo "# re-running with --kernel-log to show the guest kernel's log:"
	timeout -k 5 "${KRUN_KERNEL_LOG_TIMEOUT:-120}" "$KRUN_RUN" --kernel-log \
		"${last_argv[@]}" <"${last_stdin:-/dev/null}" >/dev/null 2>"$last.klog"
	rc=$?
	echo "# --kernel-log run exit status: $rc"
	diag "$last.klog" "guest kernel log (stderr of the --kernel-log run)"
}

# fail NAME [DETAIL...]: DETAIL lines are printed as comments; then the
# last krun invocation ($last): its full command, status, stdout and
# stderr, and for a boot that failed the guest kernel's log (kernel_log).
fail() {
	local name=$1 line
	shift
	check_count=$((check_count + 1))
	if [ -n "$todo" ]; then
		echo "not ok $check_count - $name # TODO $todo"
	else
		check_failed=$((check_failed + 1))
		echo "not ok $check_count - $name"
	fi
	for line in "$@"; do echo "# $line"; done
	if [ -n "${last:-}" ]; then
		echo "# command: ${last_cmd:-}"
		echo "# krun-run exit status: $(cat "$last.rc" 2>/dev/null)"
		[ "${last_out_shown:-1}" = 1 ] && diag "$last.out" "krun-run stdout"
		diag "$last.err" "krun-run stderr"
		boot_failed && kernel_log
	fi
}

# krun NAME [KRUN-RUN ARGS...]: runs krun-run with a timeout, stdin from
# /dev/null unless KRUN_STDIN names a file; stdout, stderr and the status
# go to $work/NAME.{out,err,rc}; $last points there. Returns the status.
krun() {
	local name=$1 rc start=$SECONDS
	shift
	last=$work/$name
	last_argv=("$@")
	last_stdin=${KRUN_STDIN:-/dev/null}
	last_cmd="KRUN_KERNEL=$(printf %q "${KRUN_KERNEL:-}") $(printf %q "$KRUN_RUN")$(printf " %q" "$@") <$last_stdin"
	last_out_shown=1
	timeout -k 5 "$check_timeout" "$KRUN_RUN" "$@" \
		<"$last_stdin" >"$last.out" 2>"$last.err"
	rc=$?
	# The emulated test host's nested SVM (QEMU TCG) now and then fails
	# to emulate an instruction mid-run (KVM_EXIT_INTERNAL_ERROR, suberror
	# 1); the same run passes again. One rerun, said in the TAP output;
	# a second failure stands.
	if [ "$rc" = 125 ] && grep -q 'KVM_EXIT_INTERNAL_ERROR, suberror 1' "$last.err"; then
		echo "# $name: the test host's KVM failed mid-run (KVM_EXIT_INTERNAL_ERROR); running it once more"
		start=$SECONDS
		timeout -k 5 "$check_timeout" "$KRUN_RUN" "$@" \
			<"$last_stdin" >"$last.out" 2>"$last.err"
		rc=$?
	fi
	echo "$rc" >"$last.rc"
	if [ $((SECONDS - start)) -ge "$check_timeout" ]; then
		echo "[check harness: krun-run timed out after ${check_timeout}s]" >>"$last.err"
	fi
	return "$rc"
}

# expect_status NAME EXPECTED: the last krun's status.
expect_status() {
	local got
	got=$(cat "$last.rc")
	if [ "$got" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "expected exit status $2, got $got"
	fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $(printf %q "$2")" "got:      $(printf %q "$3")"
	fi
}

# expect_file NAME FILE EXPECTED-CONTENT: exact bytes (no newline added).
expect_file() {
	local want=$work/expect.$check_count
	printf '%s' "$3" >"$want"
	if cmp -s "$want" "$2"; then
		pass "$1"
	else
		fail "$1" "$2 differs from the expected $(printf %q "$3")" \
			"got: $(head -c 300 "$2" | od -c | head -n 5 | tr '\n' ' ')"
	fi
}

# line_of PREFIX FILE: the rest of the first line of FILE starting with
# "PREFIX " (the guest scripts print "key value" lines).
line_of() {
	sed -n "s/^$1 //p" "$2" | head -n 1
}

# expect_range NAME MIN VALUE MAX: MIN <= VALUE <= MAX, integers.
expect_range() {
	case $3 in
	'' | *[!0-9]*)
		fail "$1" "expected a number in [$2, $4], got $(printf %q "$3")"
		return
		;;
	esac
	if [ "$3" -ge "$2" ] && [ "$3" -le "$4" ]; then
		pass "$1"
	else
		fail "$1" "expected a value in [$2, $4], got $3"
	fi
}

checks_done() {
	echo "1..$check_count"
	if [ "$check_failed" -ne 0 ]; then
		echo "# $check_failed of $check_count checks failed"
		exit 1
	fi
	exit 0
}
