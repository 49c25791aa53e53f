#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-faults.sh KRUN-RUN (inside the test host): faults with defined
# outcomes. The workload OOM-killed gives 137; a full host share gives the
# guest ENOSPC and the VM goes on; the root directory renamed, then removed
# on the host mid-run: the VM goes on and ends with the workload's status;
# krun-run's stdout closed (EPIPE): output is dropped, the VM ends with the
# workload's status; SIGKILL of krun-run leaves no process (passt) and no
# file (listening vsock socket) behind; /dev/kvm missing or not permitted:
# one line, 125; a guest flooding the console does not starve virtio-fs;
# memory a guest touched and freed goes back to the host (virtio-balloon
# free page reporting).
KRUN_RUN=${1:?usage: krun-run-faults.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

# wait_for FILE SECONDS: until FILE exists; 1 when it never did.
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# krun_bg NAME ARGS...: krun-run in the background; bg_pid is its timeout.
krun_bg() {
	last=$work/$1
	shift
	last_argv=("$@")
	last_cmd="$(printf %q "$KRUN_RUN")$(printf " %q" "$@")"
	timeout -k 5 "$check_timeout" "$KRUN_RUN" "$@" </dev/null >"$last.out" 2>"$last.err" &
	bg_pid=$!
}

# The workload exhausts guest RAM: the guest kernel's OOM killer kills it.
krun oom --root "$root" --memory 128M --net none -- \
	/usr/bin/krun-check alloc-touch 512
expect_status "workload OOM-killed gives 137" 137

# Free page reporting: the guest touches 400 MiB, frees it (krun-check
# exits) and idles. krun-run's resident memory must drop by at least half
# of what was touched within 20 s (the guest reports 4 MiB blocks about
# 2 s after they become free). Read from /proc on the test host while the
# guest waits for the go-ahead file.
touched_mib=400
check_timeout=300 krun_bg balloon --root "$root" --memory 512M --net none -- /bin/sh -c "
	/usr/bin/krun-check alloc-touch $touched_mib && touch /balloon-freed
	while [ ! -e /balloon-done ]; do sleep 0.5; done; exit 3"
if wait_for "$root/balloon-freed" 120; then
	vmm=$(pgrep -f -n -P "$bg_pid" krun-run || echo "$bg_pid")
	peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$vmm/status")
	given=
	for ((i = 0; i < 40; i++)); do
		# Empty when krun-run is gone: then no number, and the check fails.
		rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$vmm/status" 2>/dev/null)
		[ -n "$rss_kb" ] && [ -n "$peak_kb" ] || break
		given=$(((peak_kb - rss_kb) / 1024))
		[ "$given" -ge $((touched_mib / 2)) ] && break
		sleep 0.5
	done
	echo "# balloon: peak ${peak_kb} kB, after $((i / 2)) s idle ${rss_kb} kB" \
		"(${given:-?} MiB given back)"
	touch "$root/balloon-done"
	wait "$bg_pid"
	echo $? >"$last.rc"
	expect_status "free page reporting: the workload's status" 3
	expect_range "free page reporting: MiB given back to the host" \
		$((touched_mib / 2)) "$given" 512
else
	kill "$bg_pid" 2>/dev/null
	wait "$bg_pid"
	fail "free page reporting: the guest touched and freed ${touched_mib} MiB"
fi
rm -f "$root/balloon-freed" "$root/balloon-done"

# A volume on a 1 MiB tmpfs: writing 4 MiB fails with ENOSPC, then the VM
# carries on and ends with the workload's own status.
mkdir -p "$work/small"
if mount -t tmpfs -o size=1m tmpfs "$work/small"; then
	krun share-full --root "$root" --net none -v "$work/small:/mnt/small" -- /bin/sh -c '
		dd if=/dev/zero of=/mnt/small/big bs=64k count=64 2>&1 | grep -o "No space left on device" | head -n 1 | sed "s/^/dd /"
		rm /mnt/small/big; echo ok >/mnt/small/after; echo "after $(cat /mnt/small/after)"; exit 7'
	expect_status "share full: the VM goes on to the workload's status" 7
	expect_eq "share full: the guest sees ENOSPC" "No space left on device" "$(line_of dd "$last.out")"
	expect_eq "share full: the share works again after the guest frees space" ok "$(line_of after "$last.out")"
	umount "$work/small"
else
	fail "share full: mount a 1 MiB tmpfs"
fi

# The root directory renamed, then removed, on the host while the guest
# runs. The server holds the root open, so a rename is invisible to the
# guest; after removal its lookups fail and the workload's status comes
# back all the same.
moving=$work/moving
cp -a "$root" "$moving"
krun_bg root-moved --root "$moving" --net none -- /bin/sh -c '
	touch /ready; while [ ! -e /go ]; do sleep 0.1; done
	echo "moved $(cat /etc/hostname-probe)"; touch /go-2
	while ls /etc/hostname-probe >/dev/null 2>&1; do sleep 0.2; done
	echo "removed $(cat /etc/hostname-probe 2>/dev/null || echo gone)"; exit 9'
echo probe >"$moving/etc/hostname-probe"
if wait_for "$moving/ready" 60; then
	mv "$moving" "$moving.renamed" && touch "$moving.renamed/go"
	wait_for "$moving.renamed/go-2" 30
	rm -rf "$moving.renamed"
fi
wait "$bg_pid"
echo $? >"$last.rc"
expect_status "root renamed then removed mid-run: the workload's status" 9
expect_eq "root renamed: the guest keeps its root" probe "$(line_of moved "$last.out")"
expect_eq "root removed: the guest's lookups fail" gone "$(line_of removed "$last.out")"

# krun-run's stdout is a pipe whose reader goes away: the console drops
# the rest (EPIPE, no SIGPIPE death) and the VM ends with the status.
last=$work/epipe last_cmd="krun-run ... -- (10 MiB to stdout) | head -c 100"
("$KRUN_RUN" --root "$root" --net none -- /bin/sh -c \
	'head -c 10485760 /dev/zero; echo "wrote all" >&2; exit 4' 2>"$last.err"
	echo $? >"$last.rc") | head -c 100 >"$last.out"
expect_status "stdout closed (EPIPE): the workload's status" 4
expect_eq "stdout closed (EPIPE): the workload ran to its end" 1 "$(grep -c 'wrote all' "$last.err")"

# SIGKILL of krun-run: its passt and its listening socket go with it.
krun_bg sigkill --root "$root" --vsock "5000:$work/listen.sock,listen" -- \
	/bin/sh -c 'touch /sigkill-ready; sleep 120'
if wait_for "$root/sigkill-ready" 60 && wait_for "$work/listen.sock" 10; then
	vmm=$(pgrep -f -n -P "$bg_pid" krun-run || echo "$bg_pid")
	kids=$(pgrep -P "$vmm" | tr '\n' ' ')
	kill -KILL "$vmm"
	wait "$bg_pid" 2>/dev/null
	sleep 2
	left=
	for p in $kids; do
		# a zombie waiting for the test host's init to reap it is gone
		grep -qs '^State:.*[XZ]' "/proc/$p/status" || [ ! -e "/proc/$p" ] ||
			left+="$p($(cat "/proc/$p/comm" 2>/dev/null)) "
	done
	expect_eq "SIGKILL of krun-run: its children ($kids) are gone" "" "$left"
	expect_eq "SIGKILL of krun-run: passt is gone" "" "$(pgrep -r R,S,D -x passt | tr '\n' ' ')"
	expect_eq "SIGKILL of krun-run: its listening socket is removed" "" \
		"$(ls "$work/listen.sock" 2>/dev/null)"
else
	fail "SIGKILL of krun-run: the guest got ready"
fi
rm -f "$root/sigkill-ready"

# /dev/kvm missing, then not permitted: one clear line and 125.
mv /dev/kvm /dev/kvm.hidden
krun kvm-missing --root "$root" --net none -- /bin/true
mv /dev/kvm.hidden /dev/kvm
expect_status "/dev/kvm missing gives 125" 125
expect_eq "/dev/kvm missing: one line naming it" "1 1" \
	"$(wc -l <"$last.err") $(grep -c '/dev/kvm' "$last.err")"
kvm_mode=$(stat -c %a /dev/kvm)
chmod 600 /dev/kvm
chmod 711 "$work"
saved_run=$KRUN_RUN
KRUN_RUN=$(command -v setpriv)
krun kvm-denied --reuid 65534 --regid 65534 --clear-groups -- "$saved_run" \
	--root "$root" --net none -- /bin/true
KRUN_RUN=$saved_run last_argv=()
chmod "$kvm_mode" /dev/kvm
expect_status "/dev/kvm not permitted gives 125" 125
expect_eq "/dev/kvm not permitted: one line naming it" "1 1" \
	"$(wc -l <"$last.err") $(grep -c 'permission.*/dev/kvm' "$last.err")"

# A guest flooding the console does not starve virtio-fs: 16 MiB read from
# the root while a background writer keeps the console busy.
head -c 16777216 /dev/zero >"$root/big"
krun flood --root "$root" --net none -- /bin/sh -c '
	yes flood-flood-flood-flood & y=$!
	n=$(cat /big | wc -c); kill $y; wait $y 2>/dev/null; echo "read $n"; exit 0'
# Keep only what is not flood (a failure prints the whole stdout); the
# writer was killed mid-line, so "read N" may follow a partial line.
flood_lines=$(grep -c '^flood-flood-flood-flood$' "$last.out")
grep -v '^flood-flood-flood-flood$' "$last.out" >"$last.out.rest"
mv "$last.out.rest" "$last.out"
expect_status "console flood: exit status" 0
expect_range "console flood: the console carried the flood (lines)" 1000 "$flood_lines" 1000000000
expect_eq "console flood: virtio-fs still served 16 MiB" 16777216 \
	"$(sed -n 's/.*read \([0-9]*\)$/\1/p' "$last.out" | head -n 1)"
rm -f "$root/big"

checks_done
