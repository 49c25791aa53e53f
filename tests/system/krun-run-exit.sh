#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-exit.sh KRUN-RUN (inside the test host): krun-run exits with the
# workload's status: 0, 1, 3, 255; 128+N for signal N (from a shell and
# from a plain binary); 127 for a missing program, 126 for one that is not
# executable; 123 when the guest kernel crashes (a panic from
# /proc/sysrq-trigger); 125 when the guest init cannot set the workload up
# (a working directory that does not exist), with its one-line reason.
# The boot breakdown line at --log-level debug names every stage with
# non-decreasing times.
# The VMM's own seccomp filters (docs/seccomp.md): every thread of a
# running krun-run is in filter mode; a bad --seccomp value is refused.
KRUN_RUN=${1:?usage: krun-run-exit.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

for n in 0 1 3 255; do
	krun "exit-$n" --root "$root" -- /bin/sh -c "exit $n"
	expect_status "exit status $n" "$n"
done

krun sig-kill --root "$root" -- /bin/sh -c 'kill -9 $$'
expect_status "shell killed by SIGKILL gives 137" 137
krun sig-term --root "$root" -- /bin/sh -c 'kill -TERM $$'
expect_status "shell killed by SIGTERM gives 143" 143
krun sig-segv --root "$root" -- /usr/bin/krun-check kill 11
expect_status "binary killed by SIGSEGV gives 139" 139
krun exit-42 --root "$root" -- /usr/bin/krun-check exit 42
expect_status "binary exit status 42" 42

krun missing-abs --root "$root" -- /no/such/program
expect_status "missing program (absolute path) gives 127" 127
krun missing-path --root "$root" -- no-such-command-krun
expect_status "missing program (PATH lookup) gives 127" 127
krun not-exec --root "$root" -- /etc/passwd
expect_status "non-executable file gives 126" 126

# The guest kernel panics (CONFIG_MAGIC_SYSRQ): no status is reported.
krun crash --root "$root" -- /bin/sh -c 'echo c >/proc/sysrq-trigger; sleep 30; exit 3'
expect_status "guest kernel crash gives 123" 123
expect_eq "guest kernel crash: krun-run says the guest stopped without a status" 1 \
	"$(grep -c 'without reporting an exit status' "$last.err")"

# Init fails to set the workload up: chdir to a missing working directory.
krun bad-workdir --root "$root" -w /no/such/dir -- /bin/sh -c 'echo ran; exit 3'
expect_status "guest init setup failure (missing -w directory) gives 125" 125
expect_eq "guest init setup failure: the workload did not run" "" "$(cat "$last.out")"
expect_eq "guest init setup failure: the reason is on stderr" 1 \
	"$(grep -c 'cannot change to workdir .*/no/such/dir' "$last.err")"

# Every thread of a running krun-run (main, launcher, signal, vCPU, the
# device workers, passt's log thread) is confined: Seccomp 2 (filter mode)
# and at least one filter in /proc/PID/task/TID/status. The guest waits
# for a file the host creates in its root once it has looked.
rm -f "$root/seccomp-up" "$root/seccomp-go"
krun seccomp-threads --root "$root" -- /bin/sh -c '
	head -c 16 /dev/hwrng >/dev/null 2>&1
	echo up >/seccomp-up
	i=0
	while [ ! -e /seccomp-go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	exit 9' &
bg=$!
for ((i = 0; i < 1200; i++)); do
	[ -e "$root/seccomp-up" ] && break
	sleep 0.1
done
pid=$(pgrep -x krun-run | head -n 1)
threads=0 confined=0 unconfined=
for st in /proc/"$pid"/task/*/status; do
	[ -e "$st" ] || continue
	threads=$((threads + 1))
	mode=$(awk '$1 == "Seccomp:" {print $2}' "$st")
	nf=$(awk '$1 == "Seccomp_filters:" {print $2}' "$st")
	if [ "$mode" = 2 ] && [ "${nf:-0}" -ge 1 ]; then
		confined=$((confined + 1))
	else
		tid=${st%/status}
		unconfined+=" ${tid##*/}:Seccomp=$mode,filters=$nf"
	fi
done
echo "# seccomp: $threads threads of krun-run (pid ${pid:-none}) checked"
touch "$root/seccomp-go"
wait "$bg"
last=$work/seccomp-threads last_cmd="krun-run --root ROOT -- /bin/sh -c '...wait for /seccomp-go...'"
expect_status "seccomp: the confined run ends with its workload's status" 9
expect_range "seccomp: the running krun-run has its threads (main, launcher, signal, vCPU, workers)" \
	6 "$threads" 64
expect_eq "seccomp: every thread is in filter mode with a filter" \
	"$threads${unconfined:+ (not:$unconfined)}" "$confined"

# The boot breakdown (--log-level debug): one line naming every stage in
# order, each reached, in milliseconds that never decrease.
krun boot-stamps --log-level debug --root "$root" -- /bin/sh -c 'exit 7'
expect_status "boot breakdown: the run ends with its workload's status" 7
stamps=$(grep '^krun\[debug\] boot: ' "$last.err")
expect_eq "boot breakdown: one line at debug" 1 "$(printf '%s\n' "$stamps" | grep -c .)"
expect_eq "boot breakdown: every stage reached, in order, never decreasing" \
	"vmm kvm-ready devices loaded kernel-entry init exec exit stop done" \
	"$(printf '%s\n' "$stamps" | sed 's/^krun\[debug\] boot: //' | tr ',' '\n' |
		awk 'NF != 3 || $3 != "ms" || $2 !~ /^[0-9]+$/ || $2 < prev { bad = 1 }
			{ prev = $2; names = names (NR > 1 ? " " : "") $1 }
			END { print bad ? "bad: " $0 : names }')"
echo "# $stamps"

krun seccomp-bad --root "$root" --seccomp strict -- /bin/true
expect_status "seccomp: a bad --seccomp value gives 125" 125
expect_eq "seccomp: a bad --seccomp value: one line" \
	"krun-run: --seccomp: seccomp mode \`strict\`: expected enforce, log or off" \
	"$(cat "$last.err")"

checks_done
