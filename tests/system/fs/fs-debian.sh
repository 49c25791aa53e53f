#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# fs-debian.sh (inside the test host): a writable copy of the cached Debian
# bookworm minbase tree (its ext4 image, loop-mounted) is the guest's
# virtio-fs root. First the issue's `Done when` command:
#   krun-run --root ./rootfs -- /bin/sh -c 'echo hi > /f; cat /etc/os-release; exit 7'
# must print os-release, exit 7 and leave ./rootfs/f. Then real programs:
# dpkg, dpkg --verify, find, sort, tar, diff, perl, a shell script run by
# its #! line, and a non-root user denied a root-only file; the guest's view
# of the tree (names, types, modes, owners, sizes, links, mtimes) must equal
# the host's.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
fs_require_env KRUN_DEBIAN_IMAGE
export TZ=UTC LC_ALL=C

mount_image "$KRUN_DEBIAN_IMAGE" || { echo "FAIL setup: mount the Debian image"; exit 1; }
W=$IMAGE_DIR
D=$W/rootfs

# --- Done when ---------------------------------------------------------------
section "done-when command"
(cd "$W" && krun --root ./rootfs -- /bin/sh -c 'echo hi > /f; cat /etc/os-release; exit 7' \
	>"$W/done.out" 2>"$W/done.err")
rc=$?
expect_eq done-when-exit-status 7 "$rc"
if grep -qx 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"' "$W/done.out"; then
	pass done-when-prints-os-release
else
	fail done-when-prints-os-release "no PRETTY_NAME line on stdout" \
		"$(cat "$W/done.out" "$W/done.err")"
fi
expect_eq done-when-file-on-host hi "$(cat "$D/f" 2>&1)"

# --- real programs -------------------------------------------------------------
mkdir -p "$D/t/shared" && chmod 1777 "$D/t/shared"
write_guest_lib "$D/t/lib.sh"
cat >"$D/t/script" <<'SCRIPT'
#!/bin/sh
set -e
sum() { s=0; for i in $(seq "$1"); do s=$((s + i)); done; echo "$s"; }
words=$(cat <<EOF | tr ' ' '\n' | sort -r | head -n 1
alpha beta gamma
EOF
)
echo "$(sum 1000) $words $0 $#"
SCRIPT
chmod 755 "$D/t/script"
cp "$D/t/script" "$D/t/not-executable" && chmod 644 "$D/t/not-executable"
printf 'root only\n' >"$D/t/secret" && chmod 600 "$D/t/secret"

# The host's answers go into the tree; the guest diffs its own against them.
dpkg-query --admindir="$D/var/lib/dpkg" -W -f '${Package} ${Version} ${Status}\n' >"$D/t/host-dpkg.txt"
host_sort=$(sort "$D/var/lib/dpkg/status" | md5sum)
(cd "$D/usr" && find . -printf '%p %y %m %U %G %s %n %T@ %l\n' | sort) >"$D/t/host-usr-meta.txt"

cat >"$D/t/guest.sh" <<GUEST
. /t/lib.sh
export LC_ALL=C TZ=UTC
find / -xdev | grep -vx /var/tmp/guest-find.txt.tmp | sort >/var/tmp/guest-find.txt.tmp && mv /var/tmp/guest-find.txt.tmp /var/tmp/guest-find.txt
cut -d' ' -f2 /proc/mounts >/var/tmp/guest-mounts.txt
check usr-metadata-matches-host sh -c "cd /usr && find . -printf '%p %y %m %U %G %s %n %T@ %l\n' | sort | diff /t/host-usr-meta.txt -"
check dpkg-query-matches-host sh -c "dpkg-query -W -f '\\\${Package} \\\${Version} \\\${Status}\n' | diff /t/host-dpkg.txt -"
n=\$(dpkg -l | grep -c '^ii'); [ "\$n" -gt 50 ] && pass dpkg-l || fail dpkg-l "\$n installed packages" "\$(dpkg -l 2>&1 | tail)"
check dpkg-verify dpkg --verify dpkg coreutils bash libc6 perl-base
expect_eq sort-matches-host '$host_sort' "\$(sort /var/lib/dpkg/status | md5sum)"
expect_eq script-shebang '500500 gamma /t/script 2' "\$(/t/script a b)"
/t/not-executable >/dev/null 2>&1; expect_eq script-not-executable 126 \$?
expect_eq perl 42 "\$(perl -e 'print 6*7')"
check tar-create tar -C /usr/share -cf /var/tmp/doc.tar doc
check tar-extract sh -c 'mkdir -p /var/tmp/x && tar -C /var/tmp/x -xf /var/tmp/doc.tar'
check tar-diff diff -r /usr/share/doc /var/tmp/x/doc
check gzip-round-trip sh -c 'gzip -9 </var/tmp/doc.tar | gunzip | cmp - /var/tmp/doc.tar'
check_not nobody-reads-root-only setpriv --reuid=65534 --regid=65534 --clear-groups cat /t/secret
check nobody-writes-tmp setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo n >/t/shared/by-nobody'
echo guest-script-complete
GUEST
section "real programs"
out=$W/guest.out
run_guest guest-boot "$out" --root "$D" -- /bin/sh /t/guest.sh
guest_results "$out" usr-metadata-matches-host dpkg-query-matches-host dpkg-l \
	dpkg-verify sort-matches-host script-shebang script-not-executable perl \
	tar-create tar-extract tar-diff gzip-round-trip nobody-reads-root-only \
	nobody-writes-tmp
check guest-script-complete grep -q '^guest-script-complete$' "$out"

# The guest's listing of the whole tree equals the host's (made before the
# guest wrote anything but the listing file itself).
# What the guest mounted over (/dev, /proc, ...) hides the tree's content
# there from the guest's find -xdev.
host_find=$(cd "$D" && find . -xdev | sed 's|^\.||; s|^$|/|' | sort |
	grep -vx -e '/var/tmp/guest-find.txt' -e '/var/tmp/guest-find.txt.tmp' \
		-e '/var/tmp/guest-mounts.txt' -e '/var/tmp/doc.tar' -e '/t/shared/by-nobody' |
	grep -v '^/var/tmp/x' |
	awk 'NR == FNR { if ($0 != "/") hidden[$0 "/"] = 1; next }
	     { for (m in hidden) if (index($0, m) == 1) next; print }' \
		"$D/var/tmp/guest-mounts.txt" -)
guest_find=$(cat "$D/var/tmp/guest-find.txt" 2>&1)
if [ "$host_find" = "$guest_find" ]; then
	pass "find-matches-host ($(echo "$guest_find" | wc -l) names)"
else
	echo "$host_find" >"$W/host-find.txt"
	fail find-matches-host "the guest's find / -xdev differs from the host's" \
		"$(echo "$guest_find" | diff "$W/host-find.txt" -)"
fi
check host-sees-tar-extract diff -r "$D/usr/share/doc" "$D/var/tmp/x/doc"
expect_eq host-sees-nobody-file '65534 n' "$(stat -c %u "$D/t/shared/by-nobody") $(cat "$D/t/shared/by-nobody")"

fs_finish
