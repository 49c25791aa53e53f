#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# shutdown.sh CASE KRUN-RUN [SHUTDOWN-EVENTFD]
#
# Inside the test host: the orderly shutdown of a running krun-run (issue 4).
#   term     SIGTERM to krun-run: the workload's TERM trap runs (got-term),
#            the run exits with the workload's status 42
#   ignored  the workload ignores SIGTERM: init SIGKILLs it after the
#            grace period (10 s): 137
#   twice    a second SIGTERM stops the VM at once: 143
#   eventfd  the krun_get_shutdown_eventfd() path through the API (a
#            helper program writes the eventfd once the workload is ready)
set -uo pipefail
case_name=${1:?usage: shutdown.sh CASE KRUN-RUN [SHUTDOWN-EVENTFD]}
krun=${2:?usage: shutdown.sh CASE KRUN-RUN [SHUTDOWN-EVENTFD]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KRUN_KERNEL=$KRUN_GUEST_KERNEL

fail() {
	echo "shutdown.sh $case_name: FAIL: $*"
	echo "--- stdout"; cat "$work/out"
	echo "--- stderr"; cat "$work/err"
	exit 1
}

# Starts CMD in the background with stdout/stderr in $work; sets $pid.
start() {
	"$@" >"$work/out" 2>"$work/err" &
	pid=$!
}

wait_ready() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready$' "$work/out" && return 0
		kill -0 "$pid" 2>/dev/null || fail "exited before ready"
		sleep 0.1
	done
	kill -KILL "$pid"
	fail "no ready within 120 s"
}

# Waits for $pid at most $1 seconds; sets $status.
wait_status() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "still running $1 s after the shutdown request"
	fi
	wait "$pid"
	status=$?
}

expect_status() {
	[ "$status" -eq "$1" ] || fail "status $status, expected $1"
}

run_sh() {
	start "$krun" --root "$KRUN_TEST_ROOTFS" -- /bin/sh -c "$1"
}

loop='echo ready; while :; do sleep 1; done'
case $case_name in
term)
	run_sh "trap 'echo got-term; exit 42' TERM; $loop"
	wait_ready
	kill -TERM "$pid"
	wait_status 60
	expect_status 42
	grep -q '^got-term$' "$work/out" || fail "no got-term"
	;;
ignored)
	run_sh "trap '' TERM; $loop"
	wait_ready
	start_s=$SECONDS
	kill -TERM "$pid"
	wait_status 60
	expect_status 137
	# init waits its grace period (10 s) before the SIGKILL
	((SECONDS - start_s >= 9)) || fail "killed after $((SECONDS - start_s)) s"
	;;
twice)
	run_sh "trap '' TERM; $loop"
	wait_ready
	kill -TERM "$pid"
	sleep 1
	kill -TERM "$pid"
	wait_status 8
	expect_status 143
	;;
eventfd)
	start "${3:?the eventfd case needs SHUTDOWN-EVENTFD}" "$KRUN_TEST_ROOTFS"
	wait_ready
	wait_status 60
	expect_status 42
	;;
*)
	echo "shutdown.sh: unknown case $case_name" >&2
	exit 2
	;;
esac
echo "shutdown.sh $case_name: ok (status $status)"
cat "$work/err" >&2
