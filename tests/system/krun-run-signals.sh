#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-signals.sh KRUN-RUN SHUTDOWN-EVENTFD (inside the test host): how
# krun-run stops (man/krun-run.1, SIGNALS).
#   - SIGTERM and SIGINT ask for an orderly stop: the workload gets SIGTERM
#     (143 when it dies of it, its own status when it traps it); one that
#     ignores SIGTERM is SIGKILLed after the 10 s grace period (137); a
#     second SIGTERM, SIGHUP, or a signal while the guest still boots stop
#     the VM at once (128 + the signal);
#   - the shutdown eventfd of the C API does what SIGTERM does;
#   - krun-run exits with these statuses itself (it is not killed by the
#     signal), leaves no process behind and nothing holding KVM: both
#     probes are shown to see krun-run while it runs before they must come
#     back empty;
#   - on a terminal: raw mode while the guest runs, the exact settings back
#     afterwards, Ctrl-C reaches the workload (not krun-run), a window
#     resize reaches the guest's terminal.
# Time bounds (KRUN_SIGTERM_BOUND, 60 s) tell a stop from a hang, they do
# not measure speed.
KRUN_RUN=${1:?usage: krun-run-signals.sh KRUN-RUN SHUTDOWN-EVENTFD}
shutdown_eventfd=${2:?usage: krun-run-signals.sh KRUN-RUN SHUTDOWN-EVENTFD}
. "$(dirname "$0")/checklib.sh"
ptyrun=$(cd "$(dirname "$0")" && pwd)/ptyrun.py
bound=${KRUN_SIGTERM_BOUND:-60}

# user_procs FILE: the pids of user-space processes (kernel threads have
# an empty cmdline), sorted. Bash builtins only: no process of its own.
user_procs() {
	local d c
	for d in /proc/[0-9]*; do
		c=
		read -r -d '' c <"$d/cmdline" 2>/dev/null
		[ -n "$c" ] && echo "${d#/proc/}"
	done >"$1.unsorted"
	sort -n "$1.unsorted" >"$1"
}

# new_procs BEFORE NOW: "pid args" of each process in NOW but not BEFORE
# that still exists.
new_procs() {
	local p
	for p in $(comm -13 "$1" "$2"); do
		[ -d "/proc/$p" ] && [ "$p" != "$$" ] && ps -o pid=,args= -p "$p"
	done
}

# kvm_holders: pids with /dev/kvm or a KVM VM/vCPU file open.
kvm_holders() {
	find /proc/[0-9]*/fd -lname /dev/kvm -o -lname 'anon_inode:kvm*' \
		2>/dev/null | cut -d/ -f3 | sort -u
}

# wait_for TEST SECONDS: until TEST (a command) succeeds (0) or the time
# is up (1).
wait_for() {
	local i=0
	while ! eval "$1" && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	eval "$1"
}

# start NAME KRUN-RUN-ARGS...: krun-run in the background under ptyrun.py
# (which tells an exit status from a death by signal); sets $pid (krun-run)
# and $wrap (ptyrun), $last like krun.
start() {
	local name=$1
	shift
	last=$work/$name last_argv=("$@") last_stdin=/dev/null
	last_cmd="KRUN_KERNEL=$KRUN_KERNEL $KRUN_RUN$(printf " %q" "$@") </dev/null"
	rm -f "$last.pid" "$last.status"
	python3 "$ptyrun" --pidfile "$last.pid" --status "$last.status" \
		--out "$last.out" --err "$last.err" --timeout $((check_timeout + bound + 30)) \
		-- "$KRUN_RUN" "$@" >/dev/null &
	wrap=$!
	wait_for "[ -s '$last.pid' ]" 10
	pid=$(cat "$last.pid")
}

# finish [SECONDS]: waits for krun-run (at most SECONDS, default $bound);
# $last.rc gets its exit status, or how it died; sets $took (seconds).
finish() {
	local t0=$SECONDS
	if ! wait_for "[ -s '$last.status' ]" "${1:-$bound}"; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$wrap"
	took=$((SECONDS - t0))
	case $(cat "$last.status" 2>/dev/null) in
	"exit "*) sed 's/^exit //' "$last.status" >"$last.rc" ;;
	"signal "*) echo "killed by $(cat "$last.status") (no exit status)" >"$last.rc" ;;
	*) echo "still running ${1:-$bound}s after the stop request" >"$last.rc" ;;
	esac
}

# started NAME FILE: passes when the workload created FILE in the guest
# root (seen here through virtio-fs) while krun-run runs.
started() {
	if wait_for "[ -e '$2' ] || [ -s '$last.status' ]" "$check_timeout" && [ -e "$2" ]; then
		pass "$1: the workload started"
		return 0
	fi
	kill -KILL "$pid" 2>/dev/null
	finish 5
	fail "$1: the workload started"
	return 1
}

# probes_see_krun NAME: the leftover probes see krun-run while it runs.
probes_see_krun() {
	user_procs "$work/procs.during"
	if new_procs "$work/procs.before" "$work/procs.during" | grep -q "^ *$pid "; then
		pass "$1: the process probe sees krun-run while it runs"
	else
		fail "$1: the process probe sees krun-run while it runs" \
			"new processes: $(new_procs "$work/procs.before" "$work/procs.during" | tr '\n' ';')"
	fi
	if kvm_holders | grep -qx "$pid"; then
		pass "$1: the KVM probe sees krun-run while it runs"
	else
		fail "$1: the KVM probe sees krun-run while it runs" "KVM holders: $(kvm_holders | tr '\n' ' ')"
	fi
}

# no_leftovers NAME: after krun-run ended, no process that was not there
# before it started, and nothing holds KVM.
no_leftovers() {
	user_procs "$work/procs.after"
	expect_eq "$1: no process krun-run started is left" "" \
		"$(new_procs "$work/procs.before" "$work/procs.after")"
	expect_eq "$1: no process holds KVM" "" "$(kvm_holders)"
}

# stop_case NAME SIGNAL EXPECTED SCRIPT: SCRIPT touches /started once it
# runs; then SIGNAL to krun-run, which must exit with EXPECTED within the
# bound; the probes run while the guest runs and after.
stop_case() {
	local name=$1 sig=$2 want=$3 script=$4
	rm -f "$root/started"
	user_procs "$work/procs.before"
	start "$name" --root "$root" -- /bin/sh -c "$script"
	started "$name" "$root/started" || return 1
	probes_see_krun "$name"
	kill -"$sig" "$pid"
	finish
	expect_status "$name: exit status $want within ${bound}s" "$want"
	no_leftovers "$name"
}

handler='trap "echo got-term; exit 7" TERM; touch /started; while :; do sleep 1; done'

stop_case "SIGTERM, workload does not handle it" TERM 143 \
	'touch /started; sleep 1000; echo not-reached'
stop_case "SIGTERM, workload traps it" TERM 7 "$handler"
expect_eq "SIGTERM, workload traps it: its handler's output arrives" got-term \
	"$(grep -x got-term "$last.out")"
stop_case "SIGINT, workload traps SIGTERM" INT 7 "$handler"
expect_eq "SIGINT: the workload got SIGTERM (its handler ran)" got-term \
	"$(grep -x got-term "$last.out")"

# SIGHUP stops the VM at once: the workload's handler never runs.
stop_case "SIGHUP stops at once" HUP 129 "$handler"
expect_eq "SIGHUP: the workload's SIGTERM handler did not run" "" \
	"$(grep -x got-term "$last.out")"

# A workload that ignores SIGTERM is killed after the grace period.
rm -f "$root/started"
start "SIGTERM ignored" --root "$root" -- /bin/sh -c \
	"trap '' TERM; touch /started; while :; do sleep 1; done"
if started "SIGTERM ignored" "$root/started"; then
	kill -TERM "$pid"
	finish
	expect_status "SIGTERM ignored: SIGKILL after the grace period gives 137" 137
	expect_range "SIGTERM ignored: the grace period (10 s) was waited (s)" 9 "$took" "$bound"
fi

# A second SIGTERM stops the VM at once.
rm -f "$root/started"
start "SIGTERM twice" --root "$root" -- /bin/sh -c \
	"trap '' TERM; touch /started; while :; do sleep 1; done"
if started "SIGTERM twice" "$root/started"; then
	kill -TERM "$pid"
	sleep 1
	kill -TERM "$pid"
	finish
	expect_status "SIGTERM twice: the second stops the VM (143)" 143
	expect_range "SIGTERM twice: stopped before the grace period ended (s)" 0 "$took" 8
fi

# A signal while the guest boots: the VM exists (krun-run holds a vCPU
# fd), the workload has not started; the VM stops at once with 143 and
# the workload (which would exit 7 on SIGTERM) never runs.
rm -f "$root/started"
user_procs "$work/procs.before"
start "SIGTERM while booting" --root "$root" -- /bin/sh -c "$handler"
if wait_for "find /proc/$pid/fd -lname 'anon_inode:kvm-vcpu*' 2>/dev/null | grep -q ." 30 &&
	[ ! -e "$root/started" ]; then
	kill -TERM "$pid"
	pass "SIGTERM while booting: sent after the VM was made, before the workload ran"
	finish
	# man krun-run: a guest still booting takes the request once its
	# keyboard is up (the workload may have started by then); the run
	# ends with 128 + the signal (143: the guest rebooted on the press
	# before init took over, or init stopped before the workload ran) or
	# with the workload's own SIGTERM status (7, its handler ran).
	case $(cat "$last.rc") in
	143) pass "SIGTERM while booting: exit status 143 (before the workload)" ;;
	7) if grep -q got-term "$last.out"; then
		pass "SIGTERM while booting: exit status 7 (the workload's handler)"
	else
		fail "SIGTERM while booting: status 7 without the handler's output"
	fi ;;
	*) fail "SIGTERM while booting: exit status" \
		"expected 143 or 7 (handler), got $(cat "$last.rc")" ;;
	esac
	expect_range "SIGTERM while booting: stopped within ${bound}s (s)" 0 "$took" "$bound"
	no_leftovers "SIGTERM while booting"
else
	fail "SIGTERM while booting: sent after the VM was made, before the workload ran" \
		"vCPU fd seen: $(find /proc/$pid/fd -lname 'anon_inode:kvm-vcpu*' 2>/dev/null | wc -l)" \
		"workload started: $([ -e "$root/started" ] && echo yes || echo no)"
	kill -KILL "$pid" 2>/dev/null
	finish 5
fi

# The C API's shutdown eventfd (a helper writes it once the workload
# printed "ready"; the workload's TERM trap exits 42).
last=$work/eventfd last_argv=() last_out_shown=1
last_cmd="KRUN_KERNEL=$KRUN_KERNEL $shutdown_eventfd $root </dev/null"
timeout -k 5 "$check_timeout" "$shutdown_eventfd" "$root" </dev/null >"$last.out" 2>"$last.err"
echo $? >"$last.rc"
expect_status "shutdown eventfd: the workload's TERM handler status 42" 42
expect_eq "shutdown eventfd: the handler ran" got-term "$(grep -x got-term "$last.out")"

# ---- On a terminal (ptyrun.py --pty: krun-run is the session leader of
# a new pseudo-terminal) ----
# pty_case NAME SIZE KRUN-RUN-ARGS... ::: STEPS...: sets $last like krun; the
# driver's report is $last.report, the transcript $last.out.
pty_case() {
	local name=$1 size=$2 args=() steps=()
	shift 2
	while [ "$1" != ::: ]; do args+=("$1"); shift; done
	shift
	for s in "$@"; do steps+=(--do "$s"); done
	last=$work/$name last_argv=()
	last_cmd="(on a pty, ${size}) KRUN_KERNEL=$KRUN_KERNEL $KRUN_RUN$(printf " %q" "${args[@]}"); steps:$(printf " %q" "$@")"
	last_out_shown=1
	: >"$last.err"
	python3 "$ptyrun" --pty --size "$size" --timeout $((check_timeout + bound)) --end-timeout "$bound" \
		--out "$last.out" --status "$last.status" "${steps[@]}" \
		-- "$KRUN_RUN" "${args[@]}" >"$last.report" 2>&1
	cp "$last.report" "$last.err"
	case $(cat "$last.status" 2>/dev/null) in
	"exit "*) sed 's/^exit //' "$last.status" >"$last.rc" ;;
	*) echo "$(cat "$last.status" 2>/dev/null) (no exit status)" >"$last.rc" ;;
	esac
}

# report_of KEY: the rest of the driver's line starting with KEY.
report_of() {
	sed -n "s/^$1 //p" "$last.report" | head -n 1
}

pty_case "terminal, SIGTERM" 24x80 --root "$root" -- /bin/sh -c 'echo ready; sleep 1000' ::: \
	wait:ready stty:during kill:TERM
expect_status "on a terminal: SIGTERM gives 143" 143
expect_eq "on a terminal: the guest's output arrived" "step 1 ok wait:ready" \
	"$(grep '^step 1 ' "$last.report")"
expect_eq "on a terminal: raw mode (no ICANON, ECHO, ISIG) while the guest runs" yes \
	"$(report_of 'raw during')"
before=$(report_of 'stty before')
if [ -n "$before" ] && [ "$before" != "$(report_of 'stty during')" ]; then
	expect_eq "on a terminal: the exact settings are back after SIGTERM" \
		"$before" "$(report_of 'stty after')"
else
	fail "on a terminal: the exact settings are back after SIGTERM" \
		"the settings before were not recorded or never changed"
fi

# Ctrl-C is a byte for the guest's terminal: its SIGINT reaches the
# workload (trap: exit 9). Had krun-run taken it as SIGINT, the workload
# would get SIGTERM instead (exit 143). The window size is the terminal's
# at start, and a resize reaches the guest's terminal (SIGWINCH there).
pty_case "terminal, Ctrl-C and resize" 40x100 --root "$root" -- /bin/sh -c '
	trap "echo winch \$(stty size)" WINCH
	trap "echo got-int; exit 9" INT
	trap "echo got-term; exit 8" TERM
	echo "size $(stty size)"; echo ready
	while :; do sleep 1; done' ::: \
	wait:ready resize:50x132 'waitq:winch 50 132' 'send:\x03' waitq:got-int
expect_eq "on a terminal: the guest sees the terminal's size (40 100)" \
	"40 100" "$(sed -n 's/^size \([0-9]* [0-9]*\).*/\1/p' "$last.out" | head -n 1)"
expect_eq "on a terminal: a resize reaches the guest (winch 50 132)" \
	"step 3 ok waitq:winch 50 132" "$(grep '^step 3 ' "$last.report")"
expect_eq "on a terminal: Ctrl-C reaches the workload as SIGINT" \
	"step 5 ok waitq:got-int" "$(grep '^step 5 ' "$last.report")"
expect_status "on a terminal: the workload's SIGINT handler status 9" 9

# The workload's stdio is the guest's /dev/hvc0, its status comes back.
pty_case "terminal, exit status" 24x80 --root "$root" -- \
	/bin/sh -c 'echo in-tty; tty; exit 5' ::: wait:in-tty
expect_status "on a terminal: the workload's exit status" 5
expect_eq "on a terminal: the workload's output and tty" "in-tty /dev/hvc0" \
	"$(grep -aoE 'in-tty|/dev/hvc0' "$last.out" | tr '\n' ' ' | sed 's/ $//')"

checks_done
