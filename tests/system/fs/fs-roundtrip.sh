#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# fs-roundtrip.sh [FILES BIG_MB] (inside the test host): a copy of the
# busybox tree on a
# scratch ext4 is the guest's virtio-fs root. Files the host made are
# checked in the guest, files the guest made are checked on the host:
# content, mode, owner, mtime, hard and symbolic links, FIFOs, a BIG_MB
# (default 256) MiB file's checksum, FILES (default 10 000) files from tar,
# rename-over, unlink-while-open,
# sparse files, fallocate and hole punching, user.* xattrs. A second boot
# with --read-only and a :ro volume checks that every write fails with
# EROFS and that nothing changed on the host; in the same boot the root
# and a third volume have DAX windows (--root-dax, dax=SIZE): mounted with
# dax=always, read with read() and mmap, written with write() and through a
# shared mmap, each seen on the host. In that boot the host also
# changes files in three volumes while the guest holds them in its cache,
# one per cache policy: cache=never and cache=auto show the change at the
# next open (never: also a name the guest missed before), cache=always
# keeps what the guest cached, as documented. The system suite runs a
# small size (500 files, 16 MiB), the slow suite the defaults.
set -uo pipefail
files=${1:-10000}
big_mb=${2:-256}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
# At full size the guest untars 10 000 files and writes 256 MiB: each FUSE
# request costs nested exits under TCG, so that guest gets far longer than
# the default.
if [ "$files" -gt 2000 ] || [ "$big_mb" -gt 64 ]; then
	KRUN_FS_GUEST_TIMEOUT=${KRUN_FS_GUEST_TIMEOUT:-1500}
fi
echo "fs-roundtrip: $files files, $big_mb MiB"
fs_require_env
export TZ=UTC

make_scratch $((3 * big_mb + files / 20 + 300)) || { echo "FAIL setup: scratch file system"; exit 1; }
S=$SCRATCH
R=$S/root
copy_busybox_tree "$R" || { echo "FAIL setup: copy busybox tree"; exit 1; }
# Volume mount points exist beforehand: krun-init cannot make them on a
# read-only root.
mkdir -p "$R/h" "$R/g" "$R/t" "$S/src" "$S/vol" "$S/volro" "$S/dax" \
	"$R/mnt/rw" "$R/mnt/ro" "$R/mnt/dax"
for c in never auto always; do mkdir -p "$S/c$c" "$R/mnt/$c"; printf 'v1\n' >"$S/c$c/f"; done
printf hello >"$S/calways/wb"

# --- host-made files ---------------------------------------------------
section "host prepares files"
epoch_h=$(date -d '2002-03-04 05:06:07' +%s)
printf 'from host\n' >"$R/h/text"
chmod 604 "$R/h/text"
chown 1234:4321 "$R/h/text"
ln "$R/h/text" "$R/h/link2"
ln -s text "$R/h/sym"
touch -h -d @"$epoch_h" "$R/h/text" "$R/h/sym"
mkfifo "$R/h/fifo"
truncate -s 64M "$R/h/sparse"
printf end | dd of="$R/h/sparse" bs=1 seek=$((32 << 20)) conv=notrunc status=none
: >"$R/h/xattr"
"$KRUN_FSPROBE" xattr-set "$R/h/xattr" user.fromhost hostval >/dev/null
"$KRUN_FSPROBE" xattr-set "$R/h/xattr" user.doomed gone >/dev/null
printf 'space\n' >"$R/h/with space"
printf 'utf8\n' >"$R/h/ñandú-日本"
# Two vCPUs: the big file and the small ones in parallel.
big_seed=$RANDOM
"$KRUN_FSPROBE" pattern "$R/h/big" "$big_mb" $big_seed >/dev/null &
(cd "$S/src" && for i in $(seq -w 1 "$files"); do echo "file $i" >"f$i"; done &&
	mkdir -p sub/deeper && echo nested >sub/deeper/n)
wait
big_sum=$("$KRUN_FSPROBE" sum "$R/h/big")
tar -cf "$R/h/small.tar" -C "$S/src" .
echo voldata >"$S/volro/keep"
# DAX: 5 MiB (three 2 MiB window ranges, the last one partly past the end
# of the file) and a file the guest writes through a shared mmap.
"$KRUN_FSPROBE" pattern "$S/dax/big" 5 $big_seed >/dev/null
dax_sum=$("$KRUN_FSPROBE" sum "$S/dax/big")
echo "$dax_sum" >"$R/t/dax_sum"
"$KRUN_FSPROBE" pattern "$S/dax/mm" 1 7 >/dev/null

# --- the guest's half ----------------------------------------------------
write_guest_lib "$R/t/lib.sh"
cat >"$R/t/guest.sh" <<GUEST
. /t/lib.sh
expect_eq host-content 'from host' "\$(cat /h/text)"
expect_eq host-attrs '604 1234 4321 $epoch_h' "\$(stat -c '%a %u %g %Y' /h/text)"
expect_eq host-hardlink "\$(stat -c '2 %i' /h/text)" "\$(stat -c '%h %i' /h/link2)"
expect_eq host-symlink 'text from host' "\$(readlink /h/sym) \$(cat /h/sym)"
expect_eq host-symlink-mtime '$epoch_h' "\$(stat -c %Y /h/sym)"
expect_eq host-fifo-type fifo "\$(test -p /h/fifo && echo fifo)"
(echo through-fifo >/h/fifo &)
expect_eq host-fifo-use through-fifo "\$(timeout 20 cat /h/fifo)"
expect_eq host-sparse-size 67108864 "\$(stat -c %s /h/sparse)"
b=\$(stat -c %b /h/sparse); [ "\$b" -lt 1024 ] && pass host-sparse-blocks || fail host-sparse-blocks "\$b blocks"
expect_eq host-sparse-tail end "\$(dd if=/h/sparse bs=1 skip=$((32 << 20)) count=3 2>/dev/null)"
expect_eq host-xattr hostval "\$(fsprobe xattr-get /h/xattr user.fromhost)"
expect_eq host-xattr-list 'user.doomed user.fromhost' "\$(fsprobe xattr-list /h/xattr)"
expect_eq host-names 'space utf8' "\$(cat '/h/with space' '/h/ñandú-日本' | tr '\n' ' ' | sed 's/ \$//')"
expect_eq host-big-sum '$big_sum' "\$(fsprobe time guest-big-read fsprobe sum /h/big)"

printf 'from guest\n' >/g/text && chmod 640 /g/text && chown 2345:5432 /g/text &&
	touch -t 200102030405.06 /g/text && ln /g/text /g/link2 && ln -s text /g/sym &&
	mkfifo /g/fifo && pass guest-create || fail guest-create "see above"
fsprobe time guest-big-write fsprobe pattern /g/big.copy $big_mb $big_seed >/dev/null && pass guest-big-write || fail guest-big-write "fsprobe pattern failed"
mkdir /g/untar && tar -xf /h/small.tar -C /g/untar && pass guest-untar || fail guest-untar "tar failed"
expect_eq guest-untar-count $((files + 1)) "\$(find /g/untar -type f | wc -l)"
expect_eq guest-untar-readdir $((files + 1)) "\$(ls -A /g/untar | wc -l)"
echo old >/g/a && echo new >/g/b && mv -f /g/b /g/a
expect_eq guest-rename-over 'new absent' "\$(cat /g/a) \$(test -e /g/b && echo present || echo absent)"
expect_eq guest-unlink-open ok "\$(fsprobe unlink-open /g/uo)"
truncate -s 1G /g/sparse && echo tail | dd of=/g/sparse bs=1 seek=$((512 << 20)) conv=notrunc 2>/dev/null
expect_eq guest-sparse-size 1073741824 "\$(stat -c %s /g/sparse)"
expect_eq guest-sparse-seek-data $((512 << 20)) "\$(fsprobe seek-data /g/sparse 0)"
expect_eq guest-sparse-seek-hole 0 "\$(fsprobe seek-hole /g/sparse 0)"
expect_eq guest-fallocate ok "\$(fsprobe falloc /g/falloc 0 8388608)"
expect_eq guest-fallocate-size 8388608 "\$(stat -c %s /g/falloc)"
dd if=/dev/urandom of=/g/punch bs=1M count=2 2>/dev/null
expect_eq guest-punch ok "\$(fsprobe punch /g/punch 0 1048576)"
expect_eq guest-punch-zeros ok "\$(cmp -n 1048576 /g/punch /dev/zero >/dev/null 2>&1 && echo ok)"
: >/g/xattr
expect_eq guest-xattr-set ok "\$(fsprobe xattr-set /g/xattr user.fromguest guestval)"
expect_eq guest-xattr-get guestval "\$(fsprobe xattr-get /g/xattr user.fromguest)"
expect_eq guest-xattr-remove ok "\$(fsprobe xattr-remove /h/xattr user.doomed)"
expect_eq guest-xattr-removed ENODATA "\$(fsprobe xattr-get /h/xattr user.doomed)"
expect_eq guest-xattr-missing ENODATA "\$(fsprobe xattr-get /g/xattr user.nothing)"
mkdir -p /g/d1/d2/d3 && echo deep >/g/d1/d2/d3/f && rmdir /g/d1/d2/d3 2>/dev/null
expect_eq guest-rmdir-nonempty 'deep' "\$(cat /g/d1/d2/d3/f)"
printf 'g space\n' >'/g/with space' && printf 'g utf8\n' >'/g/ñandú-日本'
echo guest-script-complete
GUEST

section "guest round trip"
out=$S/guest.out
run_guest guest-boot "$out" --root "$R" -- /bin/sh /t/guest.sh
guest_results "$out" host-content host-attrs host-hardlink host-symlink \
	host-symlink-mtime host-fifo-type host-fifo-use host-sparse-size \
	host-sparse-blocks host-sparse-tail host-xattr host-xattr-list host-names \
	host-big-sum guest-create guest-big-write guest-untar guest-untar-count \
	guest-untar-readdir guest-rename-over guest-unlink-open guest-sparse-size \
	guest-sparse-seek-data guest-sparse-seek-hole guest-fallocate \
	guest-fallocate-size guest-punch guest-punch-zeros guest-xattr-set \
	guest-xattr-get guest-xattr-remove guest-xattr-removed guest-xattr-missing \
	guest-rmdir-nonempty
check guest-script-complete grep -q '^guest-script-complete$' "$out"
grep "^time " "$out"

# --- the guest's files, seen from the host --------------------------------
section "host checks the guest's files"
G=$R/g
expect_eq host-sees-content 'from guest' "$(cat "$G/text")"
expect_eq host-sees-attrs "640 2345 5432 $(date -d '2001-02-03 04:05:06' +%s)" \
	"$(stat -c '%a %u %g %Y' "$G/text")"
expect_eq host-sees-hardlink "$(stat -c '2 %i' "$G/text")" "$(stat -c '%h %i' "$G/link2")"
expect_eq host-sees-symlink text "$(readlink "$G/sym")"
check host-sees-fifo test -p "$G/fifo"
expect_eq host-sees-big-sum "$big_sum" "$("$KRUN_FSPROBE" sum "$G/big.copy")"
check host-sees-untar diff -r "$S/src" "$G/untar"
expect_eq host-sees-rename-over 'new absent' \
	"$(cat "$G/a") $(test -e "$G/b" && echo present || echo absent)"
expect_eq host-sees-unlink-open '' "$(ls -A "$G" | grep -E '^(uo|\.fuse_hidden)')"
expect_eq host-sees-sparse-size 1073741824 "$(stat -c %s "$G/sparse")"
b=$(stat -c %b "$G/sparse")
if [ "${b:-99999}" -lt 2048 ]; then pass host-sees-sparse-blocks; else
	fail host-sees-sparse-blocks "$b blocks allocated for a 1 GiB file with 5 bytes"; fi
expect_eq host-sees-sparse-tail tail "$(dd if="$G/sparse" bs=1 skip=$((512 << 20)) count=4 status=none)"
b=$(stat -c '%s %b' "$G/falloc")
if [ "${b%% *}" = 8388608 ] && [ "${b##* }" -ge 16384 ]; then pass host-sees-fallocate; else
	fail host-sees-fallocate "size and 512-byte blocks: $b"; fi
b=$(stat -c %b "$G/punch")
if [ "${b:-99999}" -le 2100 ]; then pass host-sees-punch; else
	fail host-sees-punch "$b blocks after punching 1 MiB of 2 MiB"; fi
check host-sees-punch-zeros cmp -n 1048576 "$G/punch" /dev/zero
expect_eq host-sees-xattr guestval "$("$KRUN_FSPROBE" xattr-get "$G/xattr" user.fromguest)"
expect_eq host-sees-xattr-removed user.fromhost "$("$KRUN_FSPROBE" xattr-list "$R/h/xattr")"
expect_eq host-sees-names 'g space g utf8' "$(cat "$G/with space" "$G/ñandú-日本" | tr '\n' ' ' | sed 's/ $//')"
rm -f "$R/h/big" "$G/big.copy"

# --- read-only root and a :ro volume ----------------------------------------
cat >"$R/t/ro.sh" <<'GUEST'
. /t/lib.sh
expect_eq ro-root-create EROFS "$(fsprobe write /newfile)"
expect_eq ro-root-overwrite EROFS "$(fsprobe write /h/text)"
# erofs NAME CMD...: CMD fails, and with EROFS (strerror in its message).
erofs() { n=$1; shift; if o=$("$@" 2>&1); then fail "$n" "command succeeded: $*" "$o"; else
	case $o in *"Read-only file system"*) pass "$n" ;; *) fail "$n" "failed, but not with EROFS: $*" "$o" ;; esac; fi; }
erofs ro-root-mkdir mkdir /newdir
erofs ro-root-unlink rm -f /h/text
erofs ro-root-chmod chmod 777 /h/text
erofs ro-root-rename mv /h/text /h/moved
erofs ro-volume-mkdir mkdir /mnt/ro/newdir
erofs ro-volume-unlink rm -f /mnt/ro/keep
expect_eq ro-root-xattr EROFS "$(fsprobe xattr-set /h/xattr user.new v)"
expect_eq ro-root-still-reads 'from host' "$(cat /h/text)"
expect_eq ro-volume-create EROFS "$(fsprobe write /mnt/ro/newfile)"
expect_eq ro-volume-overwrite EROFS "$(fsprobe write /mnt/ro/keep)"
expect_eq ro-volume-reads voldata "$(cat /mnt/ro/keep)"
expect_eq rw-volume-create ok "$(fsprobe write /mnt/rw/newfile)"
opts() { awk -v m="$1" '$2 == m { print $4 }' /proc/mounts; }
case ,$(opts /mnt/dax), in *,dax=always,*) pass dax-volume-mounted ;;
	*) fail dax-volume-mounted "mount options: $(opts /mnt/dax)" ;; esac
case ,$(opts /), in *,dax=always,*) pass dax-root-mounted ;;
	*) fail dax-root-mounted "mount options: $(opts /)" ;; esac
case ,$(opts /mnt/rw), in *,dax=*) fail dax-only-asked "mount options: $(opts /mnt/rw)" ;;
	*) pass dax-only-asked ;; esac
expect_eq dax-read "$(cat /t/dax_sum)" "$(fsprobe sum /mnt/dax/big)"
expect_eq dax-mmap-read "$(cat /t/dax_sum)" "$(fsprobe mmap-sum /mnt/dax/big)"
expect_eq dax-mmap-write ok "$(fsprobe mmap-write /mnt/dax/mm 8192 FROMGUESTMMAP)"
expect_eq dax-mmap-reread FROMGUESTMMAP "$(dd if=/mnt/dax/mm bs=1 skip=8192 count=13 2>/dev/null)"
printf 'written with dax\n' >/mnt/dax/new && pass dax-write || fail dax-write "write failed"
expect_eq dax-root-read '10 from host' "$(fsprobe mmap-sum /h/text | cut -d' ' -f2) $(cat /h/text)"
# Cache policies: read each file and miss a name, let the host change both
# (same size: only the content and mtime move), then look again.
for c in never auto always; do
	expect_eq cache-$c-before 'v1 absent' "$(cat /mnt/$c/f) $(test -e /mnt/$c/new && echo present || echo absent)"
done
: >/mnt/never/ready
i=0; while [ ! -e /mnt/never/go ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
expect_eq cache-never-sees-host 'v2 present' "$(cat /mnt/never/f) $(test -e /mnt/never/new && echo present || echo absent)"
expect_eq cache-auto-sees-host v2 "$(cat /mnt/auto/f)"
expect_eq cache-always-keeps 'v1 absent' "$(cat /mnt/always/f) $(test -e /mnt/always/new && echo present || echo absent)"
# always caches writes too (WRITEBACK_CACHE): a partial page written
# through a write-only open is first read through that handle.
printf J | dd of=/mnt/always/wb bs=1 count=1 conv=notrunc 2>/dev/null
printf ab >/mnt/always/app && printf cd >>/mnt/always/app
expect_eq cache-always-writeback 'Jello abcd' "$(cat /mnt/always/wb) $(cat /mnt/always/app)"
echo guest-script-complete
GUEST
section "read-only root and volume; cache policies"
# The host's half of the cache checks: once the guest has read, change.
(for _ in $(seq 600); do [ -e "$S/cnever/ready" ] && break; sleep 0.2; done
	for c in never auto always; do printf 'v2\n' >"$S/c$c/f"; : >"$S/c$c/new"; done
	: >"$S/cnever/go") &
out=$S/ro.out
run_guest ro-boot "$out" --root "$R" --read-only --root-dax 64M -v "$S/vol:/mnt/rw" \
	-v "$S/volro:/mnt/ro:ro" -v "$S/dax:/mnt/dax:dax=32M" \
	-v "$S/cnever:/mnt/never:cache=never" \
	-v "$S/cauto:/mnt/auto:cache=auto" -v "$S/calways:/mnt/always:cache=always" \
	-- /bin/sh /t/ro.sh
wait
guest_results "$out" ro-root-create ro-root-overwrite ro-root-mkdir ro-root-unlink \
	ro-root-chmod ro-root-rename ro-root-xattr ro-root-still-reads ro-volume-create \
	ro-volume-mkdir ro-volume-unlink \
	ro-volume-overwrite ro-volume-reads rw-volume-create dax-volume-mounted \
	dax-root-mounted dax-only-asked dax-read dax-mmap-read dax-mmap-write \
	dax-mmap-reread dax-write dax-root-read cache-never-before \
	cache-auto-before cache-always-before cache-never-sees-host cache-auto-sees-host \
	cache-always-keeps cache-always-writeback
check guest-ro-script-complete grep -q '^guest-script-complete$' "$out"
expect_eq host-ro-unchanged "from host 604 none none" \
	"$(cat "$R/h/text") $(stat -c %a "$R/h/text") $(ls "$R/newfile" "$R/newdir" 2>/dev/null || echo none) $(ls "$S/volro" | grep -vx keep || echo none)"
expect_eq host-ro-xattr user.fromhost "$("$KRUN_FSPROBE" xattr-list "$R/h/xattr")"
expect_eq host-rw-volume-written x "$(cat "$S/vol/newfile" 2>&1)"
expect_eq host-sees-dax-mmap-write FROMGUESTMMAP "$(dd if="$S/dax/mm" bs=1 skip=8192 count=13 status=none)"
expect_eq host-sees-dax-mmap-size 1048576 "$(stat -c %s "$S/dax/mm")"
expect_eq host-sees-dax-write 'written with dax' "$(cat "$S/dax/new" 2>&1)"
expect_eq host-dax-unchanged "$dax_sum" "$("$KRUN_FSPROBE" sum "$S/dax/big")"
expect_eq host-sees-writeback 'Jello abcd' "$(cat "$S/calways/wb") $(cat "$S/calways/app")"

fs_finish
