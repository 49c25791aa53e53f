#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-config.sh KRUN-RUN (inside the test host): what the flags set is
# what the guest sees: -e (and no host variable leaks), --env-file, -w,
# --rlimit, --hostname, --user, --cpus (nproc and /proc/cpuinfo), --memory
# (MemTotal), the defaults; --spec and --bundle boot what they describe;
# the guest kernel is looked up in the order man/krun-run.1 gives
# (--kernel, $KRUN_KERNEL, the build tree's, the installed one); with no
# COMMAND (krun-run) or no krun_set_exec (API-DEFAULT-WORKLOAD, a libkrun
# API client) the root's /.krun_config.json runs, else /bin/sh;
# --smbios-oem strings reach /sys/firmware/dmi; the bzImage of the same
# kernel boots by --kernel and by krun_set_kernel.
KRUN_RUN=${1:?usage: krun-run-config.sh KRUN-RUN API-DEFAULT-WORKLOAD}
API_CLIENT=${2:?usage: krun-run-config.sh KRUN-RUN API-DEFAULT-WORKLOAD}
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
expect_status "defaults: exit status" 0
expect_eq "default: 1 vCPU (nproc)" 1 "$(line_of nproc "$last.out")"
expect_eq "default: 1 vCPU (/proc/cpuinfo)" 1 "$(line_of cpuinfo "$last.out")"

# --env-file: KEY=VALUE taken literally, comments and blank lines
# skipped, a bare KEY copied from the host; -e wins over the file.
cat >"$work/env-file" <<'ENV'
# a comment
A=from-file

B=two  words
Q="quoted" $HOME
KRUN_TEST_BARE
ENV
export KRUN_TEST_BARE=bare-from-host
krun env-file --root "$root" --env-file "$work/env-file" -e A=from-flag -- /bin/sh -c '
	echo "A $A"; echo "B $B"; echo "Q $Q"; echo "BARE $KRUN_TEST_BARE"
	echo "comment $(env | grep -c "^#")"'
expect_status "--env-file: exit status" 0
expect_eq "--env-file: -e given later wins" from-flag "$(line_of A "$last.out")"
expect_eq "--env-file: value with spaces" "two  words" "$(line_of B "$last.out")"
expect_eq "--env-file: value taken literally" '"quoted" $HOME' "$(line_of Q "$last.out")"
expect_eq "--env-file: bare KEY copies the host's value" bare-from-host "$(line_of BARE "$last.out")"
expect_eq "--env-file: comment lines are skipped" 0 "$(line_of comment "$last.out")"

# --user UID:GID, and UID alone (GID 0); HOME=/ for a non-root user.
krun user --root "$root" --user 1234:4321 -- /bin/sh -c 'krun-check ids; echo "home $HOME"'
expect_status "--user 1234:4321: exit status" 0
expect_eq "--user 1234:4321: uids" "1234 1234 1234" "$(line_of uid "$last.out")"
expect_eq "--user 1234:4321: gids" "4321 4321 4321" "$(line_of gid "$last.out")"
expect_eq "--user 1234:4321: no supplementary groups" "" "$(sed -n 's/^groups *//p' "$last.out")"
expect_eq "--user: HOME=/" / "$(line_of home "$last.out")"
krun user-uid-only --root "$root" --user 1234 -- krun-check ids
expect_eq "--user 1234: gid 0" "0 0 0" "$(line_of gid "$last.out")"

# --spec: an OCI-style spec with absolute paths.
mkdir -p "$work/specdata"
echo from-spec-volume >"$work/specdata/hello"
cat >"$work/spec.json" <<SPEC
{
  "ociVersion": "1.0.0",
  "process": {
    "args": ["/bin/sh", "-c", "echo \"spec \$SPECVAR \$(nproc) \$(pwd) \$(hostname) \$(cat /data/hello)\"; exit 4"],
    "env": ["PATH=/usr/bin:/bin", "SPECVAR=from-spec"],
    "cwd": "/usr"
  },
  "root": {"path": "$root"},
  "hostname": "spec-host",
  "mounts": [{"type": "bind", "source": "$work/specdata", "destination": "/data", "options": ["rbind", "ro"]}],
  "krun": {"vcpus": 2}
}
SPEC
krun spec --spec "$work/spec.json"
expect_status "--spec: the spec's command ran (exit 4)" 4
expect_eq "--spec: env, vcpus, cwd, hostname and mount applied" \
	"from-spec 2 /usr spec-host from-spec-volume" "$(line_of spec "$last.out")"

# --bundle: DIR/config.json with paths relative to DIR.
mkdir -p "$work/bundle/rootfs" "$work/bundle/data"
mount --bind "$root" "$work/bundle/rootfs"
echo from-bundle-volume >"$work/bundle/data/hello"
cat >"$work/bundle/config.json" <<'SPEC'
{
  "ociVersion": "1.0.0",
  "process": {"args": ["/bin/sh", "-c", "echo \"bundle $(cat /data/hello)\"; exit 6"]},
  "root": {"path": "rootfs"},
  "mounts": [{"type": "bind", "source": "data", "destination": "/data", "options": ["rbind", "ro"]}]
}
SPEC
# From /, so only the bundle rule can make "rootfs" and "data" resolve.
cd / && krun bundle --bundle "$work/bundle"
cd "$OLDPWD" || exit 1
expect_status "--bundle: the bundle's command ran (exit 6)" 6
expect_eq "--bundle: rootfs and data resolved against the bundle" \
	from-bundle-volume "$(line_of bundle "$last.out")"
umount "$work/bundle/rootfs"

# ---- Default workload: /.krun_config.json, else /bin/sh ----
# api_run NAME ARGS...: the API client, like krun() does krun-run.
api_run() {
	local name=$1
	shift
	last=$work/$name
	last_cmd="$API_CLIENT $*"
	timeout -k 5 "$check_timeout" "$API_CLIENT" "$@" </dev/null \
		>"$last.out" 2>"$last.err"
	echo "$?" >"$last.rc"
}
cat >"$root/.krun_config.json" <<'JSON'
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
  "args": ["/bin/sh", "-c",
   "echo \"var $KRUN_CFG_VAR\"; echo \"cwd $(pwd)\"; echo \"args $#:$1\"; echo \"nofile $(ulimit -Sn)\"; exit 7",
   "sh", "one two"],
  "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "KRUN_CFG_VAR=from-config"],
  "cwd": "/usr",
  "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 333, "soft": 222}]}}
JSON
api_run api-default "$root"
expect_status "API without krun_set_exec: .krun_config.json's exit status" 7
expect_eq "API default workload: process.env" from-config "$(line_of var "$last.out")"
expect_eq "API default workload: process.cwd" /usr "$(line_of cwd "$last.out")"
expect_eq "API default workload: process.args" "1:one two" "$(line_of args "$last.out")"
expect_eq "API default workload: process.rlimits" 222 "$(line_of nofile "$last.out")"
krun cli-default --root "$root"
expect_status "krun-run without COMMAND: .krun_config.json's exit status" 7
expect_eq "krun-run default workload: process.args" "1:one two" "$(line_of args "$last.out")"
rm "$root/.krun_config.json"
printf 'echo "sh $0"\nexit 3\n' >"$work/sh-input"
KRUN_STDIN=$work/sh-input krun cli-sh --root "$root"
expect_status "no .krun_config.json: /bin/sh reads the commands on stdin" 3
expect_eq "no .krun_config.json: the shell is /bin/sh" /bin/sh "$(line_of sh "$last.out")"

# ---- SMBIOS OEM strings, read back from the type 11 structure ----
# raw: type, length, handle (2), count, then the strings, NUL-separated.
krun smbios --root "$root" --smbios-oem io.krun.test=1 --smbios-oem 'two words' \
	-- /bin/sh -c 'raw=/sys/firmware/dmi/entries/11-0/raw
	echo "count $(od -An -tu1 -j4 -N1 $raw | tr -d " ")"
	tail -c +6 $raw | tr "\000" "\n" | sed "s/^/oem /"
	echo "vendor $(cat /sys/class/dmi/id/sys_vendor)"'
expect_status "--smbios-oem: exit status" 0
expect_eq "--smbios-oem: type 11 holds 2 strings" 2 "$(line_of count "$last.out")"
expect_eq "--smbios-oem: the strings in order" "io.krun.test=1|two words" \
	"$(sed -n 's/^oem //p' "$last.out" | head -n 2 | paste -sd '|')"
expect_eq "SMBIOS type 1: the system vendor" krun-run "$(line_of vendor "$last.out")"

# ---- The same kernel as a bzImage (Linux boot protocol) ----
bzimage=$(dirname "$KRUN_GUEST_KERNEL")/bzImage
krun bzimage --root "$root" --kernel "$bzimage" -- /bin/sh -c 'echo "booted $(uname -r)"; exit 5'
expect_status "--kernel bzImage: the workload's exit status" 5
expect_eq "--kernel bzImage: the guest runs the -krun kernel" krun \
	"$(line_of booted "$last.out" | sed 's/.*-//')"
echo '{"process": {"args": ["/bin/sh", "-c", "exit 9"]}}' >"$root/.krun_config.json"
api_run api-bzimage "$root" "$bzimage" 0
expect_status "krun_set_kernel(bzImage, KRUN_KERNEL_FORMAT_RAW) boots" 9
api_run api-bzimage-as-elf "$root" "$bzimage" 1
expect_status "krun_set_kernel: a bzImage given as ELF is refused (125)" 125
expect_eq "krun_set_kernel: the refusal names the mismatch" 1 \
	"$(grep -c 'is a bzImage, but KRUN_KERNEL_FORMAT_ELF was given' "$last.err")"
rm "$root/.krun_config.json"

# ---- Guest kernel lookup order ----
# krun-run logs (--log-level info) which kernel it took and why. Each
# step is shown to be taken when the steps before it are absent.
build_kernel=$KRUN_GUEST_KERNEL
installed=${KRUN_INSTALLED_KERNEL:?KRUN_INSTALLED_KERNEL is not set}
cp "$build_kernel" "$work/kernel-copy"
# kernel_from NAME: the "guest kernel `PATH` (FROM)" log line's PATH (FROM).
kernel_from() {
	sed -n 's/.*guest kernel `\(.*\)` (\(.*\))$/\1 (\2)/p' "$last.err" | head -n 1
}
KRUN_KERNEL=/no/such/kernel krun kernel-flag --root "$root" --log-level info \
	--kernel "$work/kernel-copy" -- /bin/true
expect_status "kernel lookup: --kernel boots" 0
expect_eq "kernel lookup: --kernel comes before \$KRUN_KERNEL" \
	"$work/kernel-copy (--kernel)" "$(kernel_from)"
KRUN_KERNEL=/no/such/kernel krun kernel-env-missing --root "$root" -- /bin/true
expect_status "kernel lookup: an unreadable \$KRUN_KERNEL is an error (125)" 125
expect_eq "kernel lookup: the error names \$KRUN_KERNEL's file" 1 \
	"$(grep -c '/no/such/kernel' "$last.err")"
KRUN_KERNEL=$work/kernel-copy krun kernel-env --root "$root" --log-level info -- /bin/true
expect_status "kernel lookup: \$KRUN_KERNEL boots" 0
expect_eq "kernel lookup: \$KRUN_KERNEL comes before the build tree's" \
	"$work/kernel-copy (\$KRUN_KERNEL)" "$(kernel_from)"
saved_kernel=$KRUN_KERNEL
unset KRUN_KERNEL
krun kernel-build --root "$root" --log-level info -- /bin/true
expect_status "kernel lookup: the build tree's kernel boots" 0
expect_eq "kernel lookup: then the build tree's kernel" \
	"$build_kernel (the build tree)" "$(kernel_from)"
# The installed kernel: the install directory gets a tmpfs (the test
# host's root is read-only) with a copy; the build tree's kernel is hidden
# under an empty tmpfs.
inst_top=$(dirname "$installed")
while [ ! -d "$inst_top" ]; do inst_top=$(dirname "$inst_top"); done
if mount -t tmpfs tmpfs "$inst_top" && mkdir -p "$(dirname "$installed")" &&
	cp "$work/kernel-copy" "$installed" && mount -t tmpfs tmpfs "$(dirname "$build_kernel")"; then
	krun kernel-installed --root "$root" --log-level info -- /bin/true
	expect_status "kernel lookup: the installed kernel boots" 0
	expect_eq "kernel lookup: last the installed kernel" \
		"$installed (the install prefix)" "$(kernel_from)"
	rm -f "$installed"
	krun kernel-none --root "$root" -- /bin/true
	expect_status "kernel lookup: no kernel anywhere gives 125" 125
	expect_eq "kernel lookup: the error names both default paths" 1 \
		"$(grep -c "no guest kernel.*$build_kernel.*$installed" "$last.err")"
else
	fail "kernel lookup: hide the build tree's kernel, install a copy" \
		"mounts: $(grep tmpfs /proc/mounts | tr '\n' ';')"
fi
umount "$(dirname "$build_kernel")" 2>/dev/null
umount "$inst_top" 2>/dev/null
export KRUN_KERNEL=$saved_kernel

# Unprivileged use: a user who can open /dev/kvm (uid 65534 here, with the
# device opened up for the check) runs krun-run on a root it owns. The
# shares map that user to the guest's root (man/krun-run.1, FILE OWNERSHIP).
unpriv=$work/unpriv
mkdir -p "$unpriv" && cp -a "$root" "$unpriv/root" && chown -R 65534:65534 "$unpriv"
chmod 711 "$work"
kvm_mode=$(stat -c %a /dev/kvm)
chmod 666 /dev/kvm
saved_run=$KRUN_RUN
KRUN_RUN=$(command -v setpriv)
krun unprivileged --reuid 65534 --regid 65534 --clear-groups -- "$saved_run" \
	--root "$unpriv/root" -- /bin/sh -c 'id; touch /x; echo "x $(stat -c "%u:%g" /x)"
	chown 1000 /x 2>/dev/null; echo "chown-other $?"'
KRUN_RUN=$saved_run last_argv=()
chmod "$kvm_mode" /dev/kvm
expect_status "unprivileged: uid 65534 runs krun-run, exit status" 0
expect_eq "unprivileged: the guest process is root in the guest" "uid=0(root) gid=0(root)" \
	"$(grep '^uid=' "$last.out" | cut -d' ' -f1-2)"
expect_eq "unprivileged: the file the guest created is the guest root's" 0:0 "$(line_of x "$last.out")"
expect_eq "unprivileged: on the host it belongs to the user who ran krun-run" 65534:65534 \
	"$(stat -c %u:%g "$unpriv/root/x" 2>&1)"
expect_eq "unprivileged: chown to an id with no host id fails" 1 "$(line_of chown-other "$last.out")"

checks_done
