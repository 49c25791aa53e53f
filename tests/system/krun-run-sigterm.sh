#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-sigterm.sh KRUN-RUN (inside the test host): SIGTERM to krun-run
# stops the guest: krun-run exits (143 for a workload that does not handle
# SIGTERM, the workload's own status when it traps it), leaves no process
# behind and nothing holding KVM, and restores the terminal it had put in
# raw mode. The time bound (KRUN_SIGTERM_BOUND, 60 s) is generous: it tells
# a stop from a hang, it does not measure speed.
KRUN_RUN=${1:?usage: krun-run-sigterm.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"
bound=${KRUN_SIGTERM_BOUND:-60}

# descendants PID: every process below PID.
descendants() {
	local p kids
	kids=$(ps -o pid= --ppid "$1" 2>/dev/null)
	for p in $kids; do
		echo "$p"
		descendants "$p"
	done
}

# kvm_holders: processes with /dev/kvm or a KVM VM/vCPU file open.
kvm_holders() {
	local fd
	for fd in /proc/[0-9]*/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in
		/dev/kvm | anon_inode:kvm*) echo "${fd#/proc/}" | cut -d/ -f1 ;;
		esac
	done | sort -u
}

# wait_started FILE PID SECONDS: until FILE exists (0), PID is gone or
# the time is up (1).
wait_started() {
	local i=0
	while [ ! -e "$1" ] && kill -0 "$2" 2>/dev/null && [ $i -lt $(($3 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# wait_exit PID SECONDS: until PID is gone; its status in $exit_status.
wait_exit() {
	local i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		return 1
	fi
	wait "$1"
	exit_status=$?
}

# sigterm_case NAME EXPECTED-STATUS SCRIPT: SCRIPT touches /started in the
# guest root (seen here through the virtio-fs root) once it is running.
sigterm_case() {
	local name=$1 want=$2 script=$3 pid kids left
	last=$work/$name last_cmd="krun-run --root ROOT -- /bin/sh -c '$script' & kill -TERM"
	rm -f "$root/started"
	"$KRUN_RUN" --root "$root" -- /bin/sh -c "$script" \
		</dev/null >"$last.out" 2>"$last.err" &
	pid=$!
	if ! wait_started "$root/started" "$pid" "$check_timeout"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		echo $? >"$last.rc"
		fail "$name: the workload started"
		return
	fi
	pass "$name: the workload started"
	kids=$(descendants "$pid")
	kill -TERM "$pid"
	if ! wait_exit "$pid" "$bound"; then
		echo "still running ${bound}s after SIGTERM" >"$last.rc"
		fail "$name: krun-run exits within ${bound}s of SIGTERM"
		kill -KILL "$pid"
		wait "$pid"
		return
	fi
	echo "$exit_status" >"$last.rc"
	pass "$name: krun-run exits within ${bound}s of SIGTERM"
	expect_status "$name: exit status $want" "$want"
	left=$(for k in $kids; do [ -d "/proc/$k" ] && ps -o pid=,args= -p "$k"; done)
	expect_eq "$name: no child process of krun-run left" "" "$left"
	expect_eq "$name: no process holds KVM" "" "$(kvm_holders)"
}

sigterm_case "sigterm, workload ignores it" 143 \
	'touch /started; sleep 1000; echo not-reached'
sigterm_case "sigterm, workload traps it" 7 \
	'trap "echo got-term; exit 7" TERM; touch /started; while :; do sleep 1; done'
if grep -q got-term "$work/sigterm, workload traps it.out"; then
	pass "sigterm, workload traps it: its handler ran"
else
	fail "sigterm, workload traps it: its handler ran" "no got-term on stdout"
fi

# On a terminal: krun-run puts it in raw mode; after SIGTERM the settings
# are back. script(1) gives the inner shell a pseudo-terminal.
cat >"$work/tty-case.sh" <<TTY
#!/bin/bash
stty -g >"$work/stty.before"
"$KRUN_RUN" --root "$root" -- /bin/sh -c 'touch /started-tty; sleep 1000' \
	</dev/tty >/dev/tty 2>"$work/tty.err" &
pid=\$!
i=0
while [ ! -e "$root/started-tty" ] && kill -0 \$pid 2>/dev/null && [ \$i -lt $((check_timeout * 10)) ]; do
	sleep 0.1; i=\$((i + 1))
done
stty -g >"$work/stty.during"
kill -TERM \$pid
i=0
while kill -0 \$pid 2>/dev/null && [ \$i -lt $((bound * 10)) ]; do
	sleep 0.1; i=\$((i + 1))
done
kill -KILL \$pid 2>/dev/null
wait \$pid
echo \$? >"$work/tty.rc"
stty -g >"$work/stty.after"
TTY
chmod +x "$work/tty-case.sh"
last=$work/tty last_cmd="(on a pty) krun-run --root ROOT -- sleep 1000 & kill -TERM"
: >"$last.out"
timeout -k 5 $((check_timeout + bound + 30)) script -qec "$work/tty-case.sh" "$work/tty.typescript" >/dev/null 2>&1
# What krun-run wrote on the terminal, shown on failure with its stderr.
cat "$work/tty.typescript" >>"$last.err" 2>/dev/null
expect_status "on a terminal: SIGTERM gives 143" 143
if [ -s "$work/stty.before" ] && [ "$(cat "$work/stty.before")" != "$(cat "$work/stty.during")" ]; then
	pass "on a terminal: raw mode while the guest runs"
else
	fail "on a terminal: raw mode while the guest runs" \
		"stty before: $(cat "$work/stty.before" 2>&1)" "stty during: $(cat "$work/stty.during" 2>&1)"
fi
expect_eq "on a terminal: settings restored after SIGTERM" \
	"$(cat "$work/stty.before" 2>&1)" "$(cat "$work/stty.after" 2>&1)"

# On a terminal the workload's stdio is the guest's /dev/hvc0 (init must be
# told the console is in terminal mode, not wait for the named ports), and
# its exit status comes back.
cat >"$work/tty-exit.sh" <<TTY
#!/bin/bash
"$KRUN_RUN" --root "$root" -- /bin/sh -c 'echo in-tty; tty; exit 5' \
	</dev/tty >/dev/tty 2>"$work/tty-exit.err"
echo \$? >"$work/tty-exit.rc"
TTY
chmod +x "$work/tty-exit.sh"
last=$work/tty-exit last_cmd="(on a pty) krun-run --root ROOT -- sh -c 'echo in-tty; tty; exit 5'"
: >"$last.out"
timeout -k 5 $((check_timeout + 30)) script -qec "$work/tty-exit.sh" "$work/tty-exit.typescript" >/dev/null 2>&1
cat "$work/tty-exit.typescript" >>"$last.err" 2>/dev/null
expect_status "on a terminal: the workload's exit status" 5
expect_eq "on a terminal: the workload's output and tty" "in-tty /dev/hvc0" \
	"$(grep -aoE 'in-tty|/dev/hvc0' "$work/tty-exit.typescript" | tr '\n' ' ' | sed 's/ $//')"

checks_done
