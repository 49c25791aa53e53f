#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-config.sh KRUN-RUN (inside the test host): what the flags set is
# what the guest sees: -e (and no host variable leaks), -w, --rlimit,
# --hostname, --cpus (nproc and /proc/cpuinfo), --memory (MemTotal).
KRUN_RUN=${1:?usage: krun-run-config.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

export KRUN_TEST_LEAK=host-value
krun process --root "$root" -e FOO=bar -e 'SPACED=a b  c' -w /usr/bin \
	--hostname krun-systest --rlimit NOFILE=123:456 -- /bin/sh -c '
	echo "FOO $FOO"
	echo "SPACED $SPACED"
	echo "LEAK ${KRUN_TEST_LEAK-unset}"
	echo "cwd $(readlink /proc/self/cwd)"
	echo "hostname $(hostname)"
	echo "uts $(cat /proc/sys/kernel/hostname)"
	echo "ulimit $(ulimit -Sn) $(ulimit -Hn)"
	krun-check rlimits'
expect_status "process settings: exit status" 0
expect_eq "-e FOO=bar seen in the guest" bar "$(line_of FOO "$last.out")"
expect_eq "-e with spaces kept as one value" "a b  c" "$(line_of SPACED "$last.out")"
expect_eq "host environment does not leak into the guest" unset "$(line_of LEAK "$last.out")"
expect_eq "-w /usr/bin is the working directory" /usr/bin "$(line_of cwd "$last.out")"
expect_eq "--hostname seen by hostname(1)" krun-systest "$(line_of hostname "$last.out")"
expect_eq "--hostname seen in /proc/sys/kernel/hostname" krun-systest "$(line_of uts "$last.out")"
expect_eq "--rlimit NOFILE=123:456 seen by ulimit" "123 456" "$(line_of ulimit "$last.out")"
expect_eq "--rlimit NOFILE=123:456 seen by getrlimit" "123 456" "$(line_of nofile "$last.out")"

facts='echo "nproc $(nproc)"; echo "cpuinfo $(grep -c ^processor /proc/cpuinfo)"
	echo "memtotal $(sed -n "s/^MemTotal: *\([0-9]*\) kB$/\1/p" /proc/meminfo)"'

# MemTotal is the RAM the kernel manages: the guest's RAM minus what it
# reserves at boot (its own image, the struct page array at 1.6% of RAM,
# the first MiB, early page tables). It can never exceed the RAM given; the
# lower bound of 80% leaves room for the reservations while still telling
# 256 MiB from the 512 MiB default or from 192 MiB.
krun cpus-2-mem-256 --root "$root" --cpus 2 --memory 256M -- /bin/sh -c "$facts"
expect_status "--cpus 2 --memory 256M: exit status" 0
expect_eq "--cpus 2 seen by nproc" 2 "$(line_of nproc "$last.out")"
expect_eq "--cpus 2 seen in /proc/cpuinfo" 2 "$(line_of cpuinfo "$last.out")"
expect_range "--memory 256M: MemTotal in [80%, 100%] of 256 MiB (kB)" \
	$((256 * 1024 * 80 / 100)) "$(line_of memtotal "$last.out")" $((256 * 1024))

krun cpus-4 --root "$root" --cpus 4 -- /bin/sh -c "$facts"
expect_status "--cpus 4: exit status" 0
expect_eq "--cpus 4 seen by nproc" 4 "$(line_of nproc "$last.out")"
expect_eq "--cpus 4 seen in /proc/cpuinfo" 4 "$(line_of cpuinfo "$last.out")"
expect_range "default memory: MemTotal in [80%, 100%] of 512 MiB (kB)" \
	$((512 * 1024 * 80 / 100)) "$(line_of memtotal "$last.out")" $((512 * 1024))

krun defaults --root "$root" -- /bin/sh -c "$facts"
expect_eq "default: 1 vCPU" 1 "$(line_of nproc "$last.out")"

checks_done
