#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-exit.sh KRUN-RUN (inside the test host): krun-run exits with the
# workload's status: 0, 1, 3, 255; 128+N for signal N (from a shell and
# from a plain binary); 127 for a missing program, 126 for one that is not
# executable.
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

checks_done
