#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# fs-escape.sh (inside the test host): a guest whose root is $S/root and
# with a volume $S/vol at /mnt/vol tries to reach $S/outside: symlinks
# (absolute and relative, planted by the host and made by the guest) read,
# written and mkdir'ed through, `..` chains from the root and the volume
# root, hard links, /proc/self/fd and /proc/self/root, a directory moved
# out of the share (by the host) while the guest holds it open, and a host
# loop flipping a directory <-> symlink-to-outside while the guest opens
# paths through it.
#
# On the host, $S/outside is on a strictatime mount and every atime there
# is set to 2000-01-01 before the guest starts; afterwards a listing of
# every name, size, inode, link count, atime and ctime under it must be
# unchanged: nothing there was read, written, linked or created (canaries).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
fs_require_env
# Below the case's own limit, so a stuck guest is reported by name.
KRUN_FS_GUEST_TIMEOUT=${KRUN_FS_GUEST_TIMEOUT:-300}

make_scratch 256 || { echo "FAIL setup: scratch file system"; exit 1; }
S=$SCRATCH
R=$S/root O=$S/outside
copy_busybox_tree "$R" || { echo "FAIL setup: copy busybox tree"; exit 1; }
secret="TOPSECRET-$RANDOM$RANDOM"
mkdir -p "$O/flipdir" "$S/vol/sub" "$R/t" "$R/deep/er" "$R/victim" "$R/flip" "$S/moved-away"
printf '%s\n' "$secret" >"$O/secret"
printf '%s\n' "$secret" >"$O/flipdir/f"
echo victim >"$R/victim/own"
echo inside >"$R/flip/f"
echo inside >"$S/vol/sub/f"
ln -s "$O/flipdir" "$R/flip.alt"

# Host-planted symlinks that lead out on the host (never in the guest).
ln -s "$O" "$R/abs-out"
ln -s "$O/secret" "$R/abs-secret"
ln -s ../outside/secret "$R/rel-secret"
ln -s ../../../outside/secret "$R/deep/er/rel-secret"
ln -s "$O/canary" "$R/abs-canary"
ln -s ../outside/canary "$R/rel-canary"
ln -s .. "$S/vol/up"
ln -s "$O/secret" "$S/vol/abs-secret"
ln -s ../outside/secret "$S/vol/rel-secret"

# Listing a directory updates its atime: list once, then set the atimes,
# then stat the listed paths (stat reads no directory).
names_before=$(find "$O" | sort)
snapshot_outside() {
	printf '%s\n' "$names_before" | xargs -d '\n' stat -c '%n %F %s %i %h %X %Z %N'
}
printf '%s\n' "$names_before" | xargs -d '\n' touch -h -a -d '2000-01-01 00:00:00'
before=$(snapshot_outside)
echo "$before" >"$S/before"   # the test host has no /dev/fd for <(...)
echo "$names_before" >"$S/names-before"

write_guest_lib "$R/t/lib.sh"
cat >"$R/t/guest.sh" <<GUEST
. /t/lib.sh
# no_secret NAME CMD...: CMD may fail, but its output must not hold the secret.
no_secret() { n=\$1; shift; o=\$("\$@" 2>&1); case \$o in *$secret*) fail "\$n" "read the secret: \$*" "\$o" ;; *) pass "\$n" ;; esac; }
O=$O
no_secret abs-symlink-read cat /abs-secret
no_secret abs-symlink-dir-read cat /abs-out/secret
no_secret rel-symlink-read cat /rel-secret
no_secret deep-rel-symlink-read cat /deep/er/rel-secret
no_secret host-path-read cat \$O/secret
check_not abs-symlink-write sh -c 'echo x >/abs-canary'
check_not rel-symlink-write sh -c 'echo x >/rel-canary'
check_not abs-symlink-mkdir mkdir /abs-out/canary-dir
check_not abs-symlink-create-in-dir sh -c 'echo x >/abs-out/canary'
no_secret dotdot-root cat /../outside/secret
no_secret dotdot-root-deep cat /../../../../../..\$O/secret
expect_eq dotdot-root-is-root "\$(ls -a / | tr '\n' ' ')" "\$(ls -a /../../.. | tr '\n' ' ')"
no_secret dotdot-volume cat /mnt/vol/../outside/secret
no_secret dotdot-volume-deep cat /mnt/vol/../../../outside/secret
expect_eq dotdot-volume-is-mnt "\$(ls -a /mnt | tr '\n' ' ')" "\$(ls -a /mnt/vol/.. | tr '\n' ' ')"
no_secret volume-up-symlink cat /mnt/vol/up/outside/secret
no_secret volume-abs-symlink cat /mnt/vol/abs-secret
no_secret volume-rel-symlink cat /mnt/vol/rel-secret
ln -s \$O/secret /gsym-abs; ln -s ../outside/secret /gsym-rel; ln -s /mnt/vol/../../outside /gsym-vol
no_secret guest-abs-symlink cat /gsym-abs
no_secret guest-rel-symlink cat /gsym-rel
no_secret guest-vol-symlink cat /gsym-vol/secret
check_not guest-symlink-write sh -c 'echo x >/gsym-vol/canary'
ln /abs-secret /hl-symlink 2>/dev/null
no_secret hardlink-to-symlink cat /hl-symlink
expect_eq hardlink-follow-symlink ENOENT "\$(fsprobe link-follow /abs-secret /hl-follow)"
expect_eq hardlink-host-path ENOENT "\$(fsprobe link-follow \$O/secret /hl-host)"
check_not hardlink-dotdot ln /../outside/secret /hl-dotdot
exec 3</
no_secret proc-fd-dotdot cat /proc/self/fd/3/../outside/secret
no_secret proc-fd-symlink cat /proc/self/fd/3/abs-secret
no_secret proc-root-dotdot cat /proc/self/root/../outside/secret
no_secret proc-1-root-dotdot cat /proc/1/root/../outside/secret
no_secret proc-cwd-dotdot sh -c 'cd /mnt/vol && cat /proc/self/cwd/../../outside/secret'
exec 3<&-
# Set-ID policy: the root keeps the bits the guest sets, a volume clears them.
echo x >/root-setid; chmod 6755 /root-setid
echo x >/mnt/vol/vol-setid; chmod 6755 /mnt/vol/vol-setid
expect_eq setid-volume-guest-view 755 "\$(stat -c %a /mnt/vol/vol-setid)"
# The host moves /victim out of the share while we hold it open.
o=\$(fsprobe openat-moved /victim /ready /go 120 own .. ../outside/secret ../../outside/secret ../abs-secret)
case \$o in *"timed out"*) fail moved-dir-handshake "\$o" ;; *) pass moved-dir-handshake ;; esac
case \$o in *$secret*) fail moved-dir-openat "read the secret" "\$o" ;; *) pass moved-dir-openat ;; esac
# The moved directory's own files may be reachable through the held fd (an
# fd-based server) or not (ENOENT, ESTALE); anything else is wrong.
case \$(echo "\$o" | grep '^own:') in "own: victim" | "own: E"*) pass moved-dir-own-file ;;
*) fail moved-dir-own-file "unexpected result" "\$o" ;; esac
echo "moved: \$o" | tr '\n' ';'; echo
# The host flips /flip between a directory and a symlink to \$O/flipdir.
: >/race-ready
# ls reads the directory from the server; a stat could hit a cached miss.
i=0; while ! ls / | grep -qx flipping && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
# race_rounds NAME ITER MIN: open+read /flip/f in rounds of ITER until at
# least MIN opens in all reached the file inside the share (when /flip was
# the directory) and at least one failed (when it was the symlink), at most
# 40 rounds. No round may read the secret. A race where every open failed,
# or none did, would prove nothing about the secret. The guest caches the
# /flip entry for the server's 1 s timeout, so a round usually sees one
# side only; the rounds are spaced past the timeout.
race_rounds() {
	r=0; total=0; errs=0; secrets=0; all=
	while [ \$r -lt 40 ] && { [ \$total -lt "\$3" ] || [ \$errs -eq 0 ]; }; do
		[ \$r -eq 0 ] || sleep 1.2
		o=\$(fsprobe race-read /flip/f "\$2" $secret)
		all="\$all [\$o]"
		n=\$(echo "\$o" | sed -n 's/.* inside \([0-9]*\) .*/\1/p')
		e=\$(echo "\$o" | sed -n 's/.* errors \([0-9]*\) .*/\1/p')
		k=\$(echo "\$o" | sed -n 's/.* secret \([0-9]*\)\$/\1/p')
		total=\$((total + \${n:-0})); errs=\$((errs + \${e:-0}))
		secrets=\$((secrets + \${k:-1})); r=\$((r + 1))
	done
	expect_eq "\$1-read" secret-0 "secret-\$secrets"
	if [ \$total -ge "\$3" ] && [ \$errs -gt 0 ]; then pass "\$1-inside"; else
		fail "\$1-inside" "\$total reads inside the share and \$errs failed in \$r rounds, want >= \$3 and > 0" "\$all"; fi
	echo "race: \$r rounds:\$all"
}
race_rounds flip-race 100 10
i=0; while [ \$i -lt 100 ]; do fsprobe write /flip/w\$i >/dev/null; i=\$((i + 1)); done
race_rounds flip-race-2 100 5
: >/race-done
echo guest-script-complete
GUEST

# Host side of the moved-directory and flip races, in the background.
host_side() {
	local i
	for ((i = 0; i < 1200; i++)); do [ -e "$R/ready" ] && break; sleep 0.1; done
	mv "$R/victim" "$S/moved-away/victim" && : >"$R/go"
	for ((i = 0; i < 2400; i++)); do [ -e "$R/race-ready" ] && break; sleep 0.1; done
	: >"$R/flipping"
	"$KRUN_FSPROBE" flip "$R/flip" "$R/flip.alt" 20000000 "$R/race-done" >"$S/flips"
}
host_side &
host_pid=$!
fs_cleanups+=("kill $host_pid")

section "guest tries to escape"
out=$S/guest.out
run_guest guest-boot "$out" --root "$R" -v "$S/vol:/mnt/vol" -- /bin/sh /t/guest.sh
: >"$R/race-done"
wait "$host_pid"
guest_results "$out" abs-symlink-read abs-symlink-dir-read rel-symlink-read \
	deep-rel-symlink-read host-path-read abs-symlink-write rel-symlink-write \
	abs-symlink-mkdir abs-symlink-create-in-dir dotdot-root dotdot-root-deep \
	dotdot-root-is-root dotdot-volume dotdot-volume-deep dotdot-volume-is-mnt \
	volume-up-symlink volume-abs-symlink volume-rel-symlink guest-abs-symlink \
	guest-rel-symlink guest-vol-symlink guest-symlink-write hardlink-to-symlink \
	hardlink-follow-symlink hardlink-host-path hardlink-dotdot proc-fd-dotdot \
	proc-fd-symlink proc-root-dotdot proc-1-root-dotdot proc-cwd-dotdot \
	setid-volume-guest-view moved-dir-handshake moved-dir-openat \
	moved-dir-own-file flip-race-read flip-race-inside flip-race-2-read \
	flip-race-2-inside
check guest-script-complete grep -q '^guest-script-complete$' "$out"
grep -E '^(race|moved):' "$out"

flips=$(sed -n 's/^flips //p' "$S/flips")
if [ "${flips:-0}" -gt 0 ]; then pass "host-flipped ($flips flips)"; else
	fail host-flipped "the host's flip loop did not run" "$(cat "$S/flips")"; fi
section "host checks outside the share"
after=$(snapshot_outside)
if [ "$before" = "$after" ]; then pass outside-not-accessed; else
	fail outside-not-accessed "something under $O was read or changed" \
		"$(echo "$after" | diff "$S/before" -)"
fi
names_after=$(find "$O" | sort)
if [ "$names_before" = "$names_after" ]; then pass outside-nothing-created; else
	fail outside-nothing-created "names under $O changed" \
		"$(echo "$names_after" | diff "$S/names-before" -)"
fi
expect_eq outside-secret-links 1 "$(stat -c %h "$O/secret")"
check_not outside-canary test -e "$O/canary"
expect_eq guest-symlinks-stored-verbatim "$O/secret ../outside/secret" \
	"$(readlink "$R/gsym-abs") $(readlink "$R/gsym-rel")"
expect_eq setid-root-kept 6755 "$(stat -c %a "$R/root-setid")"
expect_eq setid-volume-cleared 755 "$(stat -c %a "$S/vol/vol-setid")"

fs_finish
